package pack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiscover(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, p := range []string{
		"packs/a/pack.json",
		"packs/a/charts/sub/pack.json", // a chart's own pack.json belongs to packs/a
		"packs/a-b/pack.json",
		"packs/group/c/pack.json",
		"packs/group/c/x/pack.json",
		"packs/group/readme.md",
		"other/d/pack.json",
		"packs/.git/e/pack.json",
		"packs/notapack/values.yaml",
		"packs/file",
	} {
		must(t, os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755))
		must(t, os.WriteFile(filepath.Join(root, p), []byte("{}"), 0o644))
	}
	must(t, os.MkdirAll(filepath.Join(root, "packs/dirpack/pack.json"), 0o755)) // a directory named pack.json: a (broken) pack
	must(t, os.Symlink(filepath.Join(root, "other"), filepath.Join(root, "packs/linked")))
	must(t, os.Symlink("../other", filepath.Join(root, "packs/linked-rel")))
	fsys := os.DirFS(root)
	all := []string{"other/d", "packs/a", "packs/a-b", "packs/dirpack", "packs/group/c"}
	tests := []struct {
		name  string
		roots []string
		want  []string
		err   string
	}{
		{"one root", []string{"packs"}, []string{"packs/a", "packs/a-b", "packs/dirpack", "packs/group/c"}, ""},
		{"overlapping roots in any order", []string{"packs/group", "other", "packs", "./packs/", "other/d"}, all, ""},
		{"workspace root", []string{"."}, all, ""},
		{"empty root is the workspace", []string{""}, all, ""},
		{"no roots", nil, []string{}, ""},
		{"no packs", []string{"packs/notapack"}, []string{}, ""},
		{"root inside a pack", []string{"packs/a/charts/sub"}, []string{"packs/a"}, ""},
		{"root is a pack", []string{"packs/a", "packs/a/charts"}, []string{"packs/a"}, ""},
		{"missing root", []string{"packs", "missing"}, nil, `packs folder "missing" does not exist; check packs-dir`},
		{"root leaves the workspace", []string{"../x"}, nil, `packs folder "../x" is not inside the workspace`},
		{"absolute root", []string{"/etc"}, nil, `packs folder "/etc" is not inside the workspace`},
		{"root is a file", []string{"packs/file"}, nil, `packs folder "packs/file" is not a folder`},
		{"root is a symlink", []string{"packs/linked"}, nil, `goes through the symlink packs/linked, which is not followed`},
		{"root goes through a symlink", []string{"packs/linked-rel/d"}, nil, `goes through the symlink packs/linked-rel`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Discover(t.Context(), fsys, tc.roots)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("Discover(%q) = %v, %v; want error %q", tc.roots, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Discover(%q) = %v", tc.roots, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Discover(%q) mismatch (-want +got):\n%s", tc.roots, diff)
			}
		})
	}
}

// TestDiscover_examplePacks finds the repository's own example packs.
func TestDiscover_examplePacks(t *testing.T) {
	t.Parallel()
	got, err := Discover(t.Context(), os.DirFS("../.."), []string{"testdata/packs"})
	want := []string{"testdata/packs/hello-constraints", "testdata/packs/hello-universe", "testdata/packs/prometheus-grafana"}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("Discover(testdata/packs) = %v, %v; want %v", got, err, want)
	}
}
