package pack

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// TestRules_registry: every rule id the code reports is in the registry
// with a complete README entry, and every registered rule is reported
// somewhere.
func TestRules_registry(t *testing.T) {
	t.Parallel()
	emitted := map[string]bool{}
	call := regexp.MustCompile(`(?:\bfind\(|\bfindAt\(|NewFinding\(|\bbad\(|\badd\(|Rule: *|rule :?= *|fileList\("\w+", )"([A-Z][0-9]+)"`)
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if filepath.Base(p) == "rules.go" {
			return nil
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			emitted[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("rule %s is registered twice", r.ID)
		}
		seen[r.ID] = true
		if r.Checks == "" || r.Why == "" || r.Source == "" || r.File == "" || !slices.Contains([]Severity{SeverityError, SeverityWarning, SeverityNotice}, r.Level) {
			t.Errorf("rule %s has an incomplete entry: %+v", r.ID, r)
		}
		if !emitted[r.ID] {
			t.Errorf("rule %s is registered but no code reports it", r.ID)
		}
	}
	for id := range emitted {
		if !seen[id] {
			t.Errorf("rule %s is reported but not registered in rules.go", id)
		}
	}
}

func TestParseIgnore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ids     []string
		want    Ignore
		wantErr string
	}{
		{nil, Ignore{}, ""},
		{[]string{"N7", "v5", " F4 "}, Ignore{"N7": true, "V5": true, "F4": true}, ""},
		{[]string{"N77"}, nil, `"N77" is not a rule id (did you mean N7?)`},
		{[]string{"V55", "F1"}, nil, `"V55" is not a rule id (did you mean V5?); F1 cannot be ignored`},
		{[]string{"lint"}, nil, `"lint" is not a rule id; the README lists the rules`},
	}
	for _, tc := range tests {
		got, err := ParseIgnore(tc.ids)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseIgnore(%q) error = %v, want %q", tc.ids, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !cmp.Equal(got, tc.want) {
			t.Errorf("ParseIgnore(%q) = %v, %v; want %v", tc.ids, got, err, tc.want)
		}
	}
}

// TestLoad_ignore: an ignored rule reports nothing, the others still do.
func TestLoad_ignore(t *testing.T) {
	t.Parallel()
	fsys := withJSON(basePack(), map[string]any{"version": "v1.2.3", "cloudTypes": nil})
	delete(fsys, "README.md")
	_, findings := Load(t.Context(), fsys, Options{Ignore: Ignore{"N3": true, "F4": true}})
	var rules []string
	for _, f := range findings {
		rules = append(rules, f.Rule)
	}
	if diff := cmp.Diff([]string{"F9"}, rules); diff != "" {
		t.Errorf("rules reported (-want +got):\n%s\n%v", diff, findings)
	}
}

func TestCheckSet(t *testing.T) {
	t.Parallel()
	pk := func(name, display, version string) *Pack {
		return &Pack{Name: name, DisplayName: display, Version: version}
	}
	members := []Member{
		{Dir: "packs/app-1.0.0", Pack: pk("app", "App", "1.0.0"), Valid: true},
		{Dir: "packs/app-copy", Pack: pk("app", "App", "1.0.0"), Valid: true},      // N6, N7
		{Dir: "packs/app", Pack: pk("app", "The App", "2.0.0"), Valid: true},       // N8
		{Dir: "packs/broken", Pack: pk("broken", "B", "1.0.0"), Valid: false},      // N7 only
		{Dir: "packs/broken-1.0.0", Pack: pk("broken", "B", "1.0.0"), Valid: true}, // not N6: the first is invalid
		{Dir: "packs/none", Pack: nil},
	}
	got := CheckSet(members, nil)
	var lines []string
	for i, fs := range got {
		for _, f := range fs {
			lines = append(lines, members[i].Dir+" "+f.File+" "+string(f.Severity)+" "+f.Rule+": "+f.Message)
		}
	}
	want := []string{
		`packs/app-copy packs/app-copy/pack.json notice N7: the folder "app-copy" is named neither "app" nor "app-1.0.0"`,
		`packs/app-copy packs/app-copy/pack.json error N6: packs/app-1.0.0 and packs/app-copy both publish app:1.0.0`,
		`packs/app packs/app/pack.json warning N8: displayName "The App" differs from "App" in packs/app-1.0.0 for the same name "app"`,
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("CheckSet() (-want +got):\n%s", diff)
	}
	if got := CheckSet(members, Ignore{"N7": true, "N8": true}); len(got[1]) != 1 || got[1][0].Rule != "N6" || len(got[2]) != 0 {
		t.Errorf("CheckSet(ignoring N7, N8) = %v", got)
	}
}

