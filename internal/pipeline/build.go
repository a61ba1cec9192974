package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"

	"github.com/pack-publish/pack-publish/internal/archive"
	"github.com/pack-publish/pack-publish/internal/publish"
)

// memoryLimit is the archive size kept in memory; larger archives spill to
// a temporary file, so memory stays flat in pack size.
const memoryLimit = 2 << 20

// build archives the pack, hashing it on the way. Small archives stay in
// memory (their uploads can then be retried request by request); larger
// ones go to a temporary file. A dry run that does not read the registry
// keeps nothing but the digest (one that does may need the archive to
// compare it with the published one).
func (r *run) build(ctx context.Context, it *item) (publish.Layer, error) {
	h := sha256.New()
	sink := &spill{limit: memoryLimit, dir: r.tmp, name: archive.FileName(it.res.Name, it.res.Version), discard: r.client == nil && r.layout == nil}
	defer sink.closeFile()
	cw := &countWriter{w: io.MultiWriter(sink, h)}
	top := filepath.Base(filepath.Join(r.cfg.Workspace, filepath.FromSlash(it.dir)))
	defer it.closeRoot() // the archive is all that is read from now on
	if _, err := archive.Write(ctx, cw, it.fsys, top, it.entries, archive.Options{SkipContents: true}); err != nil {
		return publish.Layer{}, fmt.Errorf("archiving %s: %w", it.dir, err)
	}
	if err := sink.closeFile(); err != nil {
		return publish.Layer{}, fmt.Errorf("writing the archive: %w", err)
	}
	return publish.Layer{Digest: digest.NewDigest(digest.SHA256, h), Size: cw.n, Open: sink.open}, nil
}

// spill keeps written bytes in memory up to limit, then moves them to a file.
type spill struct {
	limit   int
	dir     string
	name    string
	discard bool
	buf     bytes.Buffer
	file    *os.File
	path    string
}

func (s *spill) Write(p []byte) (int, error) {
	switch {
	case s.discard:
		return len(p), nil
	case s.file != nil:
		return s.file.Write(p)
	case s.buf.Len()+len(p) <= s.limit:
		return s.buf.Write(p)
	}
	f, err := os.CreateTemp(s.dir, s.name+"-*")
	if err != nil {
		return 0, err
	}
	s.file, s.path = f, f.Name()
	if _, err := f.Write(s.buf.Bytes()); err != nil {
		return 0, err
	}
	s.buf = bytes.Buffer{}
	return f.Write(p)
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (s *spill) closeFile() error {
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	return err
}

func (s *spill) open() (io.ReadCloser, error) {
	if s.path != "" {
		return os.Open(s.path)
	}
	return io.NopCloser(bytes.NewReader(s.buf.Bytes())), nil
}

type countWriter struct {
	w io.Writer
	n int64
}
