package pack

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/pack-publish/pack-publish/internal/goldentest"
)

var update = flag.Bool("update", false, "update golden files")

func TestLoad_examplePacks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dir    string
		charts []string
		kube   []string
	}{
		{"hello-universe", nil, []string{"manifests/hello-universe.yaml"}},
		{"prometheus-grafana", []string{"charts/prometheus-grafana-9.7.2.tgz"}, nil},
		{"hello-constraints", nil, []string{"manifests/hello-constraints.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			t.Parallel()
			p, findings := Load(t.Context(), os.DirFS(filepath.Join("../../testdata/packs", tc.dir)), Options{})
			if len(findings) != 0 || p == nil {
				t.Fatalf("Load(%s) = %+v, %v; want a pack and no findings", tc.dir, p, findings)
			}
			if p.Name != tc.dir || p.Layer != "addon" || p.Version == "" || p.DisplayName == "" ||
				!cmp.Equal(p.Charts, tc.charts) || !cmp.Equal(p.KubeManifests, tc.kube) {
				t.Errorf("Load(%s) = %+v", tc.dir, p)
			}
		})
	}
}

// TestLoad_invalid loads one fixture per core rule: each is a lint-clean
// pack but for one problem, so exactly one finding is expected.
func TestLoad_invalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture   string
		rule      string
		file      string
		line, col int
		msg       string
		noPack    bool
	}{
		{"trailing-comma", "F1", "pack.json", 9, 1, "not valid JSON: invalid character '}'", true},
		{"bom", "F1", "pack.json", 1, 1, "byte order mark", true},
		{"not-object", "F1", "pack.json", 1, 1, "must hold a JSON object, not an array", true},
		{"pack-json-dir", "F1", "pack.json", 0, 0, "pack.json is a directory", true},
		{"missing-name", "F5", "pack.json", 0, 0, `required field "name" is missing`, false},
		{"empty-layer", "F5", "pack.json", 5, 3, `field "layer" is empty`, false},
		{"layer-null", "F5", "pack.json", 5, 3, `field "layer" must be a string, not null`, false},
		{"version-number", "F5", "pack.json", 4, 3, `field "version" must be a string, not a number`, false},
		{"name-upper", "N1", "pack.json", 2, 3, `name "Demo" is not a valid OCI repository name component`, false},
		{"name-slash", "N1", "pack.json", 2, 3, `name "team/demo" is not a valid OCI repository name component`, false},
		{"version-plus", "N2", "pack.json", 4, 3, `version "1.0.0+build.5" is not a valid OCI tag`, false},
		{"values-missing", "F2", "values.yaml", 0, 0, "values.yaml is missing", false},
		{"values-bad", "F2", "values.yaml", 8, 0, "values.yaml does not parse: yaml: line 8: ", false},
		{"alias-bomb", "F2", "values.yaml", 1, 0, "aliases expand to more than 1000000 nodes", false},
		{"logo-missing", "F3", "logo.png", 0, 0, "logo.png is missing", false},
		{"chart-missing", "F11", "pack.json", 9, 14, "charts[0]: charts/demo-1.0.0.tgz is missing", false},
		{"chart-escape", "F11", "pack.json", 9, 14, `charts[0] "../other/demo-1.0.0.tgz" is not a path inside the pack`, false},
		{"chart-absolute", "F11", "pack.json", 9, 14, `charts[0] "/charts/demo-1.0.0.tgz" is not a path inside the pack`, false},
		{"charts-not-array", "F11", "pack.json", 9, 3, `"charts" must be an array of file paths, not a string`, false},
		{"manifest-number", "F12", "pack.json", 8, 44, "kubeManifests[1] must be a string, not a number", false},
		{"manifest-dir", "F12", "pack.json", 8, 21, "kubeManifests[0]: manifests/demo.yaml is a directory, not a file", false},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			p, findings := Load(t.Context(), os.DirFS(filepath.Join("testdata/invalid", tc.fixture)), Options{})
			if len(findings) != 1 {
				t.Fatalf("Load(%s) = %d findings, want 1:\n%v", tc.fixture, len(findings), findings)
			}
			f := findings[0]
			want := Finding{Rule: tc.rule, Severity: SeverityError, File: tc.file, Line: tc.line, Column: tc.col, Message: f.Message, Fix: f.Fix}
			if diff := cmp.Diff(want, f); diff != "" || !strings.Contains(f.Message, tc.msg) || f.Fix == "" {
				t.Errorf("Load(%s) = %v\nwant %s at %d:%d containing %q with a fix (-want +got):\n%s", tc.fixture, f, tc.rule, tc.line, tc.col, tc.msg, diff)
			}
			if (p == nil) != tc.noPack {
				t.Errorf("Load(%s) pack = %+v, want nil: %v", tc.fixture, p, tc.noPack)
			}
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
		_, findings := Load(t.Context(), os.DirFS(filepath.Join("testdata/invalid", d.Name())), Options{})
		b.WriteString("== " + d.Name() + "\n")
		for _, f := range findings {
			b.WriteString(f.String() + "\n")
		}
	}
	goldentest.Check(t, "testdata/findings.golden.txt", b.String(), *update)
}

