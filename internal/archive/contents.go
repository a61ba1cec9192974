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
	"slices"
	"strings"
)

// FileInfo is what the re-run comparison looks at for one path: its type, the
// executable bit and the bytes (files) or the target (symlinks). Modes,
// owners, times, order and compression are deliberately left out.
type FileInfo struct {
	Type   EntryType `json:"type"`
	Exec   bool      `json:"exec,omitempty"`
	SHA256 string    `json:"sha256,omitempty"`
	Link   string    `json:"link,omitempty"`
}

// Contents maps paths below an archive's top-level folder to their FileInfo.
type Contents map[string]FileInfo

// ErrUnsafeArchive is wrapped by ReadContents errors for archives with names
// that leave the archive's folder or that exceed the caps.
var ErrUnsafeArchive = errors.New("unsafe archive")

// maxTrailing bounds what is read after the tar end marker to reach the
// gzip checksum; tar pads to 10 KiB records.
const maxTrailing = 1 << 20

// ReadContents reads a tar.gz stream, whoever made it (pack-publish, or
// `tar czf` or `git archive` and `oras push` by hand), and returns its
// Contents without the single top-level folder. Parent folders missing from
// the archive are added, hard links take the info of their target, and pax
// global headers are ignored. Names that leave the archive, more than one
// top-level folder, and streams over the caps of opts are errors; the gzip
// checksum is verified.
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
		if n == opts.MaxEntries {
			return nil, fmt.Errorf("reading tar: more than %d entries: %w", opts.MaxEntries, ErrUnsafeArchive)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue // git archive stores the commit id here
		}
		name := strings.TrimPrefix(h.Name, "./")
		clean := path.Clean(name)
		if path.IsAbs(name) || clean == ".." || strings.HasPrefix(clean, "../") {
			return nil, fmt.Errorf("reading tar: entry %q leaves the archive: %w", quote(h.Name), ErrUnsafeArchive)
		}
		first, rest, _ := strings.Cut(clean, "/")
		switch {
		case top == "":
			top = first
		case first != top:
			return nil, fmt.Errorf("reading tar: more than one top-level entry (%q and %q); a pack archive holds one folder: %w",
				quote(top), quote(first), ErrUnsafeArchive)
		}
		if rest == "" {
			if h.Typeflag != tar.TypeDir || first == "." {
				return nil, fmt.Errorf("reading tar: %q is not inside a top-level folder: %w", quote(h.Name), ErrUnsafeArchive)
			}
			continue
		}
		switch h.Typeflag {
		case tar.TypeDir:
			contents[rest] = FileInfo{Type: Dir}
		case tar.TypeSymlink:
			contents[rest] = FileInfo{Type: Symlink, Link: h.Linkname}
		case tar.TypeReg: // archive/tar reports the old TypeRegA as TypeReg
			if h.Size > opts.MaxFileSize || total+h.Size > opts.MaxTotalSize {
				return nil, fmt.Errorf("reading tar: %q makes the archive exceed its size caps: %w", quote(h.Name), ErrUnsafeArchive)
			}
			total += h.Size
			sum := sha256.New()
			if _, err := io.Copy(sum, tr); err != nil {
				return nil, fmt.Errorf("reading %q: %w", quote(h.Name), err)
			}
			contents[rest] = FileInfo{Type: File, Exec: h.Mode&0o111 != 0, SHA256: hex.EncodeToString(sum.Sum(nil))}
		case tar.TypeLink:
			// A hard link names an earlier entry; tar writes one for the
			// second name of a file with two.
			_, target, _ := strings.Cut(path.Clean(strings.TrimPrefix(h.Linkname, "./")), "/")
			fi, ok := contents[target]
			if !ok || fi.Type != File {
				fi = FileInfo{Type: "hard link"}
			}
			fi.Exec = h.Mode&0o111 != 0
			contents[rest] = fi
		default:
			contents[rest] = FileInfo{Type: EntryType(fmt.Sprintf("tar type %q", h.Typeflag))}
		}
	}
	// Reach the end of the gzip stream, so that its checksum is verified.
	if n, err := io.CopyN(io.Discard, gz, maxTrailing+1); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading gzip: %w", err)
	} else if n > maxTrailing {
		return nil, fmt.Errorf("reading gzip: more than %d bytes after the end of the tar: %w", maxTrailing, ErrUnsafeArchive)
	}
	// Some archivers omit folder entries: add the parents of every path so
	// that both sides of a comparison list them alike.
	for p := range contents {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if _, ok := contents[d]; !ok {
				contents[d] = FileInfo{Type: Dir}
			}
		}
	}
	return contents, nil
}

// Diff lists, sorted, what differs between our archive's Contents and
// theirs, one path per line such as "values.yaml (content differs)". An
// empty result means the same files. Unprintable names are escaped.
func Diff(ours, theirs Contents) []string {
	var out []string
	for p, a := range ours {
		b, ok := theirs[p]
		switch {
		case !ok:
			out = append(out, quote(p)+" (only in ours)")
		case a.Type != b.Type:
			out = append(out, fmt.Sprintf("%s (%s in ours, %s in theirs)", quote(p), a.Type, quote(string(b.Type))))
		case a.SHA256 != b.SHA256:
			out = append(out, quote(p)+" (content differs)")
		case a.Link != b.Link:
			out = append(out, fmt.Sprintf("%s (link target differs: %s in ours, %s in theirs)", quote(p), quote(a.Link), quote(b.Link)))
		case a.Exec != b.Exec:
			out = append(out, quote(p)+" (executable bit differs)")
		}
	}
	for p := range theirs {
		if _, ok := ours[p]; !ok {
			out = append(out, quote(p)+" (only in theirs)")
		}
	}
	slices.Sort(out)
	return out
}
