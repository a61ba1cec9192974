package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestReadContents_roundTrip(t *testing.T) {
	t.Parallel()
	b, ours := build(t, copyPack(t, defaultTree))
	got, err := ReadContents(bytes.NewReader(b), Options{})
	if err != nil {
		t.Fatalf("ReadContents() = %v", err)
	}
	if diff := cmp.Diff(ours, got); diff != "" {
		t.Errorf("round trip mismatch (-write +read):\n%s", diff)
	}
	if got["manifests/current.yaml"] != (FileInfo{Type: Symlink, Link: "demo.yaml"}) || !got["bin/run.sh"].Exec {
		t.Errorf("ReadContents() = %+v, want the link and the executable", got)
	}
}

// TestReadContents_systemTar compares our archive with ones made by hand the
// ways a pack may have been published before: they hold the same files.
func TestReadContents_systemTar(t *testing.T) {
	t.Parallel()
	dir := copyPack(t, tree{file: 0o664, exec: 0o775, dir: 0o775, uid: 1000, mtime: defaultTree.mtime})
	// A second name for a file: tar stores it as a hard link, we as a file.
	must(t, os.Link(filepath.Join(dir, "values.yaml"), filepath.Join(dir, "values-copy.yaml")))
	must(t, os.RemoveAll(filepath.Join(dir, ".git"))) // tar would keep it
	_, ours := build(t, dir)
	tests := []struct {
		name string
		args []string
	}{
		{"sorted", []string{"--sort=name", "-czf", "-", "demo"}},
		{"unsorted gnu", []string{"--format=gnu", "-czf", "-", "demo"}},
		{"pax with dot prefix", []string{"--format=pax", "-czf", "-", "./demo"}},
		{"no folder entries", []string{"--no-recursion", "-czf", "-", "demo/pack.json", "demo/values.yaml", "demo/values-copy.yaml", "demo/bin/run.sh", "demo/manifests/demo.yaml", "demo/manifests/current.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("tar", tc.args...)
			cmd.Dir = filepath.Dir(dir)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("tar %v: %v\n%s", tc.args, err, stderr.Bytes())
			}
			theirs, err := ReadContents(bytes.NewReader(out), Options{})
			if err != nil {
				t.Fatalf("ReadContents(tar %v) = %v", tc.args, err)
			}
			if d := Diff(ours, theirs); len(d) != 0 {
				t.Errorf("Diff(ours, tar %v) = %q, want none", tc.args, d)
			}
		})
	}
}

// TestReadContents_gitArchive reads what `git archive --prefix=p/` makes: a
// pax global header with the commit id first, and no folder entries.
func TestReadContents_gitArchive(t *testing.T) {
	t.Parallel()
	b := mkArchive(t,
		&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "0123abcd"}},
		&tar.Header{Typeflag: tar.TypeReg, Name: "p/charts/a.tgz", Mode: 0o664, Size: 1},
		&tar.Header{Typeflag: tar.TypeLink, Name: "p/charts/b.tgz", Linkname: "p/charts/a.tgz", Mode: 0o775},
		&tar.Header{Typeflag: tar.TypeLink, Name: "p/c", Linkname: "p/nowhere"},
		&tar.Header{Typeflag: tar.TypeFifo, Name: "p/fifo"},
	)
	got, err := ReadContents(bytes.NewReader(b), Options{})
	if err != nil {
		t.Fatalf("ReadContents() = %v", err)
	}
	x := sha([]byte("x"))
	want := Contents{
		"charts":       {Type: Dir},
		"charts/a.tgz": {Type: File, SHA256: x},
		"charts/b.tgz": {Type: File, SHA256: x, Exec: true},
		"c":            {Type: "hard link"},
		"fifo":         {Type: `tar type '6'`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadContents() mismatch (-want +got):\n%s", diff)
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	ours := Contents{
		"bin":         {Type: Dir},
		"bin/run.sh":  {Type: File, Exec: true, SHA256: "aa"},
		"pack.json":   {Type: File, SHA256: "bb"},
		"values.yaml": {Type: File, SHA256: "cc"},
		"link":        {Type: Symlink, Link: "values.yaml"},
		"dir-or-file": {Type: Dir},
		"same":        {Type: File, SHA256: "dd"},
	}
	theirs := Contents{
		"bin":           {Type: Dir},
		"bin/run.sh":    {Type: File, SHA256: "aa"},
		"values.yaml":   {Type: File, SHA256: "00"},
		"link":          {Type: Symlink, Link: "pack.json"},
		"dir-or-file":   {Type: File, SHA256: "ee"},
		"same":          {Type: File, SHA256: "dd"},
		"extra.txt":     {Type: File},
		"evil\n::error": {Type: File},
	}
	want := []string{
		`bin/run.sh (executable bit differs)`,
		`dir-or-file (dir in ours, file in theirs)`,
		`evil\n::error (only in theirs)`,
		`extra.txt (only in theirs)`,
		`link (link target differs: values.yaml in ours, pack.json in theirs)`,
		`pack.json (only in ours)`,
		`values.yaml (content differs)`,
	}
	if diff := cmp.Diff(want, Diff(ours, theirs)); diff != "" {
		t.Errorf("Diff() mismatch (-want +got):\n%s", diff)
	}
	if d := Diff(ours, ours); len(d) != 0 {
		t.Errorf("Diff(ours, ours) = %q, want none", d)
	}
}

// mkArchive writes headers (and, for files, Size bytes of 'x') as a tar.gz.
func mkArchive(t testing.TB, headers ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range headers {
		must(t, tw.WriteHeader(h))
		_, err := tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
		must(t, err)
	}
	must(t, tw.Close())
	must(t, gz.Close())
	return buf.Bytes()
}

func TestReadContents_hostile(t *testing.T) {
	t.Parallel()
	file := func(name string, size int64) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size}
	}
	valid := mkArchive(t, file("p/a", 10), file("p/b", 10))
	corrupt := bytes.Clone(valid)
	corrupt[len(corrupt)-8] ^= 0xff // the CRC-32 in the gzip trailer
	var trailing bytes.Buffer
	gz := gzip.NewWriter(&trailing)
	tw := tar.NewWriter(gz)
	must(t, tw.WriteHeader(file("p/a", 0)))
	must(t, tw.Close())
	_, err := gz.Write(make([]byte, 2<<20)) // zeros after the tar end marker
	must(t, err)
	must(t, gz.Close())
	tests := []struct {
		name   string
		data   []byte
		opts   Options
		unsafe bool // wraps ErrUnsafeArchive
	}{
		{"dotdot", mkArchive(t, file("p/../../etc/passwd", 1)), Options{}, true},
		{"absolute", mkArchive(t, file("/etc/passwd", 1)), Options{}, true},
		{"two tops", mkArchive(t, file("a/x", 1), file("b/y", 1)), Options{}, true},
		{"no top folder", mkArchive(t, &tar.Header{Typeflag: tar.TypeDir, Name: "./"}, file("./pack.json", 1)), Options{}, true},
		{"file at the top", mkArchive(t, file("pack.json", 1)), Options{}, true},
		{"too many entries", mkArchive(t, file("p/1", 1), file("p/2", 1), file("p/3", 1)), Options{MaxEntries: 2}, true},
		{"file over the cap", valid, Options{MaxFileSize: 9}, true},
		{"archive over the cap", valid, Options{MaxTotalSize: 15}, true},
		{"trailing data", trailing.Bytes(), Options{}, true},
		{"truncated", valid[:len(valid)/2], Options{}, false},
		{"truncated trailer", valid[:len(valid)-4], Options{}, false},
		{"bad checksum", corrupt, Options{}, false},
		{"not gzip", []byte("hello"), Options{}, false},
		{"gzip, not tar", gzipped(t, []byte(strings.Repeat("hello", 200))), Options{}, false},
		{"empty", nil, Options{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := ReadContents(bytes.NewReader(tc.data), tc.opts)
			if err == nil {
				t.Fatalf("ReadContents() = %v, nil error; want an error", c)
			}
			if errors.Is(err, ErrUnsafeArchive) != tc.unsafe {
				t.Errorf("ReadContents() = %v; want errors.Is(ErrUnsafeArchive) %v", err, tc.unsafe)
			}
		})
	}
	if _, err := ReadContents(bytes.NewReader(valid), Options{}); err != nil {
		t.Errorf("ReadContents(valid) = %v", err)
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	_, err := gz.Write(b)
	must(t, err)
	must(t, gz.Close())
	return buf.Bytes()
}

