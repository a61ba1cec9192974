package e2e

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pack-publish/pack-publish/internal/ecr/ecrtest"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

// TestECR publishes with auth: ecr through GitHub OIDC: the fake GitHub
// token endpoint, a fake STS and ECR driven through the real AWS SDK
// (AWS_ENDPOINT_URL_*), and a registry that accepts only AWS + the issued
// password. Not parallel: the SDK reads the process environment.
func TestECR(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/pack-publisher"
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic, Username: "AWS", Password: ecrtest.DefaultPassword})
	aws := ecrtest.New(t, ecrtest.Options{RoleARN: role, Subject: "repo:octo-org/packs:ref:refs/heads/main", ProxyEndpoint: "https://" + reg.Host})
	aws.Setenv(t)
	oidc := ecrtest.NewOIDC(t, map[string]any{"sub": "repo:octo-org/packs:ref:refs/heads/main", "ref": "refs/heads/main"})

	ws := workspace(t)
	inputs := map[string]string{
		"registry": reg.Host, "base-path": "team-a", "auth": "ecr", "role-to-assume": role, "aws-region": "eu-west-1",
		"ca-file": reg.CAFile, "detect": "all", "packs-dir": "packs",
	}
	env := newGHEnv(t, ws, inputs)
	maps.Copy(env.vars, oidc.Env())
	r := env.run(t)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, p := range decodePublished(t, env.outputs(t)["published"]) {
		if p.Status != "pushed" {
			t.Errorf("%s: %s (%s)", p.Path, p.Status, p.Message)
		}
	}
	if got := oidc.Audiences(); len(got) != 1 || got[0] != "sts.amazonaws.com" {
		t.Errorf("OIDC audiences requested = %v", got)
	}
	actions := aws.Actions()
	if len(actions) < 2 || actions[0] != "sts:AssumeRoleWithWebIdentity" || actions[1] != "ecr:GetAuthorizationToken" {
		t.Errorf("AWS call sequence = %v, want STS then GetAuthorizationToken first", actions)
	}
	for _, c := range aws.Calls()[1:] {
		if c.KeyID != ecrtest.DefaultAccessKeyID {
			t.Errorf("%s signed with %q, want the assumed key", c.Action, c.KeyID)
		}
	}
	want := []string{"team-a/spectro-packs/archive", "team-a/spectro-packs/archive/hello-constraints", "team-a/spectro-packs/archive/hello-universe", "team-a/spectro-packs/archive/prometheus-grafana"}
	got := aws.Created()
	if diff := cmp.Diff(want, slices.Sorted(slices.Values(got))); diff != "" {
		t.Errorf("repositories created (-want +got):\n%s", diff)
	}
	for _, req := range reg.Requests() {
		if req.Method == "PUT" && strings.HasSuffix(req.Path, "/spectro-packs/archive/manifests/sha256:b6979198984a95d78527ae696f8b49fcfa236177b0a61af9cc89291eb2b6b1ef") || strings.Contains(req.Path, "/v2/team-a/spectro-packs/archive/manifests/") {
			t.Errorf("pushed a base-path artifact on ECR: %s %s", req.Method, req.Path)
		}
	}
	secrets := append([]string{ecrtest.DefaultPassword, ecrtest.DefaultSecretAccessKey, ecrtest.DefaultSessionToken}, oidc.Tokens()...)
	for _, s := range secrets {
		env.scanAll(t, s)
		if !strings.Contains(r.stdout, "::add-mask::"+s) {
			t.Errorf("secret %.8s... was never masked", s)
		}
	}

	// A re-run: repositories exist, tags hold the same content.
	env2 := newGHEnv(t, ws, inputs)
	maps.Copy(env2.vars, oidc.Env())
	if r := env2.run(t); r.code != 0 {
		t.Fatalf("re-run exit %d\n%s", r.code, r.stdout)
	}
	for _, p := range decodePublished(t, env2.outputs(t)["published"]) {
		if p.Status != "unchanged" {
			t.Errorf("re-run: %s %s", p.Path, p.Status)
		}
	}
}

