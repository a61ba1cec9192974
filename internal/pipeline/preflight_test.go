package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pack-publish/pack-publish/internal/config"
	"github.com/pack-publish/pack-publish/internal/ecr/ecrtest"
	"github.com/pack-publish/pack-publish/internal/gittest"
	"github.com/pack-publish/pack-publish/internal/registry"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

// TestRun_ecrStall: the STS and ECR calls have the same bounded timeouts as
// the registry's: an ECR endpoint that never answers fails the pre-flight
// check (exit 2) naming the host, instead of hanging the run.
func TestRun_ecrStall(t *testing.T) {
	ecrtest.Isolate(t)
	host, _ := registrytest.Hanging(t)
	t.Setenv("AWS_ENDPOINT_URL_ECR", "http://"+host)
	t.Setenv("AWS_ACCESS_KEY_ID", ecrtest.DefaultAccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", ecrtest.DefaultSecretAccessKey)
	dir := ws(t, gittest.Pack("packs/a", "a", "1.0.0"))
	c := cfg(dir, func(c *config.Config) {
		c.DryRun, c.Registry, c.Auth = false, "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "ecr"
	})
	start := time.Now()
	_, err := Run(context.Background(), c, Options{Timeouts: registry.Timeouts{Stall: 200 * time.Millisecond}})
	var pf *PreflightError
	var stall *registry.StallError
	if !errors.As(err, &pf) || !errors.Is(err, ErrConfig) || !errors.As(err, &stall) || !strings.Contains(err.Error(), host+" did not answer") {
		t.Fatalf("Run() = %v, want a pre-flight error naming %s", err, host)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("Run() took %s", d)
	}
}

// TestRun_preflightBeforeLookups: with a wrong password, no tag lookup
// starts before the base-path check has failed: the registry sees the
// wrong credentials once, however many packs there are.
func TestRun_preflightBeforeLookups(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
	var files []map[string]string
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		files = append(files, gittest.Pack("packs/"+n, n, "1.0.0"))
	}
	dir := ws(t, files...)
	c := cfg(dir, func(c *config.Config) {
		c.DryRun, c.Registry, c.CAFile, c.Username, c.Password = false, reg.Host, reg.CAFile, reg.Username, "wrong"
	})
	res, err := Run(context.Background(), c, Options{})
	if !errors.Is(err, ErrConfig) || res != nil {
		t.Fatalf("Run() = %v, %v; want a configuration error and no result", res, err)
	}
	if n := reg.FailedLogins(); n != 1 {
		t.Errorf("%d requests with the wrong password, want 1", n)
	}
	for _, r := range reg.Requests() {
		if strings.Contains(r.Path, "/archive/") && !strings.HasSuffix(r.Path, "/archive/manifests/sha256:fa4036770c7e7c1e61569a985edf37684f0150434b400d997e3294e244159ad8") {
			t.Errorf("a pack was looked up after the pre-flight check failed: %s %s", r.Method, r.Path)
		}
	}
}

// TestRun_timeout: the timeout input cancels what is not finished.
func TestRun_timeout(t *testing.T) {
	t.Parallel()
	host, _ := registrytest.Hanging(t)
	dir := ws(t, gittest.Pack("packs/a", "a", "1.0.0"), gittest.Pack("packs/b", "b", "1.0.0"))
	c := cfg(dir, func(c *config.Config) {
		c.DryRun, c.Registry, c.PlainHTTP, c.Auth, c.Timeout = false, host, true, "none", 300*time.Millisecond
	})
	res, err := Run(context.Background(), c, Options{})
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if !strings.Contains(res.Interrupted, "timed out after 300ms") || !strings.Contains(res.Interrupted, host) || res.ExitCode() != 1 {
		t.Errorf("Interrupted = %q, exit %d", res.Interrupted, res.ExitCode())
	}
	for _, p := range res.Packs {
		if p.Status != StatusCancelled {
			t.Errorf("%s: %s, want cancelled", p.Path, p.Status)
		}
	}
}
