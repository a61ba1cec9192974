package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"archive/tar"
	"compress/gzip"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "update golden files")

// build archives the pack at dir and returns the archive bytes.
func build(t *testing.T, dir string) ([]byte, Contents) {
	t.Helper()
	fsys := os.DirFS(dir)
	entries, findings, err := Scan(context.Background(), fsys, Options{})
	if err != nil || len(findings) > 0 {
		t.Fatalf("Scan() = %v, %v", findings, err)
	}
	var buf bytes.Buffer
	c, err := Write(context.Background(), &buf, fsys, filepath.Base(dir), entries, Options{})
	if err != nil {
		t.Fatalf("Write() = %v", err)
	}
	return buf.Bytes(), c
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// copyPack copies testdata/demo to a new folder named demo, applying umask-like
// permission bits, an owner and an mtime to every file.
func copyPack(t *testing.T, perm fs.FileMode, uid int, mtime time.Time) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "demo")
	err := filepath.WalkDir("testdata/demo", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata/demo", p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if err := os.MkdirAll(target, 0o755|perm); err != nil {
				return err
			}
		} else {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			info, _ := d.Info()
			mode := 0o600 | perm&0o066
			if info.Mode()&0o100 != 0 {
				mode |= 0o700 | perm&0o011
			}
			if err := os.WriteFile(target, b, mode); err != nil {
				return err
			}
			if err := os.Chmod(target, mode); err != nil {
				return err
			}
		}
		if err := os.Lchown(target, uid, uid); err != nil {
			return err
		}
		return os.Chtimes(target, mtime, mtime)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestWrite_reproducible(t *testing.T) {
	t.Parallel()
	a, _ := build(t, copyPack(t, 0o022, 0, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)))
	b, _ := build(t, copyPack(t, 0o077&^0o022|0o044, 4242, time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)))
	if sha(a) != sha(b) {
		t.Fatalf("archives differ across mtime, umask and owner: %s vs %s", sha(a), sha(b))
	}
}

func TestWrite_golden(t *testing.T) {
	t.Parallel()
	b, _ := build(t, copyPack(t, 0o022, 1000, time.Now()))
	got := listing(t, b)
	file := "testdata/demo.golden.txt"
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("archive listing mismatch (-want +got):\n%s", diff)
	}
}

// listing renders one line per tar entry: type, mode, uid/gid, names, mtime, size, sha256, name.
func listing(t *testing.T, b []byte) string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("gzip header has name %q, mtime %v", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	var out strings.Builder
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		fmt.Fprintf(&out, "%c %04o %d/%d %q/%q %d %d %s %s", h.Typeflag, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime.Unix(), h.Size, sha(body)[:12], h.Name)
		if h.Linkname != "" {
			out.WriteString(" -> " + h.Linkname)
		}
		out.WriteString("\n")
	}
	return out.String()
}

func ExampleWrite() {
	fsys := fstest.MapFS{
		"pack.json":   {Data: []byte(`{"name":"demo","version":"1.0.0"}`)},
		"values.yaml": {Data: []byte("pack: {}\n")},
		"logo.png":    {Data: []byte("\x89PNG")},
	}
	entries, _, _ := Scan(context.Background(), fsys, Options{})
	h := sha256.New()
	_, _ = Write(context.Background(), h, fsys, "demo", entries, Options{})
	fmt.Printf("%x\n", h.Sum(nil))
	// Output: 4ff2a67350ec1c33cac29f7de2274b093850f3ad139e5fcad8b6479532dd7ee9
}

