package pack

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "update golden files")

func TestLoad_examplePacks(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"hello-universe", "prometheus-grafana", "hello-constraints"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, findings := Load(context.Background(), os.DirFS(filepath.Join("../../testdata/packs", name)), Options{})
			if len(findings) != 0 || p == nil || p.Name != name {
				t.Errorf("Load(%s) = %+v, %v; want the pack and no findings", name, p, findings)
			}
		})
	}
}

func TestLoad_invalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture string
		rule    string
		file    string
		line    int
		msg     string
	}{
		{"trailing-comma", "F1", "pack.json", 6, "not valid JSON"},
		{"bom", "F1", "pack.json", 1, "byte order mark"},
		{"not-object", "F1", "pack.json", 1, "must hold a JSON object"},
		{"pack-json-dir", "F1", "pack.json", 0, "is a directory"},
		{"missing-name", "F5", "pack.json", 0, `required field "name" is missing`},
		{"empty-layer", "F5", "pack.json", 5, `field "layer" is empty`},
		{"version-number", "F5", "pack.json", 3, `"version" must be a string, not a number`},
		{"name-upper", "N1", "pack.json", 2, "not a valid OCI repository name"},
		{"name-slash", "N1", "pack.json", 2, "not a valid OCI repository name"},
		{"version-v", "N3", "pack.json", 3, `starts with "v"`},
		{"version-plus", "N2", "pack.json", 3, "not a valid OCI tag"},
		{"values-missing", "F2", "values.yaml", 0, "values.yaml is missing"},
		{"values-bad", "F2", "values.yaml", 2, "does not parse"},
		{"alias-bomb", "F2", "values.yaml", 0, "aliases expand"},
		{"logo-missing", "F3", "logo.png", 0, "logo.png is missing"},
		{"chart-missing", "F11", "pack.json", 7, "charts/gateway-api-crds-1.4.0.tgz is missing"},
		{"chart-escape", "F11", "pack.json", 6, "not a path inside the pack"},
		{"charts-not-array", "F11", "pack.json", 6, "must be an array"},
		{"manifest-dir", "F12", "pack.json", 6, "is a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			_, findings := Load(context.Background(), os.DirFS(filepath.Join("testdata/invalid", tc.fixture)), Options{})
			for _, f := range findings {
				if f.Rule == tc.rule && f.File == tc.file && (tc.line == 0 || f.Line == tc.line) && strings.Contains(f.Message, tc.msg) && f.Fix != "" {
					return
				}
			}
			t.Errorf("Load(%s) findings:\n%v\nwant %s at %s:%d containing %q with a fix", tc.fixture, findings, tc.rule, tc.file, tc.line, tc.msg)
		})
	}
}

// TestLoad_golden renders the findings of every invalid fixture.
func TestLoad_golden(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir("testdata/invalid")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, d := range dirs {
		_, findings := Load(context.Background(), os.DirFS(filepath.Join("testdata/invalid", d.Name())), Options{})
		fmt.Fprintf(&b, "== %s\n", d.Name())
		for _, f := range findings {
			b.WriteString(f.String() + "\n")
		}
	}
	const file = "testdata/findings.golden.txt"
	if *update {
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("findings mismatch (-want +got):\n%s", diff)
	}
}

func TestLoad_symlinks(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "pack.json"), []byte(`{"name":"x","version":"1.0.0","displayName":"X","layer":"addon"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	must(t, os.Symlink(filepath.Join(outside, "pack.json"), filepath.Join(dir, "pack.json")))
	must(t, os.WriteFile(filepath.Join(dir, "values.yaml"), nil, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "logo.png"), []byte("png"), 0o644))
	// Load follows a link to read it; the archive scan (A3) refuses links that leave the pack.
	if _, findings := Load(context.Background(), os.DirFS(dir), Options{}); len(findings) != 0 {
		t.Logf("findings: %v", findings)
	}
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, p := range []string{"packs/a/pack.json", "packs/a/charts/sub/pack.json", "packs/a-b/pack.json", "packs/group/c/pack.json",
		"packs/group/c/x/pack.json", "other/d/pack.json", "packs/.git/e/pack.json", "packs/notapack/values.yaml"} {
		must(t, os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755))
		must(t, os.WriteFile(filepath.Join(root, p), []byte("{}"), 0o644))
	}
	must(t, os.MkdirAll(filepath.Join(root, "packs/dirpack/pack.json"), 0o755)) // a directory named pack.json: a (broken) pack
	must(t, os.Symlink(filepath.Join(root, "other"), filepath.Join(root, "packs/linked")))
	fsys := os.DirFS(root)
	tests := []struct {
		roots []string
		want  []string
		err   string
	}{
		{[]string{"packs"}, []string{"packs/a", "packs/a-b", "packs/dirpack", "packs/group/c"}, ""},
		{[]string{"packs", "other", "packs/group"}, []string{"other/d", "packs/a", "packs/a-b", "packs/dirpack", "packs/group/c"}, ""},
		{[]string{"."}, []string{"other/d", "packs/a", "packs/a-b", "packs/dirpack", "packs/group/c"}, ""},
		{[]string{"packs/a/charts"}, []string{"packs/a/charts/sub"}, ""},
		{[]string{"missing"}, nil, "does not exist"},
		{[]string{"../x"}, nil, "not a folder inside the workspace"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.roots, ","), func(t *testing.T) {
			t.Parallel()
			got, err := Discover(context.Background(), fsys, tc.roots)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("Discover(%v) error = %v, want %q", tc.roots, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Discover(%v) = %v", tc.roots, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Discover(%v) mismatch (-want +got):\n%s", tc.roots, diff)
			}
		})
	}
}

func FuzzLoadPackJSON(f *testing.F) {
	for _, s := range []string{`{"name":"x","version":"1.0.0","displayName":"X","layer":"addon","charts":["a"]}`, `{`, `[]`, `{"charts":[1,{"a":2},"../x"]}`, "\ufeff{}", `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys := mapFS{"pack.json": b}
		_, findings := Load(context.Background(), fsys, Options{})
		lines := strings.Count(string(b), "\n") + 1
		for _, fd := range findings {
			if fd.Line < 0 || fd.Line > lines || fd.Column < 0 {
				t.Fatalf("finding %v out of the file (%d lines)", fd, lines)
			}
		}
	})
}

func FuzzCheckYAML(f *testing.F) {
	f.Add([]byte("a: &a [1,2]\nb: [*a,*a]\n"))
	f.Add([]byte("pack:\n  namespace: x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = checkYAML(b)
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
