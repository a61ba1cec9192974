package pack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// basePack is a valid pack passing every rule.
func basePack() fstest.MapFS {
	pj := map[string]any{
		"name": "demo", "displayName": "Demo", "version": "1.2.3", "layer": "addon", "addonType": "monitoring",
		"cloudTypes": []string{"all"}, "charts": []string{"charts/demo-1.2.3.tgz"}, "kubeManifests": []string{"manifests/app.yaml"},
		"constraints": map[string]any{
			"dependencies": []any{map[string]any{"packName": "kubernetes", "layer": "k8s", "minVersion": "1.27.0", "maxVersion": "1.31.0", "type": "required"}},
			"resources": []any{map[string]any{"type": "cpu", "minLimit": 500, "components": []any{
				map[string]any{"scheduleType": "all", "resourceRequestParamRef": "charts.demo.cpu", "replicaCountParamRef": "charts.demo.replicas"}}}},
		},
	}
	b, _ := json.MarshalIndent(pj, "", "  ")
	return fstest.MapFS{
		"pack.json":             {Data: b},
		"values.yaml":           {Data: []byte("pack:\n  namespace: demo\n  content:\n    images:\n      - image: demo:1\ncharts:\n  demo:\n    cpu: 500m\n    replicas: 1\nmanifests:\n  app:\n    port: 80\n")},
		"logo.png":              {Data: []byte("\x89PNG")},
		"README.md":             {Data: []byte("# Demo\n")},
		"charts/demo-1.2.3.tgz": {Data: chartTgz("demo")},
		"manifests/app.yaml":    {Data: []byte("kind: ConfigMap\n")},
		"schema.yaml":           {Data: []byte("charts.demo.replicas:\n  schema: '{{ required | format \"${number:[1-5]}\" | hints \"replicas\" }}'\n")},
		"presets.yaml":          {Data: []byte("presets:\n  - name: one\n    displayName: One\n    group: size\n    remove: []\n    add: |\n      charts:\n        demo:\n          replicas: 1\n")},
	}
}