// TestLoad_symlinks: links are followed only while they stay inside the
// pack; nothing outside it is read.
func TestLoad_symlinks(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	must(t, os.WriteFile(filepath.Join(outside, "pack.json"), []byte(`{"name":"x","version":"1.0.0","displayName":"X","layer":"os"}`), 0o644))
	must(t, os.WriteFile(filepath.Join(outside, "app.yaml"), []byte("kind: ConfigMap\n"), 0o644))
	must(t, os.Mkdir(filepath.Join(outside, "charts"), 0o755))
	must(t, os.WriteFile(filepath.Join(outside, "charts", "demo-1.0.0.tgz"), []byte("tgz"), 0o644))

	type link struct{ name, target string }
	tests := []struct {
		name  string
		move  string // a file moved to "moved/<file>" before the links are made
		links []link
		setJS map[string]any
		rule  string // "" for no finding
		msg   string
	}{
		{name: "pack.json inside", move: "pack.json", links: []link{{"pack.json", "moved/pack.json"}}},
		{name: "pack.json absolute", links: []link{{"pack.json", filepath.Join(outside, "pack.json")}}, rule: "F1", msg: "pack.json leads through a symlink to outside the pack folder"},
		{name: "pack.json relative out", links: []link{{"pack.json", "RELATIVE/pack.json"}}, rule: "F1", msg: "outside the pack folder"},
		{name: "values loop", links: []link{{"values.yaml", "a"}, {"a", "values.yaml"}}, rule: "F2", msg: "values.yaml goes through more than 40 symlinks"},
		{name: "logo dangling", links: []link{{"logo.png", "nothing.png"}}, rule: "F3", msg: "logo.png is missing"},
		{name: "manifest dir inside", move: "manifests", links: []link{{"manifests", "moved/manifests"}}},
		{name: "manifest absolute", links: []link{{"manifests/hello-universe.yaml", filepath.Join(outside, "app.yaml")}}, rule: "F12", msg: "kubeManifests[0]: manifests/hello-universe.yaml leads through a symlink to outside"},
		{name: "charts dir out", links: []link{{"charts", outside + "/charts"}}, setJS: map[string]any{"charts": []string{"charts/demo-1.0.0.tgz"}}, rule: "F11", msg: "charts[0]: charts/demo-1.0.0.tgz leads through a symlink to outside"},
		{name: "charts climbing", links: []link{{"up", "manifests/../.."}, {"charts", "up/RELATIVE/charts"}}, setJS: map[string]any{"charts": []string{"charts/demo-1.0.0.tgz"}}, rule: "F11", msg: "outside the pack folder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "pack")
			must(t, os.CopyFS(dir, os.DirFS("../../testdata/packs/hello-universe")))
			if tc.setJS != nil {
				writeJSON(t, filepath.Join(dir, "pack.json"), tc.setJS)
			}
			if tc.move != "" {
				must(t, os.Mkdir(filepath.Join(dir, "moved"), 0o755))
				must(t, os.Rename(filepath.Join(dir, tc.move), filepath.Join(dir, "moved", tc.move)))
			}
			rel, err := filepath.Rel(dir, outside) // RELATIVE in a target
			must(t, err)
			for _, l := range tc.links {
				_ = os.RemoveAll(filepath.Join(dir, l.name))
				must(t, os.Symlink(strings.ReplaceAll(l.target, "RELATIVE", filepath.ToSlash(rel)), filepath.Join(dir, l.name)))
			}
			p, findings := Load(t.Context(), os.DirFS(dir), Options{})
			if tc.rule == "" {
				if len(findings) != 0 || p == nil || p.Name != "hello-universe" {
					t.Errorf("Load() = %+v, %v; want the pack and no findings", p, findings)
				}
				return
			}
			if len(findings) != 1 || findings[0].Rule != tc.rule || !strings.Contains(findings[0].Message, tc.msg) {
				t.Errorf("Load() findings = %v; want one %s containing %q", findings, tc.rule, tc.msg)
			}
		})
	}
}

