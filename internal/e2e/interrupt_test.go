package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/pack-publish/pack-publish/internal/registry"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

// interruptTarget is a registry TestInterrupt publishes to.
type interruptTarget struct {
	host, caFile, user, password string
	tagged                       func() int // pack tags written so far
}

// TestInterrupt kills a run with SIGINT in the middle of publishing, checks
// that every tag in the registry points at a complete artifact, then re-runs
// and checks that the job completes; against the in-process registry and
// each real one.
func TestInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "pack-publish")
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("registrytest", func(t *testing.T) {
		t.Parallel()
		reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
		testInterrupt(t, bin, interruptTarget{reg.Host, reg.CAFile, reg.Username, reg.Password, func() int { return countTagged(reg) }})
	})
	for _, kind := range realRegistries {
		t.Run(kind.Name, func(t *testing.T) {
			t.Parallel()
			reg := kind.start(t, "robot$ci", "s3cret-Pa55")
			// Tags are files in the registry's storage: counting them costs the
			// registry nothing (every request would cost it a bcrypt check).
			tags := filepath.Join(reg.Data, "docker/registry/v2/repositories/int/spectro-packs/archive/*/_manifests/tags/1.0.0/current/link")
			testInterrupt(t, bin, interruptTarget{reg.Host, reg.CAFile, reg.User, reg.Password, func() int {
				m, _ := filepath.Glob(tags)
				return len(m)
			}})
		})
	}
}

func testInterrupt(t *testing.T, bin string, reg interruptTarget) {
	const n = 24
	ws := manyPacks(t, n, 3<<20) // uploads take a while
	args := []string{"--registry", reg.host, "--ca-file", reg.caFile, "--username", reg.user, "--password", reg.password,
		"--detect", "all", "--packs-dir", "packs", "--base-path", "int", "--concurrency", "4"}
	cmd := exec.Command(bin, args...)
	cmd.Dir = ws
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once a few packs are tagged.
	deadline := time.Now().Add(60 * time.Second)
	for reg.tagged() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if tagged := reg.tagged(); tagged == n {
		t.Fatalf("all %d packs were tagged before the interrupt could be sent: the fixture is too fast for this test", n)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatalf("sending SIGINT: %v (the run ended before the interrupt)\n%s", err, out.String())
	}
	err := cmd.Wait()
	// The interrupt must have landed: the run exits 1 and says so. A run that
	// finished first would make the checks below vacuous.
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Fatalf("interrupted run: exit %v, want exit status 1 (did the interrupt land too late?)\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "interrupted") {
		t.Fatalf("interrupted run does not say it was interrupted:\n%s", out.String())
	}

	// Every tag that exists points at a manifest whose blobs all exist.
	client, _ := registry.NewClient(registry.Options{CAFile: reg.caFile,
		Credential: auth.StaticCredential(reg.host, auth.Credential{Username: reg.user, Password: reg.password})})
	check := func() int {
		tags := 0
		for i := range n {
			r, _ := registry.Repository(client, reg.host, fmt.Sprintf("int/spectro-packs/archive/p%02d", i), false)
			desc, err := r.Resolve(context.Background(), "1.0.0")
			if err != nil {
				continue
			}
			tags++
			mb, err := content.FetchAll(context.Background(), r, desc)
			if err != nil {
				t.Fatalf("p%02d: tag without manifest: %v", i, err)
			}
			layer := layerOf(t, mb)
			if ok, err := r.Blobs().Exists(context.Background(), layer); !ok || err != nil {
				t.Errorf("p%02d: tag points at a missing layer %s", i, layer.Digest)
			}
		}
		return tags
	}
	before := check()
	t.Logf("%d of %d tags present after the interrupt", before, n)

	rerun := exec.Command(bin, args...)
	rerun.Dir = ws
	if b, err := rerun.CombinedOutput(); err != nil {
		t.Fatalf("re-run: %v\n%s", err, b)
	}
	if after := check(); after != n {
		t.Errorf("%d of %d tags after the re-run", after, n)
	}
}

// countTagged counts the manifest PUTs of pack tags the registry received.
func countTagged(reg *registrytest.Server) int {
	tagged := 0
	for _, r := range reg.Requests() {
		if r.Method == "PUT" && strings.HasSuffix(r.Path, "/manifests/1.0.0") {
			tagged++
		}
	}
	return tagged
}
