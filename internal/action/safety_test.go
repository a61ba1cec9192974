package action

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/pack-publish/pack-publish/internal/gittest"
	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/pipeline"
	"github.com/pack-publish/pack-publish/internal/textsafe"
)

// writePacks writes files (path -> content) under dir.
func writePacks(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		f := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// hostileWorkspace holds the review's injection vectors (security.md F2,
// F6, F9): folder names that are workflow commands, with and without a
// newline, a schema.yaml key that injects commands and ANSI escapes, and a
// pack.json key with HTML and a phishing link.
func hostileWorkspace(t *testing.T) string {
	t.Helper()
	ws := t.TempDir()
	writePacks(t, ws, gittest.Pack("packs/::stop-commands::attackertoken", "stop", "1.0.0"))
	writePacks(t, ws, gittest.Pack("packs/b\n::error title=INJECTED::newline-in-folder", "b", "1.0.0"))
	writePacks(t, ws, gittest.Pack("packs/c", "c", "1.0.0"))
	writePacks(t, ws, map[string]string{"packs/c/schema.yaml": "\"x\\n::warning title=INJECTED-VIA-SCHEMA-YAML::attacker text\\n::add-mask::1.0.0\\n" +
		"##[add-mask]1.0.0\\n::stop-commands::deadbeef\\n\\e[2K\\e[1A\\e[2K\\rJob succeeded\\e]8;;https://attacker.example\\aclick\\e]8;;\\a\": 5\n"})
	writePacks(t, ws, gittest.Pack("packs/d", "d", "1.0.0"))
	pj := filepath.Join(ws, "packs/d/pack.json")
	b, err := os.ReadFile(pj)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte("{"), []byte(`{"<img src=https://attacker.example/track.png> [Pack approved - click to merge](https://attacker.example/login)": 1,`), 1)
	if err := os.WriteFile(pj, b, 0o644); err != nil {
		t.Fatal(err)
	}
	writePacks(t, ws, gittest.Pack("packs/zz-broken", "ZZ_Broken", "1.0.0")) // an N1 error after the stop-commands folder
	return ws
}

// ourCommands are the workflow commands pack-publish itself issues.
var ourCommands = regexp.MustCompile(`^::(add-mask|error|warning|notice|group|endgroup|stop-commands::pack-publish-[0-9a-f]{32}$|pack-publish-[0-9a-f]{32}::$)`)

// TestGitHub_noWorkflowCommandInjection: untrusted text never starts a
// workflow command, never holds the legacy "##[" prefix or a control
// character, and the tool's own error annotations are not silenced.
func TestGitHub_noWorkflowCommandInjection(t *testing.T) {
	t.Parallel()
	ws := hostileWorkspace(t)
	var out, errb bytes.Buffer
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws, "INPUT_DETECT": "all", "INPUT_PACKS-DIR": "packs", "INPUT_DRY-RUN": "true",
		"GITHUB_OUTPUT": filepath.Join(t.TempDir(), "out"), "GITHUB_STEP_SUMMARY": filepath.Join(t.TempDir(), "summary")}
	code := Main(context.Background(), readActionYAML(t), Env{Getenv: func(k string) string { return env[k] }, Dir: ws, Stdout: &out, Stderr: &errb})
	if code != 1 {
		t.Fatalf("Main() = %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	if errb.Len() > 0 {
		t.Errorf("GitHub output went to stderr too (one ordered stream expected):\n%s", errb.String())
	}
	log := out.String()
	checkLog(t, log)
	if strings.Contains(log, "##[") {
		t.Errorf("legacy workflow command prefix in the log:\n%s", log)
	}
	for _, line := range strings.Split(log, "\n") {
		trimmed := strings.TrimLeftFunc(line, unicode.IsSpace)
		if strings.HasPrefix(trimmed, "::") && !ourCommands.MatchString(trimmed) {
			t.Errorf("untrusted text starts a workflow command: %q", line)
		}
		if strings.HasPrefix(trimmed, "::add-mask::") {
			t.Errorf("a mask was issued in a run without secrets: %q", line)
		}
		if strings.HasPrefix(trimmed, "::stop-commands::") && !strings.HasPrefix(trimmed, "::stop-commands::pack-publish-") {
			t.Errorf("foreign stop-commands: %q", line)
		}
	}
	// The tool's own error for the broken pack is a real annotation.
	if !regexp.MustCompile(`(?m)^::error col=\d+,file=packs/zz-broken/pack\.json,line=\d+`).MatchString(log) {
		t.Errorf("no error annotation for packs/zz-broken:\n%s", log)
	}
	// The stop-commands block is closed with its own token.
	if m := regexp.MustCompile(`(?m)^::stop-commands::(pack-publish-[0-9a-f]{32})$`).FindStringSubmatch(log); m == nil || !strings.Contains(log, "\n::"+m[1]+"::\n") {
		t.Errorf("table not wrapped in a closed stop-commands block:\n%s", log)
	}
	summary, err := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, string(summary))
}

