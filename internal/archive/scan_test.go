package archive

import (
	"bytes"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/pack-publish/pack-publish/internal/integration"
	"github.com/pack-publish/pack-publish/internal/pack"
)

func TestScan_findings(t *testing.T) {
	t.Parallel()
	write := func(t *testing.T, p string, size int) { must(t, os.WriteFile(p, make([]byte, size), 0o644)) }
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) // dir is a pack folder named p holding pack.json
		opts  Options
		want  []string // "rule file", in walk order
		msg   string   // in the first finding's message
	}{
		{"absolute link", func(t *testing.T, d string) {
			must(t, os.Symlink("/etc/passwd", filepath.Join(d, "x")))
		}, Options{}, []string{"A3 x"}, "absolute path"},
		{"absolute link inside", func(t *testing.T, d string) {
			must(t, os.Symlink(filepath.Join(d, "pack.json"), filepath.Join(d, "x")))
		}, Options{}, []string{"A3 x"}, "absolute path"},
		{"dotdot escape", func(t *testing.T, d string) {
			must(t, os.Symlink("../../secret", filepath.Join(d, "x")))
		}, Options{}, []string{"A3 x"}, "leaves the pack"},
		{"out and back in", func(t *testing.T, d string) {
			must(t, os.Symlink("../p/pack.json", filepath.Join(d, "x")))
		}, Options{}, []string{"A3 x"}, "leaves the pack"},
		{"chain escape", func(t *testing.T, d string) {
			must(t, os.Mkdir(filepath.Join(d, "sub"), 0o755))
			must(t, os.Symlink("../up/secret", filepath.Join(d, "sub", "a")))
			must(t, os.Symlink("..", filepath.Join(d, "up")))
		}, Options{}, []string{"A3 sub/a", "A3 up"}, "through the link up"},
		{"through dir link", func(t *testing.T, d string) {
			must(t, os.Symlink("..", filepath.Join(d, "parent")))
			must(t, os.Symlink("parent/other/file", filepath.Join(d, "x")))
		}, Options{}, []string{"A3 parent", "A3 x"}, "leaves the pack"},
		{"dotdot after dir link", func(t *testing.T, d string) {
			// d points up two levels, so d/../.. is above the pack although
			// "s/t/d/../../.." reads as the pack folder itself.
			must(t, os.MkdirAll(filepath.Join(d, "s", "t"), 0o755))
			must(t, os.Mkdir(filepath.Join(d, "top"), 0o755))
			must(t, os.Symlink("../../top", filepath.Join(d, "s", "t", "d")))
			must(t, os.Symlink("s/t/d/../../../secret", filepath.Join(d, "x")))
		}, Options{}, []string{"A3 x"}, "through the link s/t/d"},
		{"chain to absolute", func(t *testing.T, d string) {
			must(t, os.Symlink("b", filepath.Join(d, "a")))
			must(t, os.Symlink("/etc", filepath.Join(d, "b")))
		}, Options{}, []string{"A3 a", "A3 b"}, "absolute path"},
		// A Windows extractor reads a backslash as a separator (security review I6).
		{"backslash climbing", func(t *testing.T, d string) {
			must(t, os.Symlink(`a\..\..\x`, filepath.Join(d, "x")))
		}, Options{}, []string{"A3 x"}, "holds a backslash"},
		{"backslash inside", func(t *testing.T, d string) {
			must(t, os.Mkdir(filepath.Join(d, "sub"), 0o755))
			must(t, os.Symlink(`sub\pack.json`, filepath.Join(d, "x")))
		}, Options{}, []string{"A3 x"}, "holds a backslash"},
		{"chain to a backslash", func(t *testing.T, d string) {
			must(t, os.Symlink("b", filepath.Join(d, "a")))
			must(t, os.Symlink(`..\x`, filepath.Join(d, "b")))
		}, Options{}, []string{"A3 a", "A3 b"}, "holds a backslash"},
		{"loop", func(t *testing.T, d string) {
			must(t, os.Symlink("b", filepath.Join(d, "a")))
			must(t, os.Symlink("a", filepath.Join(d, "b")))
		}, Options{}, []string{"A3 a", "A3 b"}, "chain of more than 40 links"},
		{"fifo", func(t *testing.T, d string) {
			must(t, syscall.Mkfifo(filepath.Join(d, "pipe"), 0o644))
		}, Options{}, []string{"A4 pipe"}, "FIFO"},
		{"socket", func(t *testing.T, d string) {
			l, err := net.Listen("unix", filepath.Join(d, "sock"))
			must(t, err)
			t.Cleanup(func() { l.Close() })
		}, Options{}, []string{"A4 sock"}, "socket"},
		{"control char", func(t *testing.T, d string) {
			write(t, filepath.Join(d, "a\x1bb"), 1)
		}, Options{}, []string{`A6 a\x1bb`}, "control character"},
		{"not utf8", func(t *testing.T, d string) {
			write(t, filepath.Join(d, "a\xffb"), 1)
		}, Options{}, []string{`A6 a\xffb`}, "UTF-8"},
		{"bad folder name, reported once", func(t *testing.T, d string) {
			must(t, os.Mkdir(filepath.Join(d, "d\n"), 0o755))
			write(t, filepath.Join(d, "d\n", "f"), 1)
		}, Options{}, []string{`A6 d\n`}, "control character"},
		{"link target with control char", func(t *testing.T, d string) {
			must(t, os.Symlink("a\rb", filepath.Join(d, "x")))
		}, Options{}, []string{"A6 x"}, "target"},
		{"file over the cap", func(t *testing.T, d string) {
			write(t, filepath.Join(d, "big"), 1025)
		}, Options{MaxFileSize: 1024}, []string{"A5 big"}, "more than the cap of 1024"},
		{"pack over the cap", func(t *testing.T, d string) {
			write(t, filepath.Join(d, "a"), 1000)
			write(t, filepath.Join(d, "b"), 1000)
		}, Options{MaxTotalSize: 1500}, []string{"A5 ."}, "more than the cap of 1500"},
		{"too many entries", func(t *testing.T, d string) {
			write(t, filepath.Join(d, "a"), 1)
			write(t, filepath.Join(d, "b"), 1)
		}, Options{MaxEntries: 2}, []string{"A5 ."}, "more than 2"},
		{"all problems at once", func(t *testing.T, d string) {
			must(t, syscall.Mkfifo(filepath.Join(d, "a-pipe"), 0o644))
			must(t, os.Symlink("/", filepath.Join(d, "b-root")))
			write(t, filepath.Join(d, "c-big"), 2048)
		}, Options{MaxFileSize: 1024}, []string{"A4 a-pipe", "A3 b-root", "A5 c-big"}, "FIFO"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "p")
			must(t, os.Mkdir(dir, 0o755))
			must(t, os.WriteFile(filepath.Join(dir, "pack.json"), []byte("{}"), 0o644))
			tc.setup(t, dir)
			entries, findings, err := Scan(t.Context(), os.DirFS(dir), tc.opts)
			if err != nil {
				t.Fatalf("Scan() error = %v", err)
			}
			var got []string
			for _, f := range findings {
				got = append(got, f.Rule+" "+f.File)
				if f.Severity != pack.SeverityError || f.Message == "" || f.Fix == "" {
					t.Errorf("finding %+v: want severity error, a message and a fix", f)
				}
				if slices.ContainsFunc(entries, func(e Entry) bool { return e.Path == f.File }) {
					t.Errorf("Scan() archives %s despite finding %s", f.File, f)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("Scan() findings mismatch (-want +got):\n%s\n%v", diff, findings)
			}
			if !strings.Contains(findings[0].Message, tc.msg) {
				t.Errorf("Scan() finding = %q, want it to mention %q", findings[0].Message, tc.msg)
			}
		})
	}
}