// TestECR_noIDToken: role-to-assume without `permissions: id-token: write`.
func TestECR_noIDToken(t *testing.T) {
	aws := ecrtest.New(t, ecrtest.Options{})
	aws.Setenv(t)
	ws := workspace(t)
	env := newGHEnv(t, ws, map[string]string{"registry": "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "role-to-assume": "arn:aws:iam::123456789012:role/x", "detect": "all", "packs-dir": "packs"})
	r := env.run(t)
	// The login is the pre-flight check: nothing attempted, exit 2, one error.
	if r.code != 2 || !strings.Contains(r.stdout, "id-token: write") || strings.Count(r.stdout, "::error") != 1 {
		t.Errorf("exit %d, want 2 with one hint about id-token: write:\n%s", r.code, r.stdout)
	}
}

// TestECR_distribution runs the same flow once against Debian's
// docker-registry, which accepts only AWS + the ECR password.
func TestECR_distribution(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/pack-publisher"
	reg := startDistributionAs(t, "AWS", ecrtest.DefaultPassword)
	aws := ecrtest.New(t, ecrtest.Options{RoleARN: role, ProxyEndpoint: "https://" + reg.Host})
	aws.Setenv(t)
	oidc := ecrtest.NewOIDC(t, nil)
	ws := workspace(t)
	env := newGHEnv(t, ws, map[string]string{
		"registry": reg.Host, "base-path": "ecr", "auth": "ecr", "role-to-assume": role, "aws-region": "eu-west-1",
		"ca-file": reg.CAFile, "detect": "all", "packs-dir": "packs",
	})
	maps.Copy(env.vars, oidc.Env())
	r := env.run(t)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if n := len(decodePublished(t, env.outputs(t)["published"])); n != 3 {
		t.Errorf("published %d packs, want 3", n)
	}
	if len(aws.Created()) != 4 {
		t.Errorf("created repositories %v, want 4", aws.Created())
	}
	env.scanAll(t, ecrtest.DefaultPassword)
}

// TestECR_immutableConflict: a changed pack whose version was not bumped, in an
// ECR repository with IMMUTABLE tags, fails with a message saying that
// overwrite cannot help.
func TestECR_immutableConflict(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic, Username: "AWS", Password: ecrtest.DefaultPassword})
	aws := ecrtest.New(t, ecrtest.Options{Immutable: []string{"team-a/spectro-packs/archive/hello-universe"}, ProxyEndpoint: "https://" + reg.Host})
	aws.Setenv(t)
	ws := workspace(t)
	inputs := map[string]string{"registry": reg.Host, "base-path": "team-a", "auth": "ecr", "aws-region": "eu-west-1",
		"ca-file": reg.CAFile, "packs": "packs/hello-universe", "overwrite": "true"}
	t.Setenv("AWS_ACCESS_KEY_ID", ecrtest.DefaultAccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", ecrtest.DefaultSecretAccessKey)
	if r := newGHEnv(t, ws, inputs).run(t); r.code != 0 {
		t.Fatalf("first run exit %d\n%s", r.code, r.stdout)
	}
	if err := os.WriteFile(ws+"/packs/hello-universe/README.md", []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inputs["overwrite"] = "false"
	env := newGHEnv(t, ws, inputs)
	r := env.run(t)
	p := decodePublished(t, env.outputs(t)["published"])
	if r.code != 1 || len(p) != 1 || p[0].Status != "conflict" || !strings.Contains(p[0].Message, "IMMUTABLE tags") {
		t.Errorf("exit %d, published %+v; want conflict naming IMMUTABLE tags", r.code, p)
	}
}

// TestECR_apiConcurrency: the tag lookups run 4 x concurrency wide, but the
// ECR API calls that create repositories stay within concurrency (ECR's API
// is rate-limited per account).
func TestECR_apiConcurrency(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/pack-publisher"
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic, Username: "AWS", Password: ecrtest.DefaultPassword})
	aws := ecrtest.New(t, ecrtest.Options{RoleARN: role, Delay: 20 * time.Millisecond, ProxyEndpoint: "https://" + reg.Host})
	aws.Setenv(t)
	oidc := ecrtest.NewOIDC(t, nil)
	env := newGHEnv(t, manyPacks(t, 12, 0), map[string]string{
		"registry": reg.Host, "base-path": "ecr", "auth": "ecr", "role-to-assume": role, "aws-region": "eu-west-1",
		"ca-file": reg.CAFile, "detect": "all", "packs-dir": "packs", "concurrency": "2",
	})
	maps.Copy(env.vars, oidc.Env())
	if r := env.run(t); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if n := len(aws.Created()); n != 13 {
		t.Errorf("created %d repositories, want 13", n)
	}
	if n := aws.MaxInFlight(); n > 2 {
		t.Errorf("%d ECR calls at once, want at most concurrency (2)", n)
	}
}