// checkLog: no control character (ANSI escapes start with ESC) and no
// legacy command prefix anywhere.
func checkLog(t *testing.T, log string) {
	t.Helper()
	for i, r := range log {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
			t.Errorf("control character %U at %d: %q", r, i, log[max(0, i-40):min(len(log), i+40)])
		}
	}
}

// checkSummary: no HTML tag or Markdown link from the repository survives.
func checkSummary(t *testing.T, md string) {
	t.Helper()
	for _, bad := range []string{"<img", "\n::error title=INJECTED"} {
		if strings.Contains(md, bad) {
			t.Errorf("step summary holds %q:\n%s", bad, md)
		}
	}
	// Markdown link syntax that is not backslash-escaped.
	if m := regexp.MustCompile(`(^|[^\\])(\[Pack approved|\]\(https://attacker)`).FindString(md); m != "" {
		t.Errorf("step summary holds a live link %q:\n%s", m, md)
	}
	if !strings.Contains(md, `&lt;img src=https\://attacker.example/track.png&gt;`) {
		t.Errorf("step summary does not show the escaped key:\n%s", md)
	}
}

// TestTerminalAndGitLab_noControlCharacters: on a terminal and in GitLab's
// log, ANSI escapes and newlines from the repository are quoted, problems go
// to stderr and the table to stdout.
func TestTerminalAndGitLab_noControlCharacters(t *testing.T) {
	t.Parallel()
	for _, gitlab := range []bool{false, true} {
		t.Run(fmt.Sprintf("gitlab=%v", gitlab), func(t *testing.T) {
			t.Parallel()
			ws := hostileWorkspace(t)
			var out, errb bytes.Buffer
			env := map[string]string{"PACK_PUBLISH_DETECT": "all", "PACK_PUBLISH_PACKS_DIR": "packs", "PACK_PUBLISH_DRY_RUN": "true"}
			if gitlab {
				env["GITLAB_CI"], env["CI_PROJECT_DIR"] = "true", ws
			}
			code := Main(context.Background(), readActionYAML(t), Env{Getenv: func(k string) string { return env[k] }, Dir: ws, Stdout: &out, Stderr: &errb})
			if code != 1 {
				t.Fatalf("Main() = %d, want 1\n%s%s", code, out.String(), errb.String())
			}
			checkLog(t, out.String()+errb.String())
			if !strings.Contains(out.String(), "PACK ") || !strings.Contains(out.String(), "pack(s):") {
				t.Errorf("stdout lacks the table:\n%s", out.String())
			}
			if !strings.Contains(errb.String(), "packs/zz-broken/pack.json") || strings.Contains(out.String(), "error N1") {
				t.Errorf("problems are not on stderr only:\nstdout:\n%s\nstderr:\n%s", out.String(), errb.String())
			}
			if !strings.Contains(out.String(), `packs/b\n::error title=INJECTED::newline-in-folder`) {
				t.Errorf("the newline in a folder name is not shown quoted:\n%s", out.String())
			}
			if !strings.Contains(errb.String(), `\x1b[2K`) {
				t.Errorf("the ANSI escape is not shown quoted:\n%s", errb.String())
			}
		})
	}
}

