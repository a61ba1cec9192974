package archive

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// FileInfo is what the re-run comparison looks at for one path: its type,
// the executable bit and the bytes (files) or target (links). Modes, owners
// and times are deliberately left out.
type FileInfo struct {
	Type   EntryType `json:"type"`
	Exec   bool      `json:"exec,omitempty"`
	SHA256 string    `json:"sha256,omitempty"`
	Link   string    `json:"link,omitempty"`
}

// Contents maps paths below an archive's top-level folder to their FileInfo.
type Contents map[string]FileInfo

// ErrUnsafeArchive is returned for archives with names that leave the
// archive's folder.
var ErrUnsafeArchive = errors.New("unsafe archive")

// ReadContents reads a tar.gz stream, whoever made it (pack-publish, or
// `tar czf` and `oras push` by hand), and returns its Contents without the
// single top-level folder. Sizes and entry counts are capped by opts.
func ReadContents(r io.Reader, opts Options) (Contents, error) {
	opts = opts.withDefaults()
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("reading gzip: %w", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	contents := Contents{}
	top := ""
	var total int64
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading tar: %w", err)
		}
		if n >= opts.MaxEntries {
			return nil, fmt.Errorf("archive has more than %d entries: %w", opts.MaxEntries, ErrUnsafeArchive)
		}
		name := strings.TrimPrefix(h.Name, "./")
		clean := path.Clean(name)
		if path.IsAbs(name) || clean == ".." || strings.HasPrefix(clean, "../") {
			return nil, fmt.Errorf("entry %q leaves the archive: %w", safeName(h.Name), ErrUnsafeArchive)
		}
		first, rest, _ := strings.Cut(clean, "/")
		if top == "" {
			top = first
		} else if first != top {
			return nil, fmt.Errorf("archive has more than one top-level folder (%q and %q): %w", top, safeName(first), ErrUnsafeArchive)
		}
		if rest == "" || rest == "." {
			continue // the top-level folder itself
		}
		switch h.Typeflag {
		case tar.TypeDir:
			contents[rest] = FileInfo{Type: Dir}
		case tar.TypeSymlink:
			contents[rest] = FileInfo{Type: Symlink, Link: h.Linkname}
		case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old archives use TypeRegA
			if h.Size > opts.MaxFileSize || total+h.Size > opts.MaxTotalSize {
				return nil, fmt.Errorf("entry %q exceeds the size cap: %w", safeName(h.Name), ErrUnsafeArchive)
			}
			total += h.Size
			sum := sha256.New()
			if _, err := io.Copy(sum, tr); err != nil {
				return nil, fmt.Errorf("reading %q: %w", safeName(h.Name), err)
			}
			contents[rest] = FileInfo{Type: File, Exec: h.Mode&0o111 != 0, SHA256: hex.EncodeToString(sum.Sum(nil))}
		default:
			contents[rest] = FileInfo{Type: EntryType(fmt.Sprintf("type %q", h.Typeflag))}
		}
	}
	// Some archivers omit directory entries: add the parents of every path
	// so that both sides are compared alike.
	for p := range contents {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if _, ok := contents[d]; !ok {
				contents[d] = FileInfo{Type: Dir}
			}
		}
	}
	return contents, nil
}

// Diff lists, sorted, what differs between our archive and theirs: an empty
// result means the same files.
func Diff(ours, theirs Contents) []string {
	var out []string
	for p, a := range ours {
		b, ok := theirs[p]
		switch {
		case !ok:
			out = append(out, p+" (only in ours)")
		case a.Type != b.Type:
			out = append(out, fmt.Sprintf("%s (%s in ours, %s in theirs)", p, a.Type, b.Type))
		case a.SHA256 != b.SHA256 || a.Link != b.Link:
			out = append(out, p+" (content differs)")
		case a.Exec != b.Exec:
			out = append(out, p+" (executable bit differs)")
		}
	}
	for p := range theirs {
		if _, ok := ours[p]; !ok {
			out = append(out, p+" (only in theirs)")
		}
	}
	sort.Strings(out)
	return out
}
