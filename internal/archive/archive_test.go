package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pack-publish/pack-publish/internal/goldentest"
)

var update = flag.Bool("update", false, "update golden files")

// build scans and archives the pack at dir, failing on any finding.
func build(t *testing.T, dir string) ([]byte, Contents) {
	t.Helper()
	fsys := os.DirFS(dir)
	entries, findings, err := Scan(t.Context(), fsys, Options{})
	if err != nil || len(findings) > 0 {
		t.Fatalf("Scan(%s) = %v, %v", dir, findings, err)
	}
	var buf bytes.Buffer
	c, err := Write(t.Context(), &buf, fsys, filepath.Base(dir), entries, Options{})
	if err != nil {
		t.Fatalf("Write(%s) = %v", dir, err)
	}
	return buf.Bytes(), c
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// tree is how copyPack lays out the files of a pack on disk.
type tree struct {
	file, exec, dir fs.FileMode // permissions after the umask
	uid             int
	mtime           time.Time
}

// copyPack copies testdata/demo into a new folder named demo with tr's
// permissions, owner and mtime, and adds what git cannot keep in testdata:
// a symlink inside the pack and a .git folder, which is never archived.
func copyPack(t *testing.T, tr tree) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "demo")
	err := filepath.WalkDir("testdata/demo", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata/demo", p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.Mkdir(target, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	must(t, err)
	must(t, os.Symlink("demo.yaml", filepath.Join(dst, "manifests", "current.yaml")))
	must(t, os.MkdirAll(filepath.Join(dst, ".git", "objects"), 0o700))
	must(t, os.WriteFile(filepath.Join(dst, ".git", "HEAD"), []byte("ref: refs/heads/main\n"), 0o600))
	// Modes, owners and times last, children before their folder.
	var paths []string
	must(t, filepath.WalkDir(dst, func(p string, _ fs.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	}))
	for i := len(paths) - 1; i >= 0; i-- {
		p := paths[i]
		info, err := os.Lstat(p)
		must(t, err)
		switch mode := tr.file; {
		case info.Mode().Type() == fs.ModeSymlink:
		case info.IsDir():
			must(t, os.Chmod(p, tr.dir))
		default:
			if strings.HasSuffix(p, ".sh") {
				mode = tr.exec
			}
			must(t, os.Chmod(p, mode))
		}
		must(t, os.Lchown(p, tr.uid, tr.uid))
		if info.Mode().Type() != fs.ModeSymlink {
			must(t, os.Chtimes(p, tr.mtime, tr.mtime))
		}
	}
	return dst
}

var defaultTree = tree{file: 0o644, exec: 0o755, dir: 0o755, mtime: time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC)}

func TestWrite_reproducible(t *testing.T) {
	t.Parallel()
	trees := map[string]tree{
		"umask 022, root":      defaultTree,
		"umask 077, uid 4242":  {file: 0o600, exec: 0o700, dir: 0o700, uid: 4242, mtime: time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)},
		"umask 002, owner +x":  {file: 0o664, exec: 0o744, dir: 0o775, uid: 1000, mtime: time.Now()},
		"group/other writable": {file: 0o666, exec: 0o777, dir: 0o777, uid: 65534, mtime: time.Unix(1, 0)},
	}
	want, wantContents := build(t, copyPack(t, defaultTree))
	for name, tr := range trees {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, contents := build(t, copyPack(t, tr))
			if sha(got) != sha(want) {
				t.Errorf("Write() digest = %s, want %s (the same pack)", sha(got), sha(want))
			}
			if diff := cmp.Diff(wantContents, contents); diff != "" {
				t.Errorf("Write() contents mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWrite_golden(t *testing.T) {
	t.Parallel()
	b, _ := build(t, copyPack(t, defaultTree))
	got := fmt.Sprintf("# sha256 of the archive: %s\n%s", sha(b), listing(t, b))
	goldentest.Check(t, "testdata/demo.golden.txt", got, *update)
}

// listing renders one line per tar entry: type, mode, uid/gid, uname/gname,
// mtime, size, sha256, name and link target.
func listing(t *testing.T, b []byte) string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	must(t, err)
	if gz.Name != "" || gz.Comment != "" || !gz.ModTime.IsZero() || gz.Extra != nil {
		t.Errorf("gzip header = %+v, want it empty", gz.Header)
	}
	tr := tar.NewReader(gz)
	var out strings.Builder
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		must(t, err)
		body, err := io.ReadAll(tr)
		must(t, err)
		fmt.Fprintf(&out, "%c %04o %d/%d %q/%q %d %d %s %s", h.Typeflag, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime.Unix(), h.Size, sha(body), h.Name)
		if h.Linkname != "" {
			out.WriteString(" -> " + h.Linkname)
		}
		out.WriteString("\n")
	}
	return out.String()
}