func readActionYAML(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseGitHubOutput reads a GITHUB_OUTPUT file as the runner does: name=value
// lines, and name<<DELIMITER blocks.
func parseGitHubOutput(t *testing.T, b []byte) map[string]string {
	t.Helper()
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			for sc.Scan() && sc.Text() != delim {
				val = append(val, sc.Text())
			}
			if _, dup := got[name]; dup {
				t.Errorf("output %s written twice", name)
			}
			got[name] = strings.Join(val, "\n")
			continue
		}
		name, val, _ := strings.Cut(line, "=")
		if _, dup := got[name]; dup {
			t.Errorf("output %s written twice", name)
		}
		got[name] = val
	}
	return got
}

// TestGitHub_outputsStayInside: go-githubactions v1.4.0 uses a fixed
// delimiter (security.md I4). Names holding it and line breaks stay inside
// their JSON value, and a SHA that is not hex cannot add outputs.
func TestGitHub_outputsStayInside(t *testing.T) {
	t.Parallel()
	const delim = "_GitHubActionsFileCommandDelimeter_"
	evil := "packs/x\n" + delim + "\ninjected<<EOF\npwned\nEOF"
	res := &pipeline.Result{
		Selected: []string{evil, "packs/" + delim},
		BaseSHA:  "1111111111111111111111111111111111111111\n" + delim + "\nforged<<EOF\nyes\nEOF",
		HeadSHA:  "2222222222222222222222222222222222222222",
		Packs: []pipeline.PackResult{
			{Name: "x", Version: "1.0.0", Path: evil, Status: pipeline.StatusDryRun, Message: "a\r\n" + delim},
			{Name: "y", Version: "1.0.0", Path: "packs/" + delim, Status: pipeline.StatusDryRun},
		},
	}
	file := filepath.Join(t.TempDir(), "out")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": file}
	var out bytes.Buffer
	fe := newFrontend(frontendOptions{getenv: func(k string) string { return env[k] }, stdout: &out, stderr: &out})
	if err := fe.finish(res); err != nil {
		t.Fatalf("finish() = %v", err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	got := parseGitHubOutput(t, b)
	want := map[string]bool{"published": true, "changed-packs": true, "matrix": true, "any-changed": true, "base-sha": true, "head-sha": true, "palette-synced": true}
	for name, val := range got {
		if !want[name] {
			t.Errorf("extra output %q = %q", name, val)
		}
		if (name == "published" || name == "changed-packs" || name == "matrix") && !json.Valid([]byte(val)) {
			t.Errorf("output %s = %q is not JSON", name, val)
		}
	}
	var selected []string
	if err := json.Unmarshal([]byte(got["changed-packs"]), &selected); err != nil || len(selected) != 2 || selected[0] != evil {
		t.Errorf("changed-packs = %q (%v), want the names back intact", got["changed-packs"], err)
	}
	if got["base-sha"] != "" || got["head-sha"] != res.HeadSHA {
		t.Errorf("base-sha = %q, head-sha = %q: want a non-hex SHA dropped and a hex one kept", got["base-sha"], got["head-sha"])
	}
	if err := checkOutputs([]output{{"x", "a\nb"}}); err == nil {
		t.Error("checkOutputs accepted a line break")
	}
}

// TestMain_outputFilesNeverFollowSymlinks: the review's F1 attack. A
// symlink committed at the dotenv, report-file or oci-layout path (or at a
// folder on the way) is refused with exit 2 naming it, before anything is
// written, and the file outside the workspace keeps its content.
func TestMain_outputFilesNeverFollowSymlinks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   map[string]string
		link  string // planted in the workspace, pointing at the victim (or its folder when dir)
		dir   bool
		input string
	}{
		{"gitlab default dotenv", map[string]string{"GITLAB_CI": "true"}, "pack-publish.env", false, "dotenv-file"},
		{"gitlab default report", map[string]string{"GITLAB_CI": "true"}, "pack-publish-report.json", false, "report-file"},
		{"report-file", map[string]string{"PACK_PUBLISH_REPORT_FILE": "report.json"}, "report.json", false, "report-file"},
		{"report-file below a linked folder", map[string]string{"PACK_PUBLISH_REPORT_FILE": "out/.profile"}, "out", true, "report-file"},
		{"oci-layout below a linked folder", map[string]string{"PACK_PUBLISH_OCI_LAYOUT": "out/oci", "PACK_PUBLISH_DRY_RUN": "false"}, "out", true, "oci-layout"},
		{"oci-layout is a link", map[string]string{"PACK_PUBLISH_OCI_LAYOUT": "oci", "PACK_PUBLISH_DRY_RUN": "false"}, "oci", true, "oci-layout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			ws, victimDir := filepath.Join(root, "ws"), filepath.Join(root, "victim")
			writePacks(t, ws, gittest.Pack("packs/x", "x", "1.0.0"))
			writePacks(t, victimDir, map[string]string{".profile": "# original\n"})
			target := filepath.Join(victimDir, ".profile")
			if tc.dir {
				target = victimDir
			}
			if err := os.Symlink(target, filepath.Join(ws, tc.link)); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"PACK_PUBLISH_DETECT": "all", "PACK_PUBLISH_PACKS_DIR": "packs", "PACK_PUBLISH_DRY_RUN": "true", "CI_PROJECT_DIR": ws}
			for k, v := range tc.env {
				env[k] = v
			}
			var out, errb bytes.Buffer
			code := Main(context.Background(), readActionYAML(t), Env{Getenv: func(k string) string { return env[k] }, Dir: ws, Stdout: &out, Stderr: &errb})
			if code != 2 {
				t.Errorf("Main() = %d, want 2\n%s%s", code, out.String(), errb.String())
			}
			msg := errb.String()
			if !strings.Contains(msg, "input "+tc.input) || !strings.Contains(msg, filepath.Join(ws, tc.link)+" is a symbolic link") {
				t.Errorf("stderr does not name the input and the link:\n%s", msg)
			}
			entries, err := os.ReadDir(victimDir)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(filepath.Join(victimDir, ".profile"))
			if len(entries) != 1 || string(b) != "# original\n" {
				t.Errorf("the folder outside the workspace changed: %d entries, .profile = %q", len(entries), b)
			}
		})
	}
}

