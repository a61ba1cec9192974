package archive

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/klauspost/compress/gzip"
	"hash"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"
)

// Write streams the deterministic tar.gz of entries (as returned by Scan) to
// w, under the single top-level folder top, the pack folder's own name. It
// returns the archive's Contents, hashed on the way, so the caller need not
// read the archive back; with opts.SkipContents it hashes nothing and
// returns nil (pack-publish's own choice: it compares files only when a
// published layer's digest differs, and then reads them back with
// ReadContents). Files are copied one at a time through a fixed buffer:
// memory stays flat in pack size.
//
// Headers are built field by field, never from the file's own metadata:
// every entry has the mtime opts.ModTime, uid and gid 0, no user or group
// name, and the mode 0755 (folders, executables), 0644 (other files) or 0777
// (symlinks). archive/tar picks USTAR, or PAX for long or non-ASCII names,
// and both are deterministic. The gzip header has no name and no time.
func Write(ctx context.Context, w io.Writer, fsys fs.FS, top string, entries []Entry, opts Options) (Contents, error) {
	opts = opts.withDefaults()
	if top == "" || top == "." || top == ".." || strings.ContainsAny(top, `/\`) || badName(top) != "" {
		return nil, fmt.Errorf("archiving: %q is not a folder name", top)
	}
	entries = slices.Clone(entries)
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	for i, e := range entries {
		if !fs.ValidPath(e.Path) || e.Path == "." || (i > 0 && e.Path == entries[i-1].Path) {
			return nil, fmt.Errorf("archiving: invalid or repeated entry path %q", quote(e.Path))
		}
	}

	wr, err := getWriters(w)
	if err != nil {
		return nil, fmt.Errorf("archiving: %w", err)
	}
	defer writerPool.Put(wr)
	gz, bw, buf := wr.gz, wr.bw, wr.buf
	tw := tar.NewWriter(bw)
	header := func(name string, typ byte, mode int64) *tar.Header {
		return &tar.Header{Typeflag: typ, Name: name, Mode: mode, ModTime: opts.ModTime}
	}
	if err := tw.WriteHeader(header(top+"/", tar.TypeDir, 0o755)); err != nil {
		return nil, fmt.Errorf("archiving: %w", err)
	}
	var contents Contents // stays nil with opts.SkipContents
	if !opts.SkipContents {
		contents = make(Contents, len(entries))
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := top + "/" + e.Path
		var fi FileInfo
		switch e.Type {
		case Dir:
			fi, err = FileInfo{Type: Dir}, tw.WriteHeader(header(name+"/", tar.TypeDir, 0o755))
		case Symlink:
			h := header(name, tar.TypeSymlink, 0o777)
			h.Linkname = e.Link
			fi, err = FileInfo{Type: Symlink, Link: e.Link}, tw.WriteHeader(h)
		case File:
			mode := int64(0o644)
			if e.Exec {
				mode = 0o755
			}
			h := header(name, tar.TypeReg, mode)
			h.Size = e.Size
			fi, err = writeFile(ctx, tw, fsys, e, h, buf, !opts.SkipContents)
		default:
			err = fmt.Errorf("unknown entry type %q", e.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("archiving %s: %w", e.Path, err)
		}
		if contents != nil {
			contents[e.Path] = fi
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("archiving: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("archiving: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("archiving: %w", err)
	}
	return contents, nil
}

// onlyWriter hides every method but Write.
type onlyWriter struct{ io.Writer }

// writers are the compressor and buffers of one Write. They are pooled: a
// gzip writer's tables are far larger than a typical pack, so allocating
// them per pack cost more than compressing it. A reset writer produces the
// same bytes as a new one.
type writers struct {
	gz  *gzip.Writer
	bw  *bufio.Writer
	buf []byte
}

var writerPool sync.Pool

func getWriters(w io.Writer) (*writers, error) {
	wr, _ := writerPool.Get().(*writers)
	if wr == nil {
		gz, err := gzip.NewWriterLevel(w, CompressionLevel)
		if err != nil {
			return nil, err
		}
		wr = &writers{gz: gz, bw: bufio.NewWriterSize(gz, 64<<10), buf: make([]byte, 256<<10)}
	} else {
		wr.gz.Reset(w)
		wr.bw.Reset(wr.gz)
	}
	wr.gz.ModTime = time.Unix(0, 0) // MTIME 0, "no time" (the zero time.Time would wrap around)
	wr.gz.OS = 255                  // "unknown", as compress/gzip writes it
	return wr, nil
}

// writeFile copies one file, hashing it if asked, failing if its size
// changed since Scan.
func writeFile(ctx context.Context, tw *tar.Writer, fsys fs.FS, e Entry, h *tar.Header, buf []byte, withSum bool) (FileInfo, error) {
	f, err := fsys.Open(e.Path)
	if err != nil {
		return FileInfo{}, err
	}
	defer f.Close()
	// Scan saw a regular file; a link or special file swapped in since is
	// not archived (an os.Root file system keeps the open inside the pack).
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return FileInfo{}, fmt.Errorf("the file changed while it was archived: it is no longer a regular file")
	}
	if err := tw.WriteHeader(h); err != nil {
		return FileInfo{}, err
	}
	var (
		dst io.Writer = onlyWriter{tw} // not tar's ReadFrom: it would bypass buf
		sum hash.Hash
	)
	if withSum {
		sum = sha256.New()
		dst = io.MultiWriter(tw, sum)
	}
	src := io.LimitReader(ctxReader{ctx, f}, e.Size+1)
	n, err := io.CopyBuffer(dst, src, buf)
	if errors.Is(err, tar.ErrWriteTooLong) || (err == nil && n != e.Size) {
		return FileInfo{}, fmt.Errorf("the file changed while it was archived (it had %d bytes)", e.Size)
	}
	if err != nil {
		return FileInfo{}, err
	}
	fi := FileInfo{Type: File, Exec: e.Exec}
	if withSum {
		fi.SHA256 = hex.EncodeToString(sum.Sum(nil))
	}
	return fi, nil
}

// ctxReader stops a long copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