// TestWrite_headers checks that PAX records appear only for names USTAR
// cannot hold, and that such names round-trip.
func TestWrite_headers(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("folder/", 22) + "f.yaml"    // 162 bytes: USTAR splits it into prefix and name
	long := "x" + strings.Repeat("-long", 24) + ".yaml" // one name over USTAR's 100 bytes: PAX
	fsys := fstest.MapFS{
		"a.yaml":     {Data: []byte("a")},
		"größe.yaml": {Data: []byte("b")},
		deep:         {Data: []byte("c")},
		long:         {Data: []byte("d")},
	}
	entries, findings, err := Scan(t.Context(), fsys, Options{})
	if err != nil || len(findings) > 0 {
		t.Fatalf("Scan() = %v, %v", findings, err)
	}
	var buf bytes.Buffer
	ours, err := Write(t.Context(), &buf, fsys, "p", entries, Options{ModTime: time.Unix(1700000000, 999)})
	must(t, err)
	gz, err := gzip.NewReader(bytes.NewReader(buf.Bytes()))
	must(t, err)
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		must(t, err)
		needPAX := strings.Contains(h.Name, "größe") || strings.Contains(h.Name, "-long")
		if gotPAX := len(h.PAXRecords) > 0; gotPAX != needPAX {
			t.Errorf("%s: PAX records %v, want PAX %v", h.Name, h.PAXRecords, needPAX)
		}
		if h.ModTime.Unix() != 1700000000 || h.ModTime.Nanosecond() != 0 || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Errorf("%s: times %v/%v/%v, want mtime 1700000000 only", h.Name, h.ModTime, h.AccessTime, h.ChangeTime)
		}
	}
	theirs, err := ReadContents(bytes.NewReader(buf.Bytes()), Options{})
	must(t, err)
	if diff := cmp.Diff(ours, theirs); diff != "" {
		t.Errorf("round trip mismatch (-write +read):\n%s", diff)
	}
}

func TestWrite_errors(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"a": {Data: []byte("abc")}}
	tests := []struct {
		name    string
		top     string
		entries []Entry
	}{
		{"empty top", "", []Entry{{Path: "a", Type: File, Size: 3}}},
		{"top with slash", "x/y", []Entry{{Path: "a", Type: File, Size: 3}}},
		{"top dotdot", "..", []Entry{{Path: "a", Type: File, Size: 3}}},
		{"path escapes", "p", []Entry{{Path: "../a", Type: File, Size: 3}}},
		{"path repeated", "p", []Entry{{Path: "a", Type: File, Size: 3}, {Path: "a", Type: File, Size: 3}}},
		{"file grew", "p", []Entry{{Path: "a", Type: File, Size: 2}}},
		{"file shrank", "p", []Entry{{Path: "a", Type: File, Size: 4}}},
		{"file gone", "p", []Entry{{Path: "b", Type: File, Size: 1}}},
		{"unknown type", "p", []Entry{{Path: "a", Type: "fifo"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Write(t.Context(), io.Discard, fsys, tc.top, tc.entries, Options{}); err == nil {
				t.Errorf("Write(%q, %+v) = nil error, want one", tc.top, tc.entries)
			}
		})
	}
	t.Run("canceled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := Write(ctx, io.Discard, fsys, "p", []Entry{{Path: "a", Type: File, Size: 3}}, Options{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Write(canceled) = %v, want context.Canceled", err)
		}
	})
}

func TestFileName(t *testing.T) {
	t.Parallel()
	if got, want := FileName("prometheus", "1.2.3-rc.1"), "prometheus-1.2.3-rc.1.tar.gz"; got != want {
		t.Errorf("FileName() = %q, want %q", got, want)
	}
}

