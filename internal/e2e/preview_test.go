package e2e

import (
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pack-publish/pack-publish/internal/ecr/ecrtest"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

// TestECR_dryRunCreatesNothing: a pull-request dry run on ECR logs in and
// reads, but creates no repository and writes nothing; the packs that are
// not published yet are dry-run. Not parallel: the SDK reads the process
// environment.
func TestECR_dryRunCreatesNothing(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/pack-publisher"
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic, Username: "AWS", Password: ecrtest.DefaultPassword})
	aws := ecrtest.New(t, ecrtest.Options{RoleARN: role, Subject: "repo:octo-org/packs:pull_request", ProxyEndpoint: "https://" + reg.Host})
	aws.Setenv(t)
	oidc := ecrtest.NewOIDC(t, map[string]any{"sub": "repo:octo-org/packs:pull_request"})
	env := newGHEnv(t, workspace(t), map[string]string{
		"registry": reg.Host, "base-path": "team-a", "auth": "ecr", "role-to-assume": role, "aws-region": "eu-west-1",
		"ca-file": reg.CAFile, "detect": "all", "packs-dir": "packs", "dry-run": "true",
	})
	maps.Copy(env.vars, oidc.Env())
	r := env.run(t)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, p := range decodePublished(t, env.outputs(t)["published"]) {
		if p.Status != "dry-run" || !strings.Contains(p.Message, "would push") {
			t.Errorf("%s: %s (%s), want dry-run: would push", p.Path, p.Status, p.Message)
		}
	}
	if got := aws.Created(); len(got) != 0 {
		t.Errorf("a dry run created the ECR repositories %v", got)
	}
	if len(reg.Requests()) == 0 {
		t.Errorf("the dry run did not read the registry")
	}
	for _, req := range reg.Requests() {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			t.Errorf("the dry run sent %s %s", req.Method, req.Path)
		}
	}
	if strings.Contains(r.stdout, "registry was not checked") {
		t.Errorf("the registry was read, yet a notice says it was not:\n%s", r.stdout)
	}
}

// TestGitHub_forkDryRunNotice: a pull request from a fork gets no secrets:
// the dry run validates and builds every pack, reads nothing, and one
// ::notice:: says the registry was not checked and why.
func TestGitHub_forkDryRunNotice(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
	env := newGHEnv(t, workspace(t), map[string]string{
		"registry": reg.Host, "base-path": "team-a", "username": "robot$ci", "password": "",
		"ca-file": reg.CAFile, "detect": "all", "packs-dir": "packs", "dry-run": "true",
	})
	r := env.run(t)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := strings.Count(r.stdout, "::notice::dry run: the registry was not checked (username is set but password is empty"); n != 1 {
		t.Errorf("%d notices saying the registry was not checked, want 1:\n%s", n, r.stdout)
	}
	if n := len(reg.Requests()); n != 0 {
		t.Errorf("the dry run sent %d requests to the registry, want none", n)
	}
	for _, p := range decodePublished(t, env.outputs(t)["published"]) {
		if p.Status != "dry-run" {
			t.Errorf("%s: %s (%s), want dry-run", p.Path, p.Status, p.Message)
		}
	}
}