func TestScan_device(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := syscall.Mknod(filepath.Join(dir, "null"), syscall.S_IFCHR|0o644, 1<<8|3); err != nil {
		integration.Skip(t, "mknod: %v (needs CAP_MKNOD)", err)
	}
	_, findings, err := Scan(t.Context(), os.DirFS(dir), Options{})
	if err != nil || len(findings) != 1 || findings[0].Rule != "A4" || !strings.Contains(findings[0].Message, "character device") {
		t.Errorf("Scan() = %v, %v; want one A4 for a character device", findings, err)
	}
}

// TestScan_linksInside checks that links resolving inside the pack are
// archived as links with their target as written, that they work once
// extracted, and that .git (a folder or a submodule's file) is skipped.
func TestScan_linksInside(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "p")
	for _, d := range []string{"charts/real", ".git/objects"} {
		must(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	files := map[string]string{"charts/real/c.yaml": "chart", "values.yaml": "values", "charts/.git": "gitdir: ../.git/modules/x"}
	for p, s := range files {
		must(t, os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644))
	}
	links := map[string]string{
		"file-link":        "charts/real/c.yaml",
		"charts/dir-link":  "real",
		"through-dir-link": "charts/dir-link/c.yaml",
		"chain":            "file-link",
		"charts/up":        "../values.yaml",
		"dangling":         "missing/file",
		"self-dir":         ".",
	}
	for p, target := range links {
		must(t, os.Symlink(target, filepath.Join(dir, p)))
	}
	entries, findings, err := Scan(t.Context(), os.DirFS(dir), Options{})
	if err != nil || len(findings) != 0 {
		t.Fatalf("Scan() = %v, %v; want no findings", findings, err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, strings.TrimSpace(fmt.Sprintf("%s %s %s", e.Type, e.Path, e.Link)))
	}
	want := []string{
		"symlink chain file-link",
		"dir charts",
		"symlink charts/dir-link real",
		"dir charts/real",
		"file charts/real/c.yaml",
		"symlink charts/up ../values.yaml",
		"symlink dangling missing/file",
		"symlink file-link charts/real/c.yaml",
		"symlink self-dir .",
		"symlink through-dir-link charts/dir-link/c.yaml",
		"file values.yaml",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Scan() entries mismatch (-want +got):\n%s", diff)
	}

	archive, _ := build(t, dir)
	out := t.TempDir()
	cmd := exec.Command("tar", "-xzf", "-", "-C", out)
	cmd.Stdin = bytes.NewReader(archive)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar -x: %v\n%s", err, b)
	}
	for p, want := range map[string]string{"chain": "chart", "through-dir-link": "chart", "charts/up": "values", "self-dir/values.yaml": "values"} {
		if b, err := os.ReadFile(filepath.Join(out, "p", p)); err != nil || string(b) != want {
			t.Errorf("extracted %s = %q, %v; want %q", p, b, err, want)
		}
	}
}

