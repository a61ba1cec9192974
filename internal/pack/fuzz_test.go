package pack

import (
	"bytes"
	"context"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

// FuzzLoadPackJSON: any pack.json loads without panicking, and every
// position it reports lies inside the file.
func FuzzLoadPackJSON(f *testing.F) {
	for _, s := range []string{
		`{"name":"x","version":"1.0.0","displayName":"X","layer":"addon","charts":["a"]}`,
		"{\n  \"name\": \"démo\",\n  \"version\": \"v1\",\n  \"charts\": [1, {\"a\": 2}, \"../x\", \"logo.png\"]\n}",
		`{"kubeManifests":"x","constraints":{"dependencies":[{"layer":"k9s"}],"resources":[{"type":"gpu","components":[{}]}]}}`,
		`{"a~/b":1,"cloudTypes":["mars",3],"name":"a","name":"B"}`,
		`{`, `[]`, `null`, `"x"`, "\ufeff{}", `{"a":[[[[[[[[[[]]]]]]]]]]}`, "{}\n{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys := basePack()
		fsys["pack.json"] = &fstest.MapFile{Data: b}
		_, findings := Load(context.Background(), fsys, Options{})
		checkPositions(t, fsys, findings)
	})
}

// FuzzLoadValuesYAML: any values.yaml (and schema.yaml, presets.yaml) loads
// without panicking or blowing up, with positions inside the file.
func FuzzLoadValuesYAML(f *testing.F) {
	for _, s := range []string{
		"pack:\n  namespace: x\n",
		"a: &a [1,2]\nb: [*a,*a]\n",
		"a: &a [*a]\n",
		"- a\n- b\n",
		"a:\n\tb: 1\n",
		"a: [\n",
		"---\na: 1\n---\n- x\n",
		"presets:\n  - name: a\n    add: |\n      x: [\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, file := range []string{"values.yaml", "schema.yaml", "presets.yaml"} {
			fsys := basePack()
			fsys[file] = &fstest.MapFile{Data: b}
			_, findings := Load(context.Background(), fsys, Options{})
			checkPositions(t, fsys, findings)
		}
	})
}

// FuzzIndexJSON: the position index never panics on any input and only
// records offsets inside it.
func FuzzIndexJSON(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":2}],"c":"d"}`))
	f.Add([]byte(`[1,2,`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for ptr, off := range indexJSON(b) {
			if off < 0 || off > int64(len(b)) {
				t.Fatalf("indexJSON: %s at %d, outside the %d bytes", ptr, off, len(b))
			}
		}
	})
}

// checkPositions fails when a finding's line or column is not in its file.
func checkPositions(t *testing.T, fsys fstest.MapFS, findings []Finding) {
	t.Helper()
	for _, fd := range findings {
		if fd.Line < 0 || fd.Column < 0 || (fd.Line == 0 && fd.Column != 0) {
			t.Fatalf("finding %v has a bad position", fd)
		}
		if fd.Line == 0 {
			continue
		}
		mf, ok := fsys[fd.File]
		if !ok {
			t.Fatalf("finding %v points into a file that does not exist", fd)
		}
		if fd.File != "pack.json" {
			// YAML also breaks lines at a lone \r, NEL, LS and PS.
			breaks := bytes.Count(mf.Data, []byte("\n")) + bytes.Count(mf.Data, []byte("\r")) +
				bytes.Count(mf.Data, []byte("\u0085")) + bytes.Count(mf.Data, []byte("\u2028")) + bytes.Count(mf.Data, []byte("\u2029"))
			if fd.Line > breaks+1 || fd.Column > utf8.RuneCount(mf.Data)+1 {
				t.Fatalf("finding %v is outside the file (%d line breaks)", fd, breaks)
			}
			continue
		}
		lines := bytes.Split(mf.Data, []byte("\n"))
		if fd.Line > len(lines) {
			t.Fatalf("finding %v is past the last line (%d)", fd, len(lines))
		}
		if n := utf8.RuneCount(lines[fd.Line-1]); fd.Column > n+1 {
			t.Fatalf("finding %v is past the end of its line (%d runes)", fd, n)
		}
	}
}

// FuzzChartArchive: any bytes as a listed chart archive load without
// panicking, and any F18 finding names the archive.
func FuzzChartArchive(f *testing.F) {
	f.Add(chartTgz("demo"))
	f.Add(tgz(map[string]string{"./demo/Chart.yaml": "name: demo\n", "demo/charts/sub/Chart.yaml": "name: sub\n"}))
	f.Add(tgz(map[string]string{"demo/Chart.yaml": "name: [\n"}))
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"))
	f.Add([]byte("<html>404</html>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys := basePack()
		fsys["charts/demo-1.2.3.tgz"] = &fstest.MapFile{Data: b}
		_, findings := Load(context.Background(), fsys, Options{})
		for _, fd := range findings {
			if fd.Rule == "F18" && fd.File != "charts/demo-1.2.3.tgz" {
				t.Fatalf("F18 finding %v names another file", fd)
			}
		}
	})
}
