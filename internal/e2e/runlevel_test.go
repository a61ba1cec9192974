package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pack-publish/pack-publish/internal/pipeline"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

// The run-level behaviour (exit codes, typos, pre-flight, timeouts,
// interrupts) is tested through the built binary, as users meet it.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds pack-publish once per test process, with a version stamped
// in as a release build would.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pack-publish-e2e-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "pack-publish")
		out, err := exec.Command("go", "build", "-ldflags", "-X main.version=v9.8.7-test", "-o", binPath, "../..").CombinedOutput()
		if err != nil {
			binErr = err
			t.Logf("%s", out)
		}
	})
	if binErr != nil {
		t.Fatalf("go build: %v", binErr)
	}
	return binPath
}

type binResult struct {
	code           int
	stdout, stderr string
}

// runBinary runs pack-publish in dir with exactly env (plus PATH and HOME),
// stdin as given.
func runBinary(t *testing.T, dir string, env []string, stdin string, args ...string) binResult {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running pack-publish: %v", err)
	}
	return binResult{code, out.String(), errb.String()}
}

// TestBinary_typos: a typo is exit 2 with a did-you-mean and nothing is
// pushed (PACK_PUBLISH_DRYRUN=true used to publish for real).
func TestBinary_typos(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
	ws := workspace(t)
	creds := []string{"PACK_PUBLISH_REGISTRY=" + reg.Host, "PACK_PUBLISH_CA_FILE=" + reg.CAFile,
		"PACK_PUBLISH_USERNAME=" + reg.Username, "PACK_PUBLISH_PASSWORD=" + reg.Password, "PACK_PUBLISH_DETECT=all"}
	tests := []struct {
		name  string
		env   []string
		args  []string
		stdin string
		code  int
		want  string
	}{
		{"misspelt variable", append([]string{"PACK_PUBLISH_DRYRUN=true", "PACK_PUBLISH_PACKS_DIR=packs"}, creds...), nil, "", 2,
			"PACK_PUBLISH_DRYRUN names no input; did you mean PACK_PUBLISH_DRY_RUN?"},
		{"misspelt flag", creds, []string{"--packsdir", "packs"}, "", 2, "unknown flag --packsdir; did you mean --packs-dir?"},
		{"flag twice", creds, []string{"--packs-dir", "packs", "--packs-dir", "more"}, "", 2, "--packs-dir is given twice"},
		{"missing pack folder", creds, []string{"--packs", "packs/hello-univers"}, "", 2,
			`input packs: the folder "packs/hello-univers" does not exist (paths are relative to the workspace); did you mean "packs/hello-universe"?`},
		{"missing packs-dir", creds, []string{"--packs-dir", "pack"}, "", 2, `input packs-dir: the folder "pack" does not exist`},
		{"bool word", creds, []string{"--packs-dir", "packs", "--dry-run", "yes"}, "", 2, "write --dry-run, --dry-run=true or --dry-run false"},
		{"bool space form", creds, []string{"--packs-dir", "packs", "--dry-run", "true"}, "", 0, "3 dry-run"},
		{"version", nil, []string{"--version"}, "", 0, "pack-publish v9.8.7-test"},
		{"github: undeclared with: key", []string{"GITHUB_ACTIONS=true", "INPUT_PACKSDIR=packs", "INPUT_PACKS-DIR=packs", "INPUT_DRY-RUN=true", "INPUT_DETECT=all"}, nil, "", 0,
			`::warning::INPUT_PACKSDIR: pack-publish has no input "packsdir"; it is ignored (did you mean packs-dir?)`},
		{"password on stdin, dry run", []string{"PACK_PUBLISH_REGISTRY=" + reg.Host, "PACK_PUBLISH_CA_FILE=" + reg.CAFile, "PACK_PUBLISH_USERNAME=" + reg.Username},
			[]string{"--password-stdin", "--dry-run", "--packs-dir", "packs", "--detect", "all"}, "not-it\n", 0, "3 dry-run"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runBinary(t, ws, tc.env, tc.stdin, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Errorf("exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, tc.want, r.stdout, r.stderr)
			}
		})
	}
	for _, req := range reg.Requests() {
		if req.Method != "GET" && req.Method != "HEAD" {
			t.Errorf("a typo run wrote to the registry: %s %s", req.Method, req.Path)
		}
	}
}