// TestGitHub_pullRequestPreviewComment: the pull request edits a published
// pack without a version bump. Its dry run reads the registry, fails the
// check (exit 1) with the conflict, and writes the preview to comment-file
// for the sticky comment: marker first, the conflict with the differing
// file and the fix, the other packs unchanged. A comment-file that the
// repository planted as a symlink is refused before anything runs.
func TestGitHub_pullRequestPreviewComment(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
	ws := workspace(t)
	inputs := map[string]string{
		"registry": reg.Host, "base-path": "team-a", "username": reg.Username, "password": reg.Password,
		"ca-file": reg.CAFile, "detect": "all", "packs-dir": "packs",
	}
	if r := newGHEnv(t, ws, inputs).run(t); r.code != 0 {
		t.Fatalf("publishing: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	writeFile(t, filepath.Join(ws, "packs/hello-universe/values.yaml"), []byte("pack:\n  namespace: edited-in-the-pull-request\n"))
	gitRun(t, ws, "commit", "-q", "-am", "edit without a bump")

	inputs["dry-run"], inputs["comment-file"] = "true", "pack-publish-comment.md"
	reg.Reset()
	env := newGHEnv(t, ws, inputs)
	r := env.run(t)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (a conflict fails the pull request check)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, req := range reg.Requests() {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			t.Errorf("the dry run sent %s %s", req.Method, req.Path)
		}
	}
	b, err := os.ReadFile(filepath.Join(ws, "pack-publish-comment.md"))
	if err != nil {
		t.Fatal(err)
	}
	comment := string(b)
	if !strings.HasPrefix(comment, "<!-- pack-publish -->\n") {
		t.Errorf("comment does not start with the sticky marker:\n%s", comment)
	}
	for _, want := range []string{"conflict", "values.yaml", "bump", "hello-universe", "unchanged"} {
		if !strings.Contains(comment, want) {
			t.Errorf("comment lacks %q:\n%s", want, comment)
		}
	}
	summary, _ := os.ReadFile(env.summary)
	if strings.TrimSpace(strings.TrimPrefix(comment, "<!-- pack-publish -->\n")) != strings.TrimSpace(string(summary)) {
		t.Errorf("the comment is not the step summary under the marker:\ncomment:\n%s\nsummary:\n%s", comment, summary)
	}

	// A symlink planted where the comment goes is refused, nothing written.
	outside := filepath.Join(t.TempDir(), "victim")
	writeFile(t, outside, []byte("original"))
	if err := os.Remove(filepath.Join(ws, "pack-publish-comment.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(ws, "pack-publish-comment.md")); err != nil {
		t.Fatal(err)
	}
	if r := newGHEnv(t, ws, inputs).run(t); r.code != 2 || !strings.Contains(r.stdout+r.stderr, "comment-file") {
		t.Errorf("planted symlink: exit %d, want 2 naming comment-file\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(outside); string(b) != "original" {
		t.Errorf("the file behind the symlink was overwritten: %q", b)
	}
}

// TestGitHub_noticesFirst: a notice about the whole run ("publishing every
// pack", "the registry was not checked") is printed when it arises, before
// the packs' lines, not after the last of them.
func TestGitHub_noticesFirst(t *testing.T) {
	t.Parallel()
	env := newGHEnv(t, workspace(t), map[string]string{"packs-dir": "packs", "dry-run": "true"}) // workflow_dispatch: every pack
	r := env.run(t)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	every := strings.Index(r.stdout, "::notice::publishing every pack")
	notChecked := strings.Index(r.stdout, "::notice::dry run: the registry was not checked")
	firstPack := strings.Index(r.stdout, "packs/hello-")
	if every < 0 || notChecked < 0 || firstPack < 0 || every > firstPack || notChecked > firstPack {
		t.Errorf("notices at %d and %d, first pack line at %d: want both notices first\n%s", every, notChecked, firstPack, r.stdout)
	}
	if n := strings.Count(r.stdout, "::notice::publishing every pack"); n != 1 {
		t.Errorf("the notice is printed %d times, want once\n%s", n, r.stdout)
	}
}

// TestGitHub_nothingAttemptedSummary: a run that stops before attempting
// anything (exit 2: here the pre-flight check meets a wrong password) still
// says why on the step summary page, once, without the password.
func TestGitHub_nothingAttemptedSummary(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
	const wrong = "not-the-Pa55word"
	env := newGHEnv(t, workspace(t), map[string]string{
		"registry": reg.Host, "base-path": "team-a", "username": reg.Username, "password": wrong,
		"ca-file": reg.CAFile, "detect": "all", "packs-dir": "packs",
	})
	r := env.run(t)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(env.summary)
	if err != nil {
		t.Fatal(err)
	}
	summary := string(b)
	if !strings.Contains(summary, "nothing was attempted") || strings.Count(summary, "pre-flight check") != 1 {
		t.Errorf("summary does not say once why nothing was attempted:\n%s", summary)
	}
	if strings.Contains(summary, wrong) {
		t.Errorf("the summary holds the password:\n%s", summary)
	}
}