func FuzzReadContents(f *testing.F) {
	var buf bytes.Buffer
	fsys := fstest.MapFS{"a": {Data: []byte("x")}, "d/b": {Data: []byte("y"), Mode: 0o755}, "l": {Data: []byte("a"), Mode: fs.ModeSymlink}}
	entries, _, _ := Scan(f.Context(), fsys, Options{})
	if _, err := Write(f.Context(), &buf, fsys, "p", entries, Options{}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(mkArchive(f, &tar.Header{Typeflag: tar.TypeLink, Name: "p/h", Linkname: "p/../x"}))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ReadContents(bytes.NewReader(b), Options{MaxEntries: 1000, MaxFileSize: 1 << 20, MaxTotalSize: 4 << 20})
		if err != nil {
			return
		}
		for p := range c {
			if !fs.ValidPath(p) || p == "." {
				t.Fatalf("ReadContents() returned the path %q", p)
			}
		}
	})
}

// FuzzWriteRoundTrip archives a pack of up to 8 files named by the lines of
// names and reads it back: the files must compare equal.
func FuzzWriteRoundTrip(f *testing.F) {
	f.Add("pack.json\nbin/run.sh\ncharts/app/app-1.0.0.tgz", []byte("hello, world"), uint8(2))
	f.Add("a\na/b", []byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, names string, data []byte, execMask uint8) {
		fsys := fstest.MapFS{}
		for i, name := range strings.SplitN(names, "\n", 8) {
			if !fs.ValidPath(name) || name == "." {
				return
			}
			mode := fs.FileMode(0o644)
			if execMask&(1<<i) != 0 {
				mode = 0o755
			}
			fsys[name] = &fstest.MapFile{Data: data[:len(data)*i/8], Mode: mode}
		}
		entries, findings, err := Scan(t.Context(), fsys, Options{})
		if err != nil || len(findings) > 0 {
			return // MapFS has a file where a folder is needed, or a name is unprintable
		}
		var buf bytes.Buffer
		ours, err := Write(t.Context(), &buf, fsys, "top", entries, Options{})
		if err != nil {
			t.Fatalf("Write() = %v", err)
		}
		theirs, err := ReadContents(&buf, Options{})
		if err != nil {
			t.Fatalf("ReadContents() = %v", err)
		}
		if d := Diff(ours, theirs); len(d) > 0 {
			t.Fatalf("round trip differs: %q", d)
		}
		for _, e := range entries {
			mf := fsys[e.Path]
			if fi := theirs[e.Path]; e.Type == File && (fi.Type != File || fi.SHA256 != sha(mf.Data) || fi.Exec != (mf.Mode&0o111 != 0)) {
				t.Fatalf("ReadContents()[%q] = %+v, want the file", e.Path, fi)
			}
		}
	})
}