func TestScan_findings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		rule  string
		file  string
		msg   string
	}{
		{"absolute link", func(t *testing.T, d string) { must(t, os.Symlink("/etc/passwd", filepath.Join(d, "x"))) }, "A3", "x", "absolute path"},
		{"absolute link inside", func(t *testing.T, d string) {
			must(t, os.Symlink(filepath.Join(d, "pack.json"), filepath.Join(d, "x")))
		}, "A3", "x", "absolute path"},
		{"dotdot escape", func(t *testing.T, d string) { must(t, os.Symlink("../../secret", filepath.Join(d, "x"))) }, "A3", "x", "leaves the pack"},
		{"chain escape", func(t *testing.T, d string) {
			must(t, os.Mkdir(filepath.Join(d, "sub"), 0o755))
			must(t, os.Symlink("../up", filepath.Join(d, "sub", "a")))
			must(t, os.Symlink("..", filepath.Join(d, "up")))
		}, "A3", "sub/a", "leaves the pack"},
		{"through dir link", func(t *testing.T, d string) {
			must(t, os.Symlink("..", filepath.Join(d, "parent")))
			must(t, os.Symlink("parent/other/file", filepath.Join(d, "x")))
		}, "A3", "parent", "leaves the pack"},
		{"loop", func(t *testing.T, d string) {
			must(t, os.Symlink("b", filepath.Join(d, "a")))
			must(t, os.Symlink("a", filepath.Join(d, "b")))
		}, "A3", "a", "chain"},
		{"fifo", func(t *testing.T, d string) { must(t, syscall.Mkfifo(filepath.Join(d, "pipe"), 0o644)) }, "A4", "pipe", "special file"},
		{"control char", func(t *testing.T, d string) { must(t, os.WriteFile(filepath.Join(d, "a\x01b"), nil, 0o644)) }, "A6", `a\x01b`, "control character"},
		{"not utf8", func(t *testing.T, d string) { must(t, os.WriteFile(filepath.Join(d, "a\xffb"), nil, 0o644)) }, "A6", `a\xffb`, "UTF-8"},
		{"oversize", func(t *testing.T, d string) {
			must(t, os.WriteFile(filepath.Join(d, "big"), make([]byte, 2048), 0o644))
		}, "A5", "big", "cap"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			must(t, os.WriteFile(filepath.Join(dir, "pack.json"), []byte("{}"), 0o644))
			tc.setup(t, dir)
			_, findings, err := Scan(context.Background(), os.DirFS(dir), Options{MaxFileSize: 1024})
			if err != nil {
				t.Fatalf("Scan() error = %v", err)
			}
			for _, f := range findings {
				if f.Rule == tc.rule && f.File == tc.file && strings.Contains(f.Message, tc.msg) && f.Fix != "" {
					return
				}
			}
			t.Errorf("Scan() findings = %+v, want %s on %s mentioning %q", findings, tc.rule, tc.file, tc.msg)
		})
	}
}

func TestScan_linksInside(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "p")
	must(t, os.MkdirAll(filepath.Join(dir, "charts", "real"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "charts", "real", "c.yaml"), []byte("x"), 0o644))
	must(t, os.Symlink("charts/real/c.yaml", filepath.Join(dir, "file-link")))
	must(t, os.Symlink("real", filepath.Join(dir, "charts", "dir-link")))
	must(t, os.Symlink("missing", filepath.Join(dir, "dangling")))
	must(t, os.MkdirAll(filepath.Join(dir, ".git", "objects"), 0o755))
	entries, findings, err := Scan(context.Background(), os.DirFS(dir), Options{})
	if err != nil || len(findings) != 0 {
		t.Fatalf("Scan() = %v, %v; want no findings", findings, err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, fmt.Sprintf("%s %s %s", e.Type, e.Path, e.Link))
	}
	want := []string{"dir charts ", "symlink charts/dir-link real", "dir charts/real ", "file charts/real/c.yaml ", "symlink dangling missing", "symlink file-link charts/real/c.yaml"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Scan() entries mismatch (-want +got):\n%s", diff)
	}
}

