package e2e

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pack-publish/pack-publish/internal/goldentest"
	"github.com/pack-publish/pack-publish/internal/textsafe"

	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/pack-publish/pack-publish/internal/registry"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

var update = flag.Bool("update", false, "update golden files")

// TestGitHub runs the program as a GitHub Action step would (INPUT_*,
// GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_WORKSPACE) against the
// in-process registry over TLS, with basic auth and with Harbor's token flow.
func TestGitHub(t *testing.T) {
	t.Parallel()
	for name, a := range map[string]registrytest.Auth{"basic": registrytest.Basic, "harbor": registrytest.Harbor} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := registrytest.New(t, registrytest.Options{Auth: a})
			ws := workspace(t)
			inputs := map[string]string{
				"registry": srv.Host, "base-path": "team-a", "username": srv.Username, "password": srv.Password,
				"ca-file": srv.CAFile, "detect": "all", "packs-dir": "packs",
			}
			env := newGHEnv(t, ws, inputs)
			r := env.run(t)
			if r.code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if first := strings.SplitN(r.stdout, "\n", 2)[0]; first != "::add-mask::"+srv.Password {
				t.Errorf("first line %q, want the mask command", first)
			}
			env.scanAll(t, srv.Password)
			packs := len(decodePublished(t, env.outputs(t)["published"]))
			checkAuthDetours(t, "first run", a, srv, packs)
			if n := srv.Mounts(); n != packs {
				t.Errorf("first run: %d config blobs mounted from the base path, want %d (one per pack)", n, packs)
			}

			outputs := env.outputs(t)
			var b strings.Builder
			for _, k := range []string{"published", "changed-packs", "matrix", "any-changed", "base-sha", "head-sha"} {
				b.WriteString(k + "=" + outputs[k] + "\n")
			}
			golden(t, "github.outputs.golden.txt", strings.ReplaceAll(b.String(), srv.Host, "REGISTRY"))
			summary, err := os.ReadFile(env.summary)
			if err != nil {
				t.Fatal(err)
			}
			sum := strings.ReplaceAll(strings.ReplaceAll(string(summary), srv.Host, "REGISTRY"), textsafe.Markdown(srv.Host), "REGISTRY")
			golden(t, "github.summary.golden.md", summaryDuration.ReplaceAllString(sum, " · DURATION"))

			// Pull every layer back and compare it with its pack folder.
			client, err := registry.NewClient(registry.Options{CAFile: srv.CAFile,
				Credential: auth.StaticCredential(srv.Host, auth.Credential{Username: srv.Username, Password: srv.Password})})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range decodePublished(t, outputs["published"]) {
				repo, err := registry.Repository(client, srv.Host, "team-a/spectro-packs/archive/"+p.Name, false)
				if err != nil {
					t.Fatal(err)
				}
				desc, rc, err := repo.FetchReference(context.Background(), p.Version)
				if err != nil {
					t.Fatalf("fetching %s: %v", p.Reference, err)
				}
				mb, err := content.ReadAll(rc, desc)
				rc.Close()
				if err != nil || desc.Digest.String() != p.Digest {
					t.Fatalf("manifest %s: %v (digest %s, want %s)", p.Reference, err, desc.Digest, p.Digest)
				}
				layer := layerOf(t, mb)
				blob, err := content.FetchAll(context.Background(), repo, layer)
				if err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				file := filepath.Join(dir, "layer.tar.gz")
				writeFile(t, file, blob)
				if out, err := exec.Command("tar", "-xzf", file, "-C", dir).CombinedOutput(); err != nil {
					t.Fatalf("untar: %v\n%s", err, out)
				}
				os.Remove(file)
				if out, err := exec.Command("diff", "-r", filepath.Join(ws, p.Path), filepath.Join(dir, filepath.Base(p.Path))).CombinedOutput(); err != nil {
					t.Errorf("%s: pulled layer differs from the pack folder: %v\n%s", p.Path, err, out)
				}
			}

			// A re-run uploads nothing and reports unchanged.
			srv.Reset()
			env2 := newGHEnv(t, ws, inputs)
			if r := env2.run(t); r.code != 0 {
				t.Fatalf("re-run exit %d\n%s", r.code, r.stdout)
			}
			for _, p := range decodePublished(t, env2.outputs(t)["published"]) {
				if p.Status != "unchanged" {
					t.Errorf("re-run: %s %s, want unchanged", p.Path, p.Status)
				}
			}
			if n := srv.BlobUploads(); n != 0 {
				t.Errorf("re-run uploaded %d blobs", n)
			}
			checkAuthDetours(t, "re-run", a, srv, packs)
			challenges, tokens := srv.AuthDetours()
			if n := len(srv.Requests()) - challenges - tokens; n != packs+1 {
				t.Errorf("re-run: %d registry requests besides authentication, want %d (one per pack and one for the base path)", n, packs+1)
			}
		})
	}
}

// checkAuthDetours: with basic auth the client learns the scheme from the
// first answer and sends credentials up front afterwards (the base-path check
// and the first tag lookup run at once: at most two 401s); with Harbor's
// token flow, one 401 and one token for the base path and one per group of
// registry.TokenGroup packs, however many requests (pull, then push) their
// repositories get.
func checkAuthDetours(t *testing.T, run string, a registrytest.Auth, srv *registrytest.Server, packs int) {
	t.Helper()
	challenges, tokens := srv.AuthDetours()
	switch a {
	case registrytest.Basic:
		if challenges > 2 || tokens != 0 {
			t.Errorf("%s: %d 401 answers and %d token fetches, want at most 2 and none", run, challenges, tokens)
		}
	case registrytest.Harbor:
		want := 1 + (packs+registry.TokenGroup-1)/registry.TokenGroup
		if challenges != want || tokens != want {
			t.Errorf("%s: %d 401 answers and %d token fetches, want %d of each (base path, and one per group of %d packs)", run, challenges, tokens, want, registry.TokenGroup)
		}
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldentest.Check(t, filepath.Join("testdata", name), got, *update)
}

// TestGitHub_tokenGroups: 40 packs on Harbor's token flow fetch one token
// for the base path and one per group of registry.TokenGroup packs (4), on
// the first run and on the re-run, which asks one manifest per pack.
func TestGitHub_tokenGroups(t *testing.T) {
	t.Parallel()
	srv := registrytest.New(t, registrytest.Options{Auth: registrytest.Harbor})
	const packs = 40
	ws := manyPacks(t, packs, 0)
	inputs := map[string]string{
		"registry": srv.Host, "base-path": "team-a", "username": srv.Username, "password": srv.Password,
		"ca-file": srv.CAFile, "detect": "all", "packs-dir": "packs",
	}
	for _, run := range []string{"first run", "re-run"} {
		srv.Reset()
		env := newGHEnv(t, ws, inputs)
		if r := env.run(t); r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", run, r.code, r.stdout)
		}
		if n := len(decodePublished(t, env.outputs(t)["published"])); n != packs {
			t.Fatalf("%s: %d packs published, want %d", run, n, packs)
		}
		checkAuthDetours(t, run, registrytest.Harbor, srv, packs)
	}
}

// summaryDuration is the run's duration in the step summary.
var summaryDuration = regexp.MustCompile(` · [0-9.]+ m?s|` + " · [0-9hms.]+m[0-9.]+s")