func TestCheckBump(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prev, cur string
		want      string // "" for no finding
	}{
		{`{"version":"1.0.0"}`, "1.0.1", ""},
		{`{"version":"1.0.0"}`, "1.0.0", "error B1: the pack changed since 0123456789ab but its version is still 1.0.0"},
		{`{"version":"2.0.0"}`, "1.9.9", "error B1: version went down from 2.0.0 to 1.9.9"},
		{`{"version":"1.12.0"}`, "v1.12.0", "error B1: version v1.12.0 is the same as 1.12.0, written differently"},
		{`{"version":"23.07.1"}`, "23.10.0", ""},
		{`{"version":"1.5"}`, "1.6", ""},
		{`{"version":"nightly"}`, "1.0.0", "notice B2: version changed from nightly to 1.0.0, which cannot be ordered"},
		{`not json`, "1.0.0", ""},
		{``, "1.0.0", ""},
	}
	for _, tc := range tests {
		var prev []byte
		if tc.prev != "" {
			prev = []byte(tc.prev)
		}
		got := CheckBump("packs/a", &Pack{Version: tc.cur}, prev, "0123456789abcdef", nil)
		switch {
		case tc.want == "" && len(got) != 0:
			t.Errorf("CheckBump(%s, %s) = %v, want nothing", tc.prev, tc.cur, got)
		case tc.want != "" && (len(got) != 1 || !strings.HasPrefix(string(got[0].Severity)+" "+got[0].Rule+": "+got[0].Message, tc.want) || got[0].File != "packs/a/pack.json"):
			t.Errorf("CheckBump(%s, %s) = %v, want %q", tc.prev, tc.cur, got, tc.want)
		}
	}
}

// TestLoad_emptyOptionalFiles: empty schema.yaml and presets.yaml are
// accepted, like an empty values.yaml.
func TestLoad_emptyOptionalFiles(t *testing.T) {
	t.Parallel()
	fsys := basePack()
	fsys["schema.yaml"] = &fstest.MapFile{}
	fsys["presets.yaml"] = &fstest.MapFile{Data: []byte("# no presets yet\n")}
	if _, findings := Load(t.Context(), fsys, Options{}); len(findings) != 0 {
		t.Errorf("Load() findings = %v, want none", findings)
	}
}

// TestLoad_presetPaths: schema.yaml keys and constraint references that a
// preset's add: block introduces are paths (S3, C6).
func TestLoad_presetPaths(t *testing.T) {
	t.Parallel()
	fsys := basePack()
	fsys["presets.yaml"] = &fstest.MapFile{Data: []byte("presets:\n  - name: api\n    displayName: API\n    group: Backend\n    remove: []\n    add: |\n      charts:\n        demo:\n          api:\n            enabled: true\n            replicas: 2\n")}
	fsys["schema.yaml"] = &fstest.MapFile{Data: []byte("charts.demo.api.enabled:\n  schema: '{{ format \"${boolean}\" }}'\ncharts.demo.api.missing:\n  schema: '{{ format \"${boolean}\" }}'\n")}
	_, findings := Load(t.Context(), fsys, Options{})
	if len(findings) != 1 || findings[0].Rule != "S3" || !strings.Contains(findings[0].Message, "charts.demo.api.missing") {
		t.Errorf("Load() findings = %v, want one S3 for charts.demo.api.missing", findings)
	}
}