func TestReadContents_roundTripAndSystemTar(t *testing.T) {
	t.Parallel()
	dir := copyPack(t, 0o022, 0, time.Now())
	b, ours := build(t, dir)
	got, err := ReadContents(bytes.NewReader(b), Options{})
	if err != nil {
		t.Fatalf("ReadContents() = %v", err)
	}
	if diff := cmp.Diff(ours, got); diff != "" {
		t.Errorf("round trip mismatch (-write +read):\n%s", diff)
	}
	// An archive made by hand with tar compares equal.
	out := filepath.Join(t.TempDir(), "demo-1.0.0.tar.gz")
	if o, err := exec.Command("tar", "-czf", out, "-C", filepath.Dir(dir), "demo").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, o)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	theirs, err := ReadContents(f, Options{})
	if err != nil {
		t.Fatalf("ReadContents(system tar) = %v", err)
	}
	if d := Diff(ours, theirs); len(d) != 0 {
		t.Errorf("Diff(ours, system tar) = %v, want none", d)
	}
	// Differences are listed.
	theirs["values.yaml"] = FileInfo{Type: File, SHA256: "00"}
	theirs["extra.txt"] = FileInfo{Type: File}
	delete(theirs, "pack.json")
	mod := theirs["bin/run.sh"]
	mod.Exec = false
	theirs["bin/run.sh"] = mod
	want := []string{"bin/run.sh (executable bit differs)", "extra.txt (only in theirs)", "pack.json (only in ours)", "values.yaml (content differs)"}
	if diff := cmp.Diff(want, Diff(ours, theirs)); diff != "" {
		t.Errorf("Diff() mismatch (-want +got):\n%s", diff)
	}
}

func TestReadContents_hostile(t *testing.T) {
	t.Parallel()
	mk := func(names ...string) []byte {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		tw := tar.NewWriter(gz)
		for _, n := range names {
			_ = tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644})
		}
		tw.Close()
		gz.Close()
		return buf.Bytes()
	}
	valid := mk("p/a", "p/b")
	tests := []struct {
		name string
		data []byte
		opts Options
	}{
		{"dotdot", mk("p/../../etc/passwd"), Options{}},
		{"absolute", mk("/etc/passwd"), Options{}},
		{"two tops", mk("a/x", "b/y"), Options{}},
		{"too many", mk("p/1", "p/2", "p/3"), Options{MaxEntries: 2}},
		{"truncated", valid[:len(valid)/2], Options{}},
		{"not gzip", []byte("hello"), Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := ReadContents(bytes.NewReader(tc.data), tc.opts); err == nil {
				t.Errorf("ReadContents(%s) = nil error, want one", tc.name)
			}
		})
	}
}

func FuzzReadContents(f *testing.F) {
	var buf bytes.Buffer
	fsys := fstest.MapFS{"a": {Data: []byte("x")}, "d/b": {Data: []byte("y"), Mode: 0o755}}
	entries, _, _ := Scan(context.Background(), fsys, Options{})
	_, _ = Write(context.Background(), &buf, fsys, "p", entries, Options{})
	f.Add(buf.Bytes())
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ReadContents(bytes.NewReader(b), Options{MaxEntries: 1000, MaxFileSize: 1 << 20, MaxTotalSize: 1 << 22})
		if err == nil {
			for p := range c {
				if strings.HasPrefix(p, "/") || p == ".." || strings.HasPrefix(p, "../") {
					t.Fatalf("unsafe path %q accepted", p)
				}
			}
		}
	})
}

func FuzzWriteRoundTrip(f *testing.F) {
	f.Add("a.txt", []byte("hello"), true)
	f.Fuzz(func(t *testing.T, name string, data []byte, exec bool) {
		if !fs.ValidPath(name) || name == "." || badName(name) != "" || strings.Contains(name, ".git") {
			return
		}
		mode := fs.FileMode(0o644)
		if exec {
			mode = 0o755
		}
		fsys := fstest.MapFS{name: {Data: data, Mode: mode}}
		entries, findings, err := Scan(context.Background(), fsys, Options{})
		if err != nil || len(findings) > 0 {
			return
		}
		var buf bytes.Buffer
		ours, err := Write(context.Background(), &buf, fsys, "top", entries, Options{})
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := ReadContents(&buf, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if d := Diff(ours, theirs); len(d) > 0 {
			t.Fatalf("round trip differs: %v", d)
		}
	})
}

func BenchmarkWrite(b *testing.B) {
	fsys := fstest.MapFS{}
	var total int64
	for i := range 20 {
		data := bytes.Repeat([]byte(fmt.Sprintf("line %d of some yaml: value\n", i)), 1<<15)
		fsys[fmt.Sprintf("f%02d.yaml", i)] = &fstest.MapFile{Data: data}
		total += int64(len(data))
	}
	entries, _, _ := Scan(context.Background(), fsys, Options{})
	b.SetBytes(total)
	for b.Loop() {
		if _, err := Write(context.Background(), io.Discard, fsys, "p", entries, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