// tgz returns a gzip tar holding files.
func tgz(files map[string]string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name]))})
		_, _ = tw.Write([]byte(files[name]))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func chartTgz(name string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	data := []byte("apiVersion: v2\nname: " + name + "\nversion: 1.2.3\n")
	_ = tw.WriteHeader(&tar.Header{Name: name + "/Chart.yaml", Mode: 0o644, Size: int64(len(data))})
	_, _ = tw.Write(data)
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// withJSON changes pack.json: set keys (nil deletes).
func withJSON(fsys fstest.MapFS, set map[string]any) fstest.MapFS {
	var m map[string]any
	_ = json.Unmarshal(fsys["pack.json"].Data, &m)
	for k, v := range set {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	fsys["pack.json"] = &fstest.MapFile{Data: b}
	return fsys
}

func with(fsys fstest.MapFS, file, data string) fstest.MapFS {
	if data == "" {
		delete(fsys, file)
	} else {
		fsys[file] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

func TestLint_rules(t *testing.T) {
	t.Parallel()
	if _, f := Load(context.Background(), basePack(), Options{}); len(f) != 0 {
		t.Fatalf("the passing fixture has findings: %v", f)
	}
	dep := func(d map[string]any) map[string]any {
		return map[string]any{"dependencies": []any{d}}
	}
	res := func(r map[string]any) map[string]any { return map[string]any{"resources": []any{r}} }
	tests := []struct {
		rule string
		sev  Severity
		fsys fstest.MapFS
		msg  string
	}{
		{"F4", SeverityNotice, with(basePack(), "README.md", ""), "README.md is missing"},
		{"F6", SeverityError, withJSON(basePack(), map[string]any{"layer": "plugin"}), "/layer: value must be one of"},
		{"F7", SeverityWarning, withJSON(basePack(), map[string]any{"addonType": nil}), "has no \"addonType\""},
		{"F8", SeverityWarning, withJSON(basePack(), map[string]any{"addonType": "magic"}), "not one Palette knows"},
		{"F19", SeverityNotice, withJSON(basePack(), map[string]any{"layer": "csi"}), "only applies to addon packs"},
		{"F8", SeverityWarning, withJSON(basePack(), map[string]any{"addonType": "monitorng"}), "not one Palette knows"},
		{"F9", SeverityWarning, withJSON(basePack(), map[string]any{"cloudTypes": nil}), "missing or empty"},
		{"F9", SeverityWarning, withJSON(basePack(), map[string]any{"cloudTypes": []string{"mars"}}), "cloud type \"mars\""},
		{"F10", SeverityError, withJSON(basePack(), map[string]any{"annotations": map[string]any{"a": 1}}), "/annotations/a"},
		{"F10", SeverityError, withJSON(basePack(), map[string]any{"eol": 2028}), "/eol"},
		{"F13", SeverityWarning, withJSON(basePack(), map[string]any{"charts": nil, "kubeManifests": nil}), "no charts and no kubeManifests"},
		{"F13", SeverityWarning, withJSON(basePack(), map[string]any{"charts": []string{}, "kubeManifests": []string{}}), "no charts and no kubeManifests"},
		{"F14", SeverityWarning, withJSON(basePack(), map[string]any{"KubeManifests": []string{}}), "misspelling of \"kubeManifests\""},
		{"F14", SeverityWarning, withJSON(basePack(), map[string]any{"annotation": map[string]any{}}), "misspelling of \"annotations\""},
		{"F15", SeverityNotice, withJSON(basePack(), map[string]any{"maintainers": []string{"x"}}), "unknown field \"maintainers\""},
		{"F17", SeverityWarning, withJSON(basePack(), map[string]any{"charts": []string{"charts/demo-1.2.3.tgz", "./charts/demo-1.2.3.tgz"}}), "repeats charts[0]"},
		{"F16", SeverityWarning, with(basePack(), "logo.png", "\xff\xd8\xff\xe0JFIF"), "not a PNG image (it starts with ff d8 ff e0: a JPEG)"},
		{"F18", SeverityError, with(basePack(), "charts/demo-1.2.3.tgz", "not gzip"), "not gzip-compressed"},
		{"F18", SeverityError, with(basePack(), "charts/demo-1.2.3.tgz", string(tgz(map[string]string{"demo/values.yaml": "a: 1\n"}))), "holds no <chart>/Chart.yaml"},
		{"F18", SeverityError, with(basePack(), "charts/demo-1.2.3.tgz", string(tgz(map[string]string{"demo/Chart.yaml": "version: 1.0.0\n"}))), "has no name"},
		{"N9", SeverityNotice, withJSON(basePack(), map[string]any{"name": "demo_pack"}), "uses '.' or '_'"},
		{"N3", SeverityWarning, withJSON(basePack(), map[string]any{"version": "v1.12.0"}), "starts with \"v\""},
		{"N4", SeverityNotice, withJSON(basePack(), map[string]any{"version": "1.5"}), "not a semantic version"},
		{"C8", SeverityWarning, withJSON(basePack(), map[string]any{"constraints": dep(map[string]any{"packName": "k", "layer": "k8s", "minVersion": "1.34"})}), "has no type"},
		{"C1", SeverityError, withJSON(basePack(), map[string]any{"constraints": dep(map[string]any{"packName": "k", "layer": "k8s", "type": "must"})}), "/type"},
		{"C7", SeverityNotice, withJSON(basePack(), map[string]any{"constraints": dep(map[string]any{"packName": "k", "layer": "k8s", "type": "optional"})}), "neither minVersion nor maxVersion"},
		{"C2", SeverityWarning, withJSON(basePack(), map[string]any{"constraints": dep(map[string]any{"packName": "k", "layer": "k8s", "type": "optional", "minVersion": "1.30", "maxVersion": "1.29"})}), "is above maxVersion"},
		{"C2", SeverityWarning, withJSON(basePack(), map[string]any{"constraints": dep(map[string]any{"packName": "k", "layer": "k8s", "type": "optional", "minVersion": "23.10.0", "maxVersion": "23.09.1"})}), "is above maxVersion"},
		{"C3", SeverityError, withJSON(basePack(), map[string]any{"constraints": res(map[string]any{"type": "gpu"})}), "/type"},
		{"C3", SeverityError, withJSON(basePack(), map[string]any{"constraints": res(map[string]any{"type": "cpu", "minLimit": "2"})}), "/minLimit"},
		{"C4", SeverityWarning, withJSON(basePack(), map[string]any{"constraints": res(map[string]any{"type": "cpu", "minLimit": 2})}), "millicores"},
		{"C5", SeverityError, withJSON(basePack(), map[string]any{"constraints": res(map[string]any{"type": "cpu", "components": []any{map[string]any{"scheduleType": "sometimes"}}})}), "scheduleType"},
		{"C6", SeverityWarning, withJSON(basePack(), map[string]any{"constraints": res(map[string]any{"type": "cpu", "components": []any{map[string]any{"scheduleType": "all", "replicaCountParamRef": "charts.demo.nope"}}})}), "not a path in values.yaml"},
		{"V1", SeverityError, with(basePack(), "values.yaml", "- a\n- b\n"), "must be a mapping"},
		{"V2", SeverityWarning, with(basePack(), "values.yaml", "pack:\n  namespace: [a]\n  content:\n    images:\n      - image: x\ncharts:\n  demo: {}\nmanifests:\n  app: {}\n"), "pack.namespace should be a string"},
		{"V3", SeverityWarning, with(with(basePack(), "values.yaml", "pack:\n  content:\n    images:\n      - image: x\ncharts:\n  demo:\n    cpu: 1\n    replicas: 1\n"), "manifests/app.yaml", "kind: ConfigMap\ndata:\n  port: \"{{ .Values.port }}\"\n"), "no manifests.app section"},
		{"V4", SeverityWarning, with(with(basePack(), "presets.yaml", ""), "values.yaml", "pack:\n  content:\n    images:\n      - image: x\ncharts:\n  demo-chart:\n    cpu: 1\n    replicas: 1\nmanifests:\n  app: {}\n"), "no charts.demo section for charts/demo-1.2.3.tgz (chart name \"demo\"), but charts.demo-chart names no chart"},
		{"V7", SeverityNotice, with(with(basePack(), "presets.yaml", ""), "values.yaml", "pack:\n  content:\n    images:\n      - image: x\nmanifests:\n  app: {}\n"), "no charts.demo section"},
		{"V8", SeverityWarning, with(basePack(), "values.yaml", "pack:\n  namespace: demo\n  content:\n    images:\n      - image: demo:1\n      - iamge: demo-sidecar:1\ncharts:\n  demo:\n    cpu: 500m\n    replicas: 1\nmanifests:\n  app:\n    port: 80\n"), "unknown key \"iamge\""},
		{"V9", SeverityWarning, with(basePack(), "values.yaml", "pack:\n  content:\n    - image: demo:1\ncharts:\n  demo:\n    cpu: 1\n    replicas: 1\nmanifests:\n  app: {}\n"), "pack.content is a list"},
		{"V9", SeverityWarning, with(basePack(), "values.yaml", "pack:\n  content:\n    images:\n      - image: demo:1\n    namespace: demo\ncharts:\n  demo:\n    cpu: 1\n    replicas: 1\nmanifests:\n  app: {}\n"), "pack.content.namespace is not read: namespace belongs directly under pack:, so the pack deploys into the default namespace"},
		{"V9", SeverityWarning, with(basePack(), "values.yaml", "pack:\n  namespace: demo\n  content:\n    images:\n      - image: demo:1\n    chrats: []\ncharts:\n  demo:\n    cpu: 1\n    replicas: 1\nmanifests:\n  app: {}\n"), "probably a misspelling of \"charts\""},
		{"V5", SeverityNotice, with(basePack(), "values.yaml", "charts:\n  demo:\n    cpu: 1\n    replicas: 1\nmanifests:\n  app: {}\n"), "pack.content.images"},
		{"V6", SeverityNotice, with(basePack(), "values.yaml", "pack:\n   namespace: x\n"), "not a multiple of 2"},
		{"S1", SeverityError, with(basePack(), "schema.yaml", "charts.demo.replicas: 3\n"), "has no string schema"},
		{"S1", SeverityError, with(basePack(), "schema.yaml", "- a\n"), "must be a mapping"},
		{"S2", SeverityWarning, with(basePack(), "schema.yaml", "charts.demo.replicas:\n  schema: '{{ format \"${color}\" }}'\n"), "unknown format type"},
		{"S2", SeverityWarning, with(basePack(), "schema.yaml", "charts.demo.replicas:\n  schema: '{{ format \"${string:/([a-z/}\" }}'\n"), "does not compile"},
		{"S2", SeverityWarning, with(basePack(), "schema.yaml", "charts.demo.replicas:\n  schema: 'required'\n"), "not wrapped"},
		{"S3", SeverityWarning, with(basePack(), "schema.yaml", "charts.demo.nothere:\n  schema: '{{ required }}'\n"), "not a path in values.yaml"},
		{"R1", SeverityError, with(basePack(), "presets.yaml", "items: []\n"), "top-level presets"},
		{"R1", SeverityError, with(basePack(), "presets.yaml", "presets:\n  - name: a\n    displayName: A\n    group: g\n    remove: []\n    add: 'x: 1'\n  - name: a\n    displayName: A\n    group: g\n    remove: []\n    add: 'x: 1'\n"), "used twice"},
		{"R1", SeverityError, with(basePack(), "presets.yaml", "presets:\n  - name: a\n    group: g\n    add: 'x: 1'\n"), "no displayName"},
		{"R1", SeverityError, with(basePack(), "presets.yaml", "presets:\n  - name: a\n    displayName: A\n    group: g\n"), "neither add nor remove"},
		{"R2", SeverityError, with(basePack(), "presets.yaml", "presets:\n  - name: a\n    displayName: A\n    group: g\n    add: 'just text'\n"), "add must be a mapping"},
		{"R2", SeverityError, with(basePack(), "presets.yaml", "presets:\n  - name: a\n    displayName: A\n    group: g\n    remove: []\n    add: 'x: [1'\n"), "add is not valid YAML"},
		{"R3", SeverityWarning, with(basePack(), "values.yaml", "# spectrocloud.com/enabled-presets: size:one, size:two\n"+string(basePack()["values.yaml"].Data)), "the default preset \"size:two\""},
		{"A2", SeverityWarning, with(basePack(), "demo-1.2.3.tar.gz", "old archive"), "holds its own archive"},
	}
	for _, tc := range tests {
		t.Run(tc.rule+"_"+tc.msg, func(t *testing.T) {
			t.Parallel()
			_, findings := Load(context.Background(), tc.fsys, Options{})
			for _, f := range findings {
				if f.Rule == tc.rule && f.Severity == tc.sev && strings.Contains(f.Message, tc.msg) && f.Fix != "" && !strings.Contains(f.Fix, "\n") {
					return
				}
			}
			t.Errorf("findings:\n%v\nwant %s (%s) containing %q", findings, tc.rule, tc.sev, tc.msg)
		})
	}
}

// TestLint_valuesQuietOnServedShapes: values.yaml shapes that served packs
// use draw no V2 or V9 finding: an empty pack.namespace (Palette treats it as
// not set), pack.content with images and charts, keys of pack.content that
// Palette ignores, and YAML anchors in chart values.
func TestLint_valuesQuietOnServedShapes(t *testing.T) {
	t.Parallel()
	const rest = "charts:\n  demo:\n    cpu: &c 1\n    limit: *c\n    replicas: 1\nmanifests:\n  app: {}\n"
	for _, values := range []string{
		"pack:\n  namespace:\n  content:\n    images:\n      - image: demo:1\n" + rest,
		"pack:\n  namespace: ~\n  content:\n    images:\n      - image: demo:1\n    charts:\n      - name: demo\n        version: 1.2.3\n" + rest,
		"pack:\n  namespace: demo\n  content:\n    images:\n      - image: demo:1\n    notes: mirrored nightly\n" + rest,
		"pack:\n  namespace: demo\n  content:\n" + rest,
	} {
		_, findings := Load(context.Background(), with(basePack(), "values.yaml", values), Options{})
		for _, f := range findings {
			if f.Rule == "V2" || f.Rule == "V9" {
				t.Errorf("values.yaml\n%s\ndrew %v", values, f)
			}
		}
	}
}

// TestLint_realisticFixtures: packs in the shapes of real ones (a CSI chart
// pack, a CNI pack, an OS pack with annotations) lint clean.
func TestLint_realisticFixtures(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir("testdata/valid")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		t.Run(d.Name(), func(t *testing.T) {
			t.Parallel()
			p, f := Load(context.Background(), os.DirFS(filepath.Join("testdata/valid", d.Name())), Options{})
			if p == nil || len(f) != 0 {
				t.Errorf("Load(%s) findings: %v", d.Name(), f)
			}
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	fsys := basePack()
	for b.Loop() {
		if _, f := Load(context.Background(), fsys, Options{}); len(f) != 0 {
			b.Fatal(f)
		}
	}
}

// TestLint_schemaPaths: schema.yaml keys address lists with $[] and indexes.
func TestLint_schemaPaths(t *testing.T) {
	t.Parallel()
	values := "pack:\n  namespace: demo\n  content:\n    images:\n      - image: demo:1\ncharts:\n  demo:\n    cpu: 500m\n    replicas: 1\n    hosts:\n      - name: a\n    empty: []\nmanifests:\n  app: {}\n"
	tests := []struct {
		key  string
		want bool // an S3 finding
	}{
		{"charts.demo.hosts.$[].name", false},
		{"charts.demo.hosts.0.name", false},
		{"charts.demo.empty.$[]", false},
		{"charts.demo.hosts.$[].port", true},
		{"charts.demo.hosts.1.name", true},
		{"charts.demo.cpu.x", true},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			fsys := with(basePack(), "values.yaml", values)
			fsys = with(fsys, "schema.yaml", tc.key+":\n  schema: '{{ required }}'\n")
			_, findings := Load(t.Context(), fsys, Options{})
			got := false
			for _, f := range findings {
				got = got || f.Rule == "S3"
			}
			if got != tc.want || len(findings) > 1 {
				t.Errorf("Load() findings = %v; want an S3 finding: %v", findings, tc.want)
			}
		})
	}
}