// BenchmarkWrite archives 20 MiB: 10 MiB of random bytes in 1 MiB files
// (chart tarballs, images) and 10 MiB of text in 10 KiB files (manifests).
func BenchmarkWrite(b *testing.B) {
	fsys := fstest.MapFS{}
	rng := rand.NewChaCha8([32]byte{1})
	var total int64
	for i := range 10 {
		data := make([]byte, 1<<20)
		_, _ = rng.Read(data)
		fsys[fmt.Sprintf("charts/c%02d.tgz", i)] = &fstest.MapFile{Data: data}
		total += int64(len(data))
	}
	for i := range 1024 {
		line := fmt.Appendf(nil, "key%d: value %d # manifest line\n", i%97, i)
		data := bytes.Repeat(line, 10<<10/len(line)+1)[:10<<10]
		fsys[fmt.Sprintf("manifests/%02d/m%04d.yaml", i%16, i)] = &fstest.MapFile{Data: data}
		total += int64(len(data))
	}
	entries, findings, err := Scan(b.Context(), fsys, Options{})
	if err != nil || len(findings) > 0 {
		b.Fatalf("Scan() = %v, %v", findings, err)
	}
	b.SetBytes(total)
	for b.Loop() {
		if _, err := Write(b.Context(), io.Discard, fsys, "p", entries, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWrite_pooledWriters: a compressor taken from the pool, after archives
// of other content and a Write that failed half-way, writes the same bytes
// as a new one. Not parallel, so that the first Write is the only user of a
// fresh pool.
func TestWrite_pooledWriters(t *testing.T) {
	writerPool = sync.Pool{}
	dir := copyPack(t, defaultTree)
	fresh, _ := build(t, dir)

	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 3<<20) // fills the compressor's window and tables
	for i := range noise {
		noise[i] = byte(rng.Uint32() % 7)
	}
	other := fstest.MapFS{"noise.bin": {Data: noise}, "zz-grew": {Data: []byte("abc")}}
	for range 3 {
		if _, err := Write(t.Context(), io.Discard, other, "other", []Entry{{Path: "noise.bin", Type: File, Size: int64(len(noise))}}, Options{}); err != nil {
			t.Fatal(err)
		}
		// fails after the noise was compressed
		if _, err := Write(t.Context(), io.Discard, other, "other", []Entry{{Path: "noise.bin", Type: File, Size: int64(len(noise))}, {Path: "zz-grew", Type: File, Size: 2}}, Options{}); err == nil {
			t.Fatal("Write(file grew) = nil error, want one")
		}
		if again, _ := build(t, dir); !bytes.Equal(again, fresh) {
			t.Fatalf("Write() with a pooled compressor = sha256 %s, want %s as with a new one", sha(again), sha(fresh))
		}
	}
}

// TestWrite_skipContents: without the contents, the same bytes, and the
// contents ReadContents reads back are those Write would have returned.
func TestWrite_skipContents(t *testing.T) {
	t.Parallel()
	dir := copyPack(t, defaultTree)
	want, wantContents := build(t, dir)
	fsys := os.DirFS(dir)
	entries, _, err := Scan(t.Context(), fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	contents, err := Write(t.Context(), &buf, fsys, filepath.Base(dir), entries, Options{SkipContents: true})
	if err != nil || contents != nil {
		t.Fatalf("Write(SkipContents) = %v, %v; want nil contents", contents, err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("Write(SkipContents) = sha256 %s, want %s", sha(buf.Bytes()), sha(want))
	}
	got, err := ReadContents(bytes.NewReader(buf.Bytes()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantContents, got); diff != "" {
		t.Errorf("contents read back (-Write +ReadContents):\n%s", diff)
	}
}

// TestWrite_swappedForLink: a file Scan saw as regular and that is replaced
// by a symlink to a file outside the pack before Write is not archived: the
// os.Root file system refuses the open, and the file must be regular.
func TestWrite_swappedForLink(t *testing.T) {
	t.Parallel()
	outside := filepath.Join(t.TempDir(), "host-secret")
	must(t, os.WriteFile(outside, []byte("abc"), 0o600))
	for _, target := range []string{outside, "../" + filepath.Base(filepath.Dir(outside)) + "/host-secret"} {
		dir := t.TempDir()
		must(t, os.WriteFile(filepath.Join(dir, "a"), []byte("abc"), 0o644))
		root, err := os.OpenRoot(dir)
		must(t, err)
		defer root.Close()
		entries, findings, err := Scan(t.Context(), root.FS(), Options{})
		if err != nil || len(findings) > 0 || len(entries) != 1 {
			t.Fatalf("Scan() = %v, %v, %v", entries, findings, err)
		}
		must(t, os.Remove(filepath.Join(dir, "a")))
		must(t, os.Symlink(target, filepath.Join(dir, "a")))
		var out bytes.Buffer
		if _, err := Write(t.Context(), &out, root.FS(), "p", entries, Options{}); err == nil {
			t.Errorf("Write() after a swap for a link to %s = nil error, want one", target)
		}
	}
	// A file that became a folder is no regular file either.
	fsys := fstest.MapFS{"a": {Mode: fs.ModeDir | 0o755}}
	if _, err := Write(t.Context(), io.Discard, fsys, "p", []Entry{{Path: "a", Type: File, Size: 0}}, Options{}); err == nil {
		t.Errorf("Write() of a file that became a folder = nil error, want one")
	}
}
