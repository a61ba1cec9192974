package action

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pack-publish/pack-publish/internal/goldentest"
	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/pipeline"
)

var update = flag.Bool("update", false, "update golden files")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldentest.Check(t, filepath.Join("testdata", name), got, *update)
}

func sampleResult() *pipeline.Result {
	return &pipeline.Result{
		Selected:    []string{"packs/bad", "packs/hello", "packs/prom", "packs/taken"},
		Deleted:     []string{"packs/old"},
		BaseSHA:     "1111111111111111111111111111111111111111",
		HeadSHA:     "2222222222222222222222222222222222222222",
		Notices:     []string{"fetched the base commit 111111111111 (depth 1)"},
		Destination: "harbor.example.com/team-a",
		Interrupted: "the run was interrupted; packs not finished are cancelled: nothing points at partial content, run again to finish",
		Packs: []pipeline.PackResult{
			{Name: "bad", Version: "v1", Path: "packs/bad", Status: pipeline.StatusInvalid, Message: "1 problem(s)",
				Findings: []pack.Finding{{Rule: "N3", Severity: pack.SeverityError, File: "packs/bad/pack.json", Line: 3, Column: 14, Message: "version \"v1\" starts with v", Fix: "write 1 instead of v1"}}},
			{Name: "hello", Version: "1.0.0", Path: "packs/hello", Reference: "harbor.example.com/team-a/spectro-packs/archive/hello:1.0.0",
				Digest: "sha256:716381543b8181dd7db23d0ae7f2c8314595c0c793dda9abe3391b3586a8c1d6", Status: pipeline.StatusPushed, Size: 2345},
			{Name: "prom", Version: "9.7.2", Path: "packs/prom", Reference: "harbor.example.com/team-a/spectro-packs/archive/prom:9.7.2",
				Digest: "sha256:b6979198984a95d78527ae696f8b49fcfa236177b0a61af9cc89291eb2b6b1ef", Status: pipeline.StatusUnchanged, Size: 3 << 20},
			{Name: "taken", Version: "2.0.0", Path: "packs/taken", Reference: "harbor.example.com/team-a/spectro-packs/archive/taken:2.0.0",
				Status: pipeline.StatusFailed, Message: "pushing: response status code 403: denied | the account may not push here"},
			{Name: "clash", Version: "1.0.0", Path: "packs/clash", Reference: "harbor.example.com/team-a/spectro-packs/archive/clash:1.0.0",
				Digest: "sha256:04a7aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", BuiltDigest: "sha256:c0ffeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", LayerDigest: "sha256:f5fbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", Size: 4096,
				Status: pipeline.StatusConflict, Message: "tag 1.0.0 already holds different files: values.yaml (content differs); bump version in pack.json, or set overwrite: true"},
			{Name: "Bad_Name", Version: "1.0.0", Path: "packs/<img src=x> [approved](https://a.example)", Status: pipeline.StatusInvalid, Message: "1 problem(s)",
				Findings: []pack.Finding{{Rule: "N1", Severity: pack.SeverityError, File: "packs/<img src=x> [approved](https://a.example)/pack.json", Line: 2,
					Message: "name \"Bad_Name\" is not a valid OCI repository name", Fix: "use lower-case letters, digits and '-': the pack is published as …/spectro-packs/archive/<name>"}}},
			{Name: "late", Version: "1.0.0", Path: "packs/late", Status: pipeline.StatusCancelled, Message: "not finished: the run was interrupted"},
		},
	}
}

func TestRender_goldens(t *testing.T) {
	t.Parallel()
	res := sampleResult()
	var outs strings.Builder
	for _, o := range outputs(res) {
		outs.WriteString(o.Name + "=" + o.Value + "\n")
	}
	tests := []struct{ name, got string }{
		{"outputs.golden.txt", outs.String()},
		{"summary.golden.md", summaryMarkdown(res, "v1.2.3")},
		{"table.golden.txt", strings.Join(tableLines(res, "v1.2.3"), "\n") + "\n"},
		{"summary-200-pushed.golden.md", summaryMarkdown(manyPacks(200, func(int) pipeline.Status { return pipeline.StatusPushed }, ""), "v1.2.3")},
		{"summary-200-failed.golden.md", summaryMarkdown(manyPacks(200, func(i int) pipeline.Status {
			if i == 7 {
				return pipeline.StatusConflict
			}
			return pipeline.StatusFailed
		}, "pushing: response status code 401: Unauthorized; the registry refused the credentials: check username and password"), "v1.2.3")},
		{"summary-nothing.golden.md", summaryMarkdown(&pipeline.Result{Selected: []string{}, BaseSHA: "1111111111111111111111111111111111111111", HeadSHA: "2222222222222222222222222222222222222222", Destination: "harbor.example.com/team-a"}, "v1.2.3")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			golden(t, tc.name, tc.got)
		})
	}
}

// TestSummary_placeholderShows: N1's fix names "<name>"; the summary shows
// it instead of letting it vanish as an HTML tag (ux.md U7).
func TestSummary_placeholderShows(t *testing.T) {
	t.Parallel()
	md := summaryMarkdown(sampleResult(), "")
	if !strings.Contains(md, "spectro-packs/archive/&lt;name&gt;") || strings.Contains(md, "<name>") {
		t.Errorf("summary does not escape <name>:\n%s", md)
	}
}