func TestLoad_sizeCap(t *testing.T) {
	t.Parallel()
	fsys := basePack()
	fsys["values.yaml"].Data = append(fsys["values.yaml"].Data, []byte("# "+strings.Repeat("x", 2000)+"\n")...)
	_, findings := Load(t.Context(), fsys, Options{MaxFileSize: 1024})
	want := []Finding{{Rule: "F2", Severity: SeverityError, File: "values.yaml", Message: "values.yaml is larger than the cap of 1024 bytes",
		Fix: "add values.yaml (it may be empty) at the root of the pack folder"}}
	if diff := cmp.Diff(want, findings); diff != "" {
		t.Errorf("Load() findings mismatch (-want +got):\n%s", diff)
	}
}

// TestLoad_allFindings: problems in every file are all reported at once.
func TestLoad_allFindings(t *testing.T) {
	t.Parallel()
	fsys := withJSON(basePack(), map[string]any{"name": "Demo", "version": "v2", "charts": []any{"../x.tgz", true}})
	delete(fsys, "logo.png")
	fsys["values.yaml"] = &fstest.MapFile{Data: []byte("a: [\n")}
	_, findings := Load(t.Context(), fsys, Options{})
	var got []string
	for _, f := range findings {
		if f.Severity == SeverityError {
			got = append(got, f.Rule)
		}
	}
	want := []string{"N1", "F11", "F11", "F2", "F3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load() error rules mismatch (-want +got):\n%s\n%v", diff, findings)
	}
}

func TestLoad_emptyValues(t *testing.T) {
	t.Parallel()
	fsys := withJSON(basePack(), map[string]any{"layer": "os", "addonType": nil, "charts": nil, "kubeManifests": nil, "constraints": nil})
	fsys["values.yaml"] = &fstest.MapFile{}
	delete(fsys, "schema.yaml")
	p, findings := Load(t.Context(), fsys, Options{})
	if p == nil || len(findings) != 0 {
		t.Errorf("Load() = %+v, %v; want the pack and no findings", p, findings)
	}
}

func TestLoad_canceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	p, findings := Load(ctx, basePack(), Options{})
	if p != nil || len(findings) != 1 || !strings.Contains(findings[0].Message, "context canceled") {
		t.Errorf("Load(canceled) = %+v, %v; want nil and one finding", p, findings)
	}
}

func writeJSON(t *testing.T, file string, set map[string]any) {
	t.Helper()
	fsys := fstest.MapFS{}
	b, err := os.ReadFile(file)
	must(t, err)
	fsys["pack.json"] = &fstest.MapFile{Data: b}
	must(t, os.WriteFile(file, withJSON(fsys, set)["pack.json"].Data, 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestLoad_manyProblems: a pack.json with thousands of bad entries gives at
// most maxPerRule findings per rule and file, then one summary.
func TestLoad_manyProblems(t *testing.T) {
	t.Parallel()
	var sb strings.Builder
	sb.WriteString(`{"name":"demo","displayName":"Demo","version":"1.0.0","layer":"addon","addonType":"app services","cloudTypes":[`)
	sb.WriteString(strings.Repeat(`"mars",`, 5000))
	sb.WriteString(`"all"],"charts":[`)
	for i := range 5000 {
		fmt.Fprintf(&sb, "%d,", i)
	}
	sb.WriteString(`"../x"]}`)
	fsys := basePack()
	fsys["pack.json"] = &fstest.MapFile{Data: []byte(sb.String())}
	_, findings := Load(t.Context(), fsys, Options{})
	count := map[string]int{}
	var summaries []string
	for _, f := range findings {
		count[f.Rule]++
		if strings.Contains(f.Message, "not shown") {
			summaries = append(summaries, f.String())
		}
	}
	want := []string{
		"pack.json: error F11: 4981 more F11 findings in pack.json are not shown (fix: fix the findings above and run again to see the rest)",
		"pack.json: warning F9: 4980 more F9 findings in pack.json are not shown (fix: fix the findings above and run again to see the rest)",
	}
	if diff := cmp.Diff(want, summaries); diff != "" || count["F11"] != maxPerRule+1 || count["F9"] != maxPerRule+1 {
		t.Errorf("Load() counts %v, summaries mismatch (-want +got):\n%s", count, diff)
	}
}
