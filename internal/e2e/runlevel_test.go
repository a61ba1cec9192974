package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

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
		{"password on stdin, wrong", []string{"PACK_PUBLISH_REGISTRY=" + reg.Host, "PACK_PUBLISH_CA_FILE=" + reg.CAFile, "PACK_PUBLISH_USERNAME=" + reg.Username},
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