// TestSummary_withinGitHubLimit: GitHub refuses a step summary over 1 MiB
// (and the step fails); 5000 packs, failed or pushed, stay well within it.
func TestSummary_withinGitHubLimit(t *testing.T) {
	t.Parallel()
	for _, st := range []pipeline.Status{pipeline.StatusPushed, pipeline.StatusFailed, pipeline.StatusConflict} {
		res := manyPacks(5000, func(int) pipeline.Status { return st }, "pushing: response status code 500: internal error")
		if n := len(summaryMarkdown(res, "v1")); n > 900<<10 {
			t.Errorf("%s: the summary of 5000 packs is %d bytes", st, n)
		}
	}
}

func TestOutputs_empty(t *testing.T) {
	t.Parallel()
	got := map[string]string{}
	for _, o := range outputs(&pipeline.Result{}) {
		got[o.Name] = o.Value
	}
	want := map[string]string{"published": "[]", "changed-packs": "[]", "matrix": `{"include":[]}`, "any-changed": "false", "base-sha": "", "head-sha": "", "palette-synced": ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs(empty) mismatch (-want +got):\n%s", diff)
	}
}

// TestOutputs_matchActionYAML: the outputs written are exactly those declared.
func TestOutputs_matchActionYAML(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	inOutputs := false
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case l == "outputs:":
			inOutputs = true
		case len(l) > 0 && l[0] != ' ':
			inOutputs = false
		case inOutputs && strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "   ") && strings.HasSuffix(l, ":"):
			declared = append(declared, strings.TrimSuffix(strings.TrimSpace(l), ":"))
		}
	}
	var written []string
	for _, o := range outputs(&pipeline.Result{}) {
		written = append(written, o.Name)
	}
	if diff := cmp.Diff(declared, written); diff != "" {
		t.Errorf("outputs differ from action.yml (-declared +written):\n%s", diff)
	}
}

func TestGitLab_dotenv(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "pack-publish.env")
	var out bytes.Buffer
	env := map[string]string{"GITLAB_CI": "true"}
	fe := newFrontend(frontendOptions{getenv: func(k string) string { return env[k] }, stdout: &out, stderr: &out, dotenv: file, workspace: filepath.Dir(file)})
	if err := fe.finish(sampleResult()); err != nil {
		t.Fatalf("finish() = %v", err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "gitlab.golden.env", string(b))
	if !strings.Contains(out.String(), "PACK") {
		t.Errorf("GitLab log has no table:\n%s", out.String())
	}
}

func TestMain_configErrorsExit2(t *testing.T) {
	t.Parallel()
	yml, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	env := map[string]string{"GITHUB_ACTIONS": "true", "INPUT_PASSWORD": "hunter2-secret", "INPUT_USERNAME": "robot$ci",
		"INPUT_REGISTRY": "https://hunter2-secret@h", "INPUT_DETECT": "sometimes"}
	code := Main(context.Background(), yml, Env{Getenv: func(k string) string { return env[k] }, Dir: t.TempDir(), Stdout: &out, Stderr: &errb})
	if code != 2 {
		t.Fatalf("Main() = %d, want 2\n%s", code, out.String())
	}
	lines := strings.Split(out.String(), "\n")
	if lines[0] != "::add-mask::hunter2-secret" {
		t.Errorf("first line = %q, want the mask command", lines[0])
	}
	for _, want := range []string{"::error::input registry:", "::error::input detect:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Count(out.String(), "hunter2-secret") != 1 {
		t.Errorf("secret printed outside the mask command:\n%s", out.String())
	}
}

// manyPacks is a run of n packs with the status status(i); failed packs
// carry msg, the conflict names its files and both digests.
func manyPacks(n int, status func(int) pipeline.Status, msg string) *pipeline.Result {
	res := &pipeline.Result{Destination: "harbor.example.com/team-a", Timings: pipeline.Timings{TotalMS: 7300}}
	for i := range n {
		name := fmt.Sprintf("pack-%03d", i)
		p := pipeline.PackResult{Name: name, Version: fmt.Sprintf("1.0.%d", i), Path: "packs/" + name, Status: status(i), Size: int64(20<<10 + i),
			Reference: fmt.Sprintf("harbor.example.com/team-a/spectro-packs/archive/%s:1.0.%d", name, i)}
		switch p.Status {
		case pipeline.StatusPushed:
			p.Digest = fmt.Sprintf("sha256:%064x", i+1)
			p.LayerDigest = fmt.Sprintf("sha256:%064x", i+1000)
		case pipeline.StatusConflict:
			p.Digest, p.LayerDigest = fmt.Sprintf("sha256:%064x", 0xabc), fmt.Sprintf("sha256:%064x", 0xdef)
			p.Message = fmt.Sprintf("tag 1.0.%d already holds different files (published sha256:%064x): README.md (content differs), values.yaml (content differs); bump version in pack.json, or set overwrite: true to replace it", i, 0xabc)
		default:
			p.Size, p.Message = 0, msg
		}
		res.Selected = append(res.Selected, p.Path)
		res.Packs = append(res.Packs, p)
	}
	return res
}