// TestScan_mapFS checks a file system without a disk: fstest.MapFS links are
// checked like real ones, and a file system that cannot read links has its
// links refused rather than followed.
func TestScan_mapFS(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"a":       {Data: []byte("a")},
		"in":      {Data: []byte("a"), Mode: fs.ModeSymlink},
		"out":     {Data: []byte("../x"), Mode: fs.ModeSymlink},
		".git/x":  {Data: []byte("x")},
		"d/.git":  {Data: []byte("x")},
		"d/exec":  {Data: []byte("x"), Mode: 0o700},
		"d/plain": {Data: []byte("x"), Mode: 0o666},
	}
	tests := []struct {
		name string
		fsys fs.FS
		want []string
	}{
		{"MapFS", fsys, []string{"A3 out"}},
		{"no ReadLinkFS", struct{ fs.FS }{fsys}, []string{"A3 in", "A3 out"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			entries, findings, err := Scan(t.Context(), tc.fsys, Options{})
			if err != nil {
				t.Fatalf("Scan() error = %v", err)
			}
			var got []string
			for _, f := range findings {
				got = append(got, f.Rule+" "+f.File)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Scan() findings mismatch (-want +got):\n%s", diff)
			}
			for _, e := range entries {
				if e.Exec != (e.Path == "d/exec") {
					t.Errorf("Scan() entry %s has Exec %v", e.Path, e.Exec)
				}
				if strings.Contains(e.Path, ".git") {
					t.Errorf("Scan() archives %s", e.Path)
				}
			}
		})
	}
}
