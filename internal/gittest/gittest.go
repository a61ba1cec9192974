// Package gittest builds real git repositories in temporary folders for
// tests: commits with fixed identities and dates, bare origins and shallow
// clones, the way CI checkouts look. It is imported only by tests.
package gittest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Repo is a git repository (or bare repository) on disk.
type Repo struct {
	t   testing.TB
	Dir string
	n   int // commits made, for increasing dates
}

// Init creates a repository with branch main.
func Init(t testing.TB) *Repo {
	t.Helper()
	r := &Repo{t: t, Dir: t.TempDir()}
	r.Git("init", "-q", "-b", "main")
	return r
}

// Bare creates a bare repository, to serve as origin.
func Bare(t testing.TB) *Repo {
	t.Helper()
	r := &Repo{t: t, Dir: t.TempDir()}
	r.Git("init", "-q", "--bare", "-b", "main")
	return r
}

// Clone clones url (a path or file:// URL); depth 0 clones everything.
func Clone(t testing.TB, url string, depth int, args ...string) *Repo {
	t.Helper()
	r := &Repo{t: t, Dir: filepath.Join(t.TempDir(), "clone")}
	cmdArgs := []string{"clone", "-q"}
	if depth > 0 {
		cmdArgs = append(cmdArgs, fmt.Sprintf("--depth=%d", depth))
	}
	cmdArgs = append(cmdArgs, args...)
	run(t, filepath.Dir(r.Dir), 0, append(cmdArgs, url, r.Dir)...)
	return r
}

// Git runs git in the repository and returns its trimmed output.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	return run(r.t, r.Dir, r.n, args...)
}

func run(t testing.TB, dir string, n int, args ...string) string {
	t.Helper()
	full := append([]string{"-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgSign=false",
		"-c", "protocol.file.allow=always", "-c", "init.defaultBranch=main"}, args...)
	cmd := exec.Command("git", full...)
	cmd.Dir = dir
	date := fmt.Sprintf("2024-01-01T00:%02d:%02dZ", n/60%60, n%60)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date, "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Write writes files (path -> content) relative to the repository.
func (r *Repo) Write(files map[string]string) {
	r.t.Helper()
	for p, c := range files {
		full := filepath.Join(r.Dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// Commit stages everything and commits; it returns the new commit's SHA.
func (r *Repo) Commit(msg string) string {
	r.t.Helper()
	r.n++
	r.Git("add", "-A")
	r.Git("commit", "-q", "--allow-empty", "-m", msg)
	return r.Git("rev-parse", "HEAD")
}

// Pack returns the files of a small pack named name at version that passes
// every lint rule.
func Pack(dir, name, version string) map[string]string {
	return map[string]string{
		dir + "/pack.json": fmt.Sprintf(`{"name":%q,"displayName":%q,"version":%q,"layer":"addon","addonType":"monitoring",`+
			`"cloudTypes":["all"],"kubeManifests":["manifests/app.yaml"]}`, name, name, version),
		dir + "/values.yaml":        "pack:\n  namespace: " + name + "\n  content:\n    images:\n      - image: nginx:1.27\nmanifests:\n  app:\n    replicas: 1\n",
		dir + "/manifests/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n",
		dir + "/logo.png":           "\x89PNG\r\n\x1a\n",
		dir + "/README.md":          "# " + name + "\n",
	}
}