// errorLines returns the lines of out that report an error, in either
// front end's spelling.
func errorLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "error:") || strings.HasPrefix(l, "::error") {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestBinary_preflight: a destination that cannot work fails once, before
// any pack, with exit 2 and one error that names the cause and the fix; a
// wrong password reaches the registry at most twice, whatever the number of
// packs (it was once per pack: enough to lock an LDAP-backed account).
func TestBinary_preflight(t *testing.T) {
	t.Parallel()
	const packs = 20
	ws := manyPacks(t, packs, 0)
	basic := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
	harbor := registrytest.New(t, registrytest.Options{Auth: registrytest.Harbor})
	dist := startDistribution(t)
	common := []string{"--detect", "all", "--packs-dir", "packs", "--base-path", "team-a"}
	dockerConfig := filepath.Join(t.TempDir(), "config.json")
	writeFile(t, dockerConfig, []byte(`{"auths":{"`+basic.Host+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte(basic.Username+":wrong"))+`"}}}`))
	tests := []struct {
		name   string
		args   []string
		want   string
		logins func() int // failed logins the registry saw
	}{
		{"basic, wrong password", []string{"--registry", basic.Host, "--ca-file", basic.CAFile, "--username", basic.Username, "--password", "wrong"},
			"the registry refused the credentials: check username and password", basic.FailedLogins},
		{"token service, wrong password", []string{"--registry", harbor.Host, "--ca-file", harbor.CAFile, "--username", harbor.Username, "--password", "wrong"},
			"the registry refused the credentials: check username and password", harbor.FailedLogins},
		{"docker-registry htpasswd, wrong password", []string{"--registry", dist.Host, "--ca-file", dist.CAFile, "--username", dist.User, "--password", "wrong"},
			"the registry refused the credentials: check username and password", func() int {
				log, _ := os.ReadFile(filepath.Join(filepath.Dir(dist.Data), "registry.log"))
				return strings.Count(string(log), "error authenticating user")
			}},
		{"docker config, wrong password", []string{"--registry", basic.Host, "--ca-file", basic.CAFile, "--auth", "docker-config", "--docker-config", dockerConfig},
			"the registry refused the credentials", basic.FailedLogins},
		{"no credentials", []string{"--registry", basic.Host, "--ca-file", basic.CAFile, "--auth", "none"},
			"the registry asks for credentials and none were given", nil},
		{"unreachable", []string{"--registry", "127.0.0.1:1", "--username", "u", "--password", "p"},
			"the registry is unreachable", nil},
		{"plain http against https", []string{"--registry", basic.Host, "--plain-http", "--username", basic.Username, "--password", basic.Password},
			"unset plain-http", nil},
		{"unknown CA", []string{"--registry", basic.Host, "--username", basic.Username, "--password", basic.Password},
			"set ca-file", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := 0
			if tc.logins != nil {
				before = tc.logins()
			}
			r := runBinary(t, ws, nil, "", append(tc.args, common...)...)
			out := r.stdout + r.stderr
			errs := errorLines(out)
			if r.code != 2 || len(errs) != 1 || !strings.Contains(errs[0], "the pre-flight check of") || !strings.Contains(errs[0], tc.want) {
				t.Errorf("exit %d and %d error line(s), want 2 and one pre-flight error with %q:\n%s", r.code, len(errs), tc.want, out)
			}
			if tc.logins != nil {
				if n := tc.logins() - before; n < 1 || n > 2 {
					t.Errorf("%d failed logins for %d packs, want 1 or 2", n, packs)
				}
			}
		})
	}
	for _, req := range append(basic.Requests(), harbor.Requests()...) {
		if req.Method != "GET" && req.Method != "HEAD" {
			t.Errorf("a failed pre-flight wrote to the registry: %s %s", req.Method, req.Path)
		}
	}
}

// TestBinary_hangingRegistry: a registry that accepts connections and
// never answers ends the run at the timeout, with one message naming the
// host and the timeout; the packs are cancelled, not failed.
func TestBinary_hangingRegistry(t *testing.T) {
	t.Parallel()
	host, _ := registrytest.Hanging(t)
	ws := manyPacks(t, 5, 0)
	report := filepath.Join(t.TempDir(), "report.json")
	start := time.Now()
	r := runBinary(t, ws, nil, "", "--registry", host, "--plain-http", "--username", "u", "--password", "p",
		"--detect", "all", "--packs-dir", "packs", "--timeout", "2s", "--report-file", report)
	elapsed := time.Since(start)
	out := r.stdout + r.stderr
	errs := errorLines(out)
	if r.code != 1 || len(errs) != 1 || !strings.Contains(errs[0], "timed out after 2s") || !strings.Contains(errs[0], host) {
		t.Errorf("exit %d, want 1 and one error naming %s and 2s:\n%s", r.code, host, out)
	}
	if n := strings.Count(out, "not finished: the run"); n != 0 {
		t.Errorf("%d per-pack reasons for cancelled packs, want none besides the one error:\n%s", n, out)
	}
	if elapsed > 20*time.Second {
		t.Errorf("the run took %s with timeout 2s", elapsed)
	}
	res := readReport(t, report)
	if res.Interrupted == "" {
		t.Error("report: interrupted is empty")
	}
	for _, p := range res.Packs {
		if p.Status != pipeline.StatusCancelled {
			t.Errorf("%s: %s (%s), want cancelled", p.Path, p.Status, p.Message)
		}
	}
}