// TestGitLab_dotenvWithinLimit: 200 packs (security.md F8 overflowed at 14)
// keep the dotenv file within GitLab's 5 KiB, cut to the packs that fit,
// with PACK_PUBLISH_TRUNCATED=true, and the whole report in report-file.
func TestGitLab_dotenvWithinLimit(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	for i := range 200 {
		writePacks(t, ws, gittest.Pack(fmt.Sprintf("packs/pack-number-%03d", i), fmt.Sprintf("pack-number-%03d", i), "1.0.0"))
	}
	env := map[string]string{"GITLAB_CI": "true", "CI_PROJECT_DIR": ws, "PACK_PUBLISH_DETECT": "all", "PACK_PUBLISH_PACKS_DIR": "packs", "PACK_PUBLISH_DRY_RUN": "true"}
	var out, errb bytes.Buffer
	code := Main(context.Background(), readActionYAML(t), Env{Getenv: func(k string) string { return env[k] }, Dir: ws, Stdout: &out, Stderr: &errb, Version: "v9.9.9"})
	if code != 0 {
		t.Fatalf("Main() = %d, want 0\n%s", code, errb.String())
	}
	b, err := os.ReadFile(filepath.Join(ws, "pack-publish.env"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > dotenvLimit {
		t.Errorf("dotenv is %d bytes, over GitLab's %d", len(b), dotenvLimit)
	}
	vars := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		k, v, _ := strings.Cut(l, "=")
		vars[k] = v
	}
	if vars["PACK_PUBLISH_TRUNCATED"] != "true" || vars["PACK_PUBLISH_ANY_CHANGED"] != "true" {
		t.Errorf("TRUNCATED = %q, ANY_CHANGED = %q; want true, true", vars["PACK_PUBLISH_TRUNCATED"], vars["PACK_PUBLISH_ANY_CHANGED"])
	}
	var published []publishedEntry
	if err := json.Unmarshal([]byte(vars["PACK_PUBLISH_PUBLISHED"]), &published); err != nil || len(published) == 0 || len(published) >= 200 {
		t.Errorf("PUBLISHED holds %d packs (%v), want some but not all", len(published), err)
	}
	// The next pack would not have fitted.
	if more := renderDotenv(outputsN(&pipeline.Result{Packs: make([]pipeline.PackResult, 200), Selected: make([]string, 200)}, 0), true); len(more) > dotenvLimit {
		t.Errorf("even an empty dotenv is over the limit: %d bytes", len(more))
	}
	var rep struct {
		Version string            `json:"version"`
		Packs   []json.RawMessage `json:"packs"`
	}
	rb, err := os.ReadFile(filepath.Join(ws, "pack-publish-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(rb, &rep); err != nil || len(rep.Packs) != 200 || rep.Version != "v9.9.9" {
		t.Errorf("report: %d packs, version %q (%v); want 200 and v9.9.9", len(rep.Packs), rep.Version, err)
	}
	if !strings.Contains(errb.String(), fmt.Sprintf("holds %d of 200 packs", len(published))) {
		t.Errorf("no notice about the cut:\n%s", errb.String())
	}
}

func TestDotenvFile_largestThatFits(t *testing.T) {
	t.Parallel()
	res := &pipeline.Result{}
	for i := range 50 {
		p := fmt.Sprintf("packs/p%02d", i)
		res.Selected = append(res.Selected, p)
		res.Packs = append(res.Packs, pipeline.PackResult{Name: p[6:], Version: "1.0.0", Path: p, Status: pipeline.StatusDryRun})
	}
	for _, limit := range []int{600, 1000, 2000, 5120, 100000} {
		s, kept, total := dotenvFile(res, limit)
		if total != 50 || len(s) > limit {
			t.Errorf("limit %d: %d bytes, total %d", limit, len(s), total)
		}
		if kept < total && len(renderDotenv(outputsN(res, kept+1), true)) <= limit {
			t.Errorf("limit %d: kept %d packs, but %d fit", limit, kept, kept+1)
		}
		if (kept < total) != strings.Contains(s, "PACK_PUBLISH_TRUNCATED=true\n") {
			t.Errorf("limit %d: kept %d of %d, TRUNCATED line present = %v", limit, kept, total, !(kept < total))
		}
	}
}

// TestOutputs_matrixOnlyPublishable: one bad pack does not stop the others
// in a fan-out (ux.md U12): the matrix lists only packs that will be (or
// were) published.
func TestOutputs_matrixOnlyPublishable(t *testing.T) {
	t.Parallel()
	var got string
	for _, o := range outputs(sampleResult()) {
		if o.Name == "matrix" {
			got = o.Value
		}
	}
	res := &pipeline.Result{Packs: []pipeline.PackResult{
		{Name: "a", Version: "1", Path: "packs/a", Status: pipeline.StatusDryRun},
		{Name: "b", Version: "1", Path: "packs/b", Status: pipeline.StatusInvalid},
		{Name: "c", Version: "1", Path: "packs/c", Status: pipeline.StatusConflict},
		{Name: "d", Version: "1", Path: "packs/d", Status: pipeline.StatusFailed},
		{Name: "e", Version: "1", Path: "packs/e", Status: pipeline.StatusCancelled},
		{Name: "f", Version: "1", Path: "packs/f", Status: pipeline.StatusUnchanged},
		{Name: "g", Version: "1", Path: "packs/g", Status: pipeline.StatusPushed},
	}}
	for _, o := range outputs(res) {
		if o.Name == "matrix" {
			got = o.Value
		}
	}
	want := `{"include":[{"path":"packs/a","name":"a","version":"1"},{"path":"packs/g","name":"g","version":"1"}]}`
	if got != want {
		t.Errorf("matrix = %s\nwant     %s", got, want)
	}
}

// TestGitHub_groupsAndProgress: one log group per phase; [n/N] lines only
// once the run is long, at most every progressEvery, and at each phase end.
func TestGitHub_groupsAndProgress(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	var out bytes.Buffer
	env := map[string]string{"GITHUB_ACTIONS": "true"}
	fe := newFrontend(frontendOptions{getenv: func(k string) string { return env[k] }, stdout: &out, stderr: &out, now: func() time.Time { return now }})
	step := func(d time.Duration, p pipeline.Progress) { now = now.Add(d); fe.progress(p) }
	step(0, pipeline.Progress{Phase: "detect"})
	step(0, pipeline.Progress{Phase: "validate", Total: 3})
	for i := 1; i <= 3; i++ {
		step(100*time.Millisecond, pipeline.Progress{Phase: "validate", Done: i, Total: 3}) // a short phase: no counter
	}
	step(0, pipeline.Progress{Phase: "publish", Total: 100})
	for i := 1; i <= 100; i++ {
		step(200*time.Millisecond, pipeline.Progress{Phase: "publish", Done: i, Total: 100})
	}
	fe.progress(pipeline.Progress{Phase: "report"})
	if err := fe.finish(&pipeline.Result{}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"::group::Detect: selecting packs", "::endgroup::",
		"::group::Validate: 3 pack(s)", "::endgroup::",
		"::group::Publish: 100 pack(s)",
		"[14/100] published (2.8s in this phase)", // 3 s into the run
		"[39/100] published (7.8s in this phase)",
		"[64/100] published (12.8s in this phase)",
		"[89/100] published (17.8s in this phase)",
		"[100/100] published (20s in this phase)",
		"::endgroup::", "::group::Report", "::endgroup::",
	}
	got := strings.Split(out.String(), "\n")
	if len(got) < len(want) {
		t.Fatalf("log:\n%s", out.String())
	}
	if diff := cmp.Diff(want, got[:len(want)]); diff != "" {
		t.Errorf("log mismatch (-want +got):\n%s\nfull:\n%s", diff, out.String())
	}
	if strings.Count(out.String(), "::group::") != strings.Count(out.String(), "::endgroup::") {
		t.Errorf("a group is not closed:\n%s", out.String())
	}
}

// TestMain_folderNamesTheMatrixCannotPass: a folder with a comma or with
// surrounding spaces would be split or trimmed by the packs input of a
// fan-out job (security.md I5): it is refused (A6) and left out of the
// matrix, and the valid pack next to it is kept.
func TestMain_folderNamesTheMatrixCannotPass(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	for i, dir := range []string{"packs/a,b", "packs/ c", "packs/d ", "packs/e\x1b[31m", "packs/good"} {
		name := fmt.Sprintf("p%d", i)
		if dir == "packs/good" {
			name = "pgood"
		}
		writePacks(t, ws, gittest.Pack(dir, name, "1.0.0"))
	}
	outFile := filepath.Join(t.TempDir(), "out")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws, "GITHUB_OUTPUT": outFile,
		"INPUT_DETECT": "all", "INPUT_PACKS-DIR": "packs", "INPUT_DRY-RUN": "true"}
	var out bytes.Buffer
	code := Main(context.Background(), readActionYAML(t), Env{Getenv: func(k string) string { return env[k] }, Dir: ws, Stdout: &out, Stderr: &out})
	if code != 1 {
		t.Fatalf("Main() = %d, want 1\n%s", code, out.String())
	}
	b, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	got := parseGitHubOutput(t, b)
	if want := `{"include":[{"path":"packs/good","name":"pgood","version":"1.0.0"}]}`; got["matrix"] != want {
		t.Errorf("matrix = %s, want %s", got["matrix"], want)
	}
	for _, dir := range []string{"packs/a,b", "packs/ c", "packs/d ", "packs/e\x1b[31m"} {
		if !strings.Contains(out.String(), "title=A6::the folder name "+textsafe.Line(strconvQuote(dir[6:]))) {
			t.Errorf("no A6 annotation for %q:\n%s", dir, out.String())
		}
	}
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

// TestTerminal_packErrorNamesThePack: a publishing error on stderr says
// which pack it is about.
func TestTerminal_packErrorNamesThePack(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	fe := newFrontend(frontendOptions{getenv: func(string) string { return "" }, stdout: &out, stderr: &errb})
	fe.problem(pack.Finding{Severity: pack.SeverityError, Rule: "packs/a failed", Message: "response status code 403: denied"})
	if got, want := errb.String(), "error: packs/a failed: response status code 403: denied\n"; got != want || out.Len() != 0 {
		t.Errorf("stderr %q, stdout %q; want stderr %q", got, out.String(), want)
	}
}
