package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/pack-publish/pack-publish/internal/action"
	"github.com/pack-publish/pack-publish/internal/gittest"
)

// Package e2e runs the whole program (action.Main, as main.go does) against
// real registries and checks what it pushed with independent clients.

var actionYAML = mustRead("../../action.yml")

func mustRead(name string) []byte {
	b, err := os.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// workspace copies the example packs into a new git repository whose single
// commit has a fixed date, so that `created` and every digest are stable.
func workspace(t *testing.T) string {
	t.Helper()
	ws := t.TempDir()
	copyTree(t, "../../testdata/packs", filepath.Join(ws, "packs"))
	gitRun(t, ws, "init", "-q", "-b", "main")
	gitRun(t, ws, "add", "-A")
	gitRun(t, ws, "commit", "-q", "-m", "packs")
	return ws
}

// manyPacks is a workspace with n small packs p00, p01, ... at 1.0.0, each
// with noise bytes of random (incompressible) data when noise > 0.
func manyPacks(t *testing.T, n, noise int) string {
	t.Helper()
	repo := gittest.Init(t)
	for i := range n {
		dir := fmt.Sprintf("packs/p%02d", i)
		repo.Write(gittest.Pack(dir, fmt.Sprintf("p%02d", i), "1.0.0"))
		if noise > 0 {
			data := make([]byte, noise)
			_, _ = rand.Read(data)
			writeFile(t, filepath.Join(repo.Dir, dir, "data.bin"), data)
		}
	}
	repo.Commit("packs")
	return repo.Dir
}

func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgSign=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE=2024-05-01T10:00:00Z", "GIT_COMMITTER_DATE=2024-05-01T10:00:00Z")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.Type()&fs.ModeSymlink != 0 {
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		}
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ghEnv is a GitHub-Actions-like environment for one run.
type ghEnv struct {
	vars    map[string]string
	output  string // GITHUB_OUTPUT file
	summary string // GITHUB_STEP_SUMMARY file
	stdout  string // of the last run
	stderr  string
}

func newGHEnv(t *testing.T, ws string, inputs map[string]string) *ghEnv {
	t.Helper()
	dir := t.TempDir()
	e := &ghEnv{output: filepath.Join(dir, "output"), summary: filepath.Join(dir, "summary")}
	e.vars = map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_WORKSPACE":    ws,
		"GITHUB_OUTPUT":       e.output,
		"GITHUB_STEP_SUMMARY": e.summary,
		"GITHUB_EVENT_NAME":   "workflow_dispatch",
		"HOME":                dir,
	}
	for k, v := range inputs {
		e.vars["INPUT_"+strings.ToUpper(k)] = v
	}
	return e
}

type runResult struct {
	code           int
	stdout, stderr string
}

func (e *ghEnv) run(t *testing.T, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := action.Main(context.Background(), actionYAML, action.Env{
		Args: args, Getenv: func(k string) string { return e.vars[k] }, Dir: e.vars["GITHUB_WORKSPACE"],
		Stdout: &out, Stderr: &errb,
	})
	e.stdout, e.stderr = out.String(), errb.String()
	return runResult{code, e.stdout, e.stderr}
}

// outputs parses the GITHUB_OUTPUT file (name<<DELIM ... DELIM records).
func (e *ghEnv) outputs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(e.output)
	if err != nil {
		t.Fatalf("reading GITHUB_OUTPUT: %v", err)
	}
	m := map[string]string{}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		m[name] = strings.Join(val, "\n")
	}
	return m
}

// scanAll scans every stream of a run for the secret.
func (e *ghEnv) scanAll(t *testing.T, secret string) {
	t.Helper()
	out, _ := os.ReadFile(e.output)
	sum, _ := os.ReadFile(e.summary)
	scanSecrets(t, secret, map[string]string{"stdout": e.stdout, "stderr": e.stderr, "GITHUB_OUTPUT": string(out), "summary": string(sum)})
}

// scanSecrets fails when a secret appears anywhere but in its ::add-mask::
// command on stdout, which must come before any other line holding it.
func scanSecrets(t *testing.T, secret string, streams map[string]string) {
	t.Helper()
	for name, s := range streams {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if !strings.Contains(l, secret) {
				continue
			}
			if name == "stdout" && strings.HasPrefix(l, "::add-mask::") && !strings.Contains(strings.Join(lines[:i], "\n"), secret) {
				continue
			}
			t.Errorf("secret found in %s line %d: %q", name, i+1, l)
		}
	}
}

// layerOf returns the single layer of a manifest.
func layerOf(t *testing.T, manifest []byte) ocispec.Descriptor {
	t.Helper()
	var m ocispec.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil || len(m.Layers) != 1 {
		t.Fatalf("manifest %s: %v", manifest, err)
	}
	return m.Layers[0]
}