// TestCheckTemplate_documentedExamples: the templates of Palette's Pack
// Constraints page pass S2, including regular expressions with escapes.
func TestCheckTemplate_documentedExamples(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`{{ required | format "${string}, ${string:/size=\d+/}" }}`,
		`{{ required | format "${ipv4} - ${ipv4}" | hints "ip pool range"}}`,
		`{{ format "${number:/^(500[0-5])$/}" }}`,
		`{{ format "${list:[PACK,GIT,CHART]}" }}`,
		`{{ format "${string:/^[0-9.]+\/[0-9]+$/}" }}`,
		`{{ hints "description A" "description B" }}`,
	} {
		if msg := checkTemplate(s); msg != "" {
			t.Errorf("checkTemplate(%s) = %q, want no problem", s, msg)
		}
	}
}

// TestLoad_enabledPresetsWithoutPresets: a pack without presets that
// keeps an enabled-presets comment (copied from another pack) gets no R3.
func TestLoad_enabledPresetsWithoutPresets(t *testing.T) {
	t.Parallel()
	fsys := basePack()
	delete(fsys, "presets.yaml")
	fsys["values.yaml"] = &fstest.MapFile{Data: append([]byte("# spectrocloud.com/enabled-presets: CNI:cni-disabled,Gateway:gateway-disabled\n"), fsys["values.yaml"].Data...)}
	if _, findings := Load(t.Context(), fsys, Options{}); len(findings) != 0 {
		t.Errorf("Load() findings = %v, want none", findings)
	}
}

// TestLoad_chartSectionNames: a values section may name a chart by its
// Chart.yaml name or by its file name without version (served packs do
// both); only a section that matches neither is reported.
func TestLoad_chartSectionNames(t *testing.T) {
	t.Parallel()
	values := func(key string) string {
		return "pack:\n  content:\n    images:\n      - image: x\ncharts:\n  " + key + ":\n    cpu: 1\n    replicas: 1\nmanifests:\n  app: {}\n"
	}
	for file, want := range map[string]map[string]string{
		"charts/ingress-demo.tgz":   {"demo": "", "ingress-demo": "", "other": "V4"},
		"charts/demo-v1.2.3.tgz":    {"demo": "", "demo-v1.2.3": "V4"},
		"charts/demo-chart-2.0.tgz": {"demo-chart": "", "demo": ""},
	} {
		for key, rule := range want {
			fsys := withJSON(basePack(), map[string]any{"charts": []string{file}, "constraints": nil})
			delete(fsys, "charts/demo-1.2.3.tgz")
			delete(fsys, "presets.yaml")
			delete(fsys, "schema.yaml")
			fsys[file] = &fstest.MapFile{Data: chartTgz("demo")}
			fsys["values.yaml"] = &fstest.MapFile{Data: []byte(values(key))}
			_, findings := Load(t.Context(), fsys, Options{})
			var got string
			for _, f := range findings {
				got += f.Rule
			}
			if got != rule {
				t.Errorf("%s with charts.%s: findings %v, want %q", file, key, findings, rule)
			}
		}
	}
}

// TestLoad_strayChartSections: old packs that put the chart's values
// right under charts: get one V4 naming the first few keys.
func TestLoad_strayChartSections(t *testing.T) {
	t.Parallel()
	fsys := basePack()
	delete(fsys, "presets.yaml")
	fsys["values.yaml"] = &fstest.MapFile{Data: []byte("pack:\n  content:\n    images:\n      - image: x\ncharts:\n  rbac: {create: true}\n  slack: {enabled: false}\n  resources: {}\n  image: {tag: 1}\n  cpu: 1\n  replicas: 1\nmanifests:\n  app: {}\n")}
	_, findings := Load(t.Context(), fsys, Options{})
	want := `no charts.demo section for charts/demo-1.2.3.tgz (chart name "demo"), but charts.rbac, charts.slack, charts.resources and 1 more name no chart of the pack`
	var v4 []string
	for _, f := range findings {
		if f.Rule == "V4" {
			v4 = append(v4, f.Message)
		}
	}
	if diff := cmp.Diff([]string{want}, v4); diff != "" {
		t.Errorf("V4 findings (-want +got):\n%s\nall: %v", diff, findings)
	}
}