func readReport(t *testing.T, name string) pipeline.Result {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var res pipeline.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestBinary_sigint: SIGINT in the middle of publishing leaves the packs
// not finished cancelled, with one line saying the run was interrupted
// (not one "context canceled" per pack), and exit 1.
func TestBinary_sigint(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
	ws := manyPacks(t, 16, 3<<20) // uploads take a while
	report := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(binary(t), "--registry", reg.Host, "--ca-file", reg.CAFile, "--username", reg.Username, "--password", reg.Password,
		"--detect", "all", "--packs-dir", "packs", "--concurrency", "2", "--report-file", report)
	cmd.Dir = ws
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for reg.BlobUploads() < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1\n%s", err, out.String())
	}
	errs := errorLines(out.String())
	if len(errs) != 1 || !strings.Contains(errs[0], "the run was interrupted") {
		t.Errorf("%d error lines, want one saying the run was interrupted:\n%s", len(errs), out.String())
	}
	if strings.Contains(out.String(), "context canceled") || strings.Contains(out.String(), "not finished: the run") {
		t.Errorf("output says context canceled, or gives a reason per cancelled pack:\n%s", out.String())
	}
	res := readReport(t, report)
	cancelled := 0
	for _, p := range res.Packs {
		switch p.Status {
		case pipeline.StatusPushed:
		case pipeline.StatusCancelled:
			cancelled++
		default:
			t.Errorf("%s: %s (%s), want pushed or cancelled", p.Path, p.Status, p.Message)
		}
	}
	if cancelled == 0 {
		t.Errorf("no pack cancelled: the interrupt came too late\n%s", out.String())
	}
}

// TestBinary_conflict: a published version holding other files is
// `conflict`, exit 1, with both digests in the report.
func TestBinary_conflict(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
	ws := workspace(t)
	report := filepath.Join(t.TempDir(), "report.json")
	// The password comes on stdin (--password-stdin), as it should on a laptop.
	args := []string{"--registry", reg.Host, "--ca-file", reg.CAFile, "--username", reg.Username, "--password-stdin",
		"--packs", "packs/hello-universe", "--report-file", report}
	if r := runBinary(t, ws, nil, reg.Password+"\n", args...); r.code != 0 {
		t.Fatalf("first run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	writeFile(t, filepath.Join(ws, "packs/hello-universe/values.yaml"), []byte("pack:\n  namespace: changed\n"))
	r := runBinary(t, ws, nil, reg.Password+"\n", args...)
	res := readReport(t, report)
	if r.code != 1 || len(res.Packs) != 1 {
		t.Fatalf("exit %d, %d packs; want 1 and 1\n%s%s", r.code, len(res.Packs), r.stdout, r.stderr)
	}
	p := res.Packs[0]
	if p.Status != pipeline.StatusConflict || p.Digest == "" || p.BuiltDigest == "" || p.Digest == p.BuiltDigest ||
		!strings.Contains(p.Message, p.Digest) || !strings.Contains(p.Message, p.BuiltDigest) || !strings.Contains(p.Message, "values.yaml") {
		t.Errorf("pack %+v, want conflict with both digests and values.yaml", p)
	}
	if !strings.Contains(r.stdout, "1 conflict") {
		t.Errorf("the count line lacks 1 conflict:\n%s", r.stdout)
	}
}

// TestBinary_permissionHints: on a token registry a missing permission
// arrives as 401 insufficient_scope after the token service accepted the
// credentials; the message names the permission and the repository, not
// "check username and password".
func TestBinary_permissionHints(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Harbor})
	run := func(ws, basePath string) binResult {
		return runBinary(t, ws, nil, "", "--registry", reg.Host, "--ca-file", reg.CAFile, "--username", reg.Username,
			"--password", reg.Password, "--detect", "all", "--packs-dir", "packs", "--base-path", basePath)
	}
	if r := run(workspace(t), "team-a"); r.code != 0 {
		t.Fatalf("first publish: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	tests := []struct {
		name     string
		access   func(repo string) string
		basePath string
		code     int
		want     []string
	}{
		{"pull-only robot", func(string) string { return "pull" }, "team-a", 1, []string{
			"the token service accepted the credentials but granted no pull,push on team-a/spectro-packs/archive/p00",
			"(needs pull,push on team-a/spectro-packs/archive/p00)",
		}},
		{"base path outside the ACL", func(repo string) string {
			if strings.HasPrefix(repo, "team-a/") {
				return "pull,push"
			}
			return ""
		}, "other", 2, []string{
			"the pre-flight check of " + reg.Host + " failed",
			"granted no pull on other/spectro-packs/archive",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg.SetAccess(tc.access)
			defer reg.SetAccess(nil)
			r := run(manyPacks(t, 2, 0), tc.basePath)
			out := r.stdout + r.stderr
			if r.code != tc.code || strings.Contains(out, "check username and password") || strings.Contains(out, "map[") {
				t.Errorf("exit %d, want %d, without a credentials hint or Go maps:\n%s", r.code, tc.code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
