package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"oras.land/oras-go/v2/content/memory"

	"github.com/pack-publish/pack-publish/internal/pipeline"
	"github.com/pack-publish/pack-publish/internal/publish"
)

// TestDistribution runs every scenario against each real registry
// (Debian's docker-registry 2.8 and distribution v3 with strict validation,
// htpasswd + TLS) and checks the result with the ORAS CLI: the first
// publish (manifests byte-identical to `oras push --image-spec v1.0`, pulled
// archives unpack to the pack folders), the re-run, a pack pushed by hand
// with tar + oras, a conflict, overwrite, and the registry's
// `garbage-collect --delete-untagged`, after which the packs are still
// there and the next run restores the base-path artifact, saying so.
func TestDistribution(t *testing.T) {
	t.Parallel()
	for _, kind := range realRegistries {
		t.Run(kind.Name, func(t *testing.T) {
			t.Parallel()
			testDistribution(t, kind.start(t, "robot$ci", "s3cret-Pa55"))
		})
	}
}

func testDistribution(t *testing.T, reg *distribution) {
	orasBin := requireTool(t, "oras")
	ws := workspace(t)
	inputs := map[string]string{
		"registry": reg.Host, "base-path": "team-a", "username": reg.User, "password": reg.Password,
		"ca-file": reg.CAFile, "detect": "all", "packs-dir": "packs",
	}
	env := newGHEnv(t, ws, inputs)
	r := env.run(t)
	if r.code != 0 {
		t.Fatalf("first run exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	published := decodePublished(t, env.outputs(t)["published"])
	if len(published) != 3 {
		t.Fatalf("published %d packs, want 3: %+v", len(published), published)
	}

	orasCfg := filepath.Join(t.TempDir(), "config.json")
	oras := func(dir string, args ...string) string {
		t.Helper()
		full := append(args, "--ca-file", reg.CAFile, "--registry-config", orasCfg)
		cmd := exec.Command(orasBin, full...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("oras %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	login := exec.Command(orasBin, "login", "--ca-file", reg.CAFile, "--registry-config", orasCfg, "-u", reg.User, "--password-stdin", reg.Host)
	login.Stdin = strings.NewReader(reg.Password)
	if out, err := login.CombinedOutput(); err != nil {
		t.Fatalf("oras login: %v\n%s", err, out)
	}

	for _, p := range published {
		if p.Status != "pushed" {
			t.Errorf("%s: status %s (%s), want pushed", p.Path, p.Status, p.Message)
			continue
		}
		wantRef := reg.Host + "/team-a/spectro-packs/archive/" + p.Name + ":" + p.Version
		if p.Reference != wantRef {
			t.Errorf("%s: reference %s, want %s", p.Path, p.Reference, wantRef)
		}
		// Pull with ORAS and compare the unpacked archive with the pack folder.
		pull := t.TempDir()
		oras(pull, "pull", "-o", ".", p.Reference)
		file := p.Name + "-" + p.Version + ".tar.gz"
		unpacked := t.TempDir()
		if out, err := exec.Command("tar", "-xzf", filepath.Join(pull, file), "-C", unpacked).CombinedOutput(); err != nil {
			t.Fatalf("untar %s: %v\n%s", file, err, out)
		}
		top := filepath.Base(p.Path)
		if out, err := exec.Command("diff", "-r", filepath.Join(ws, p.Path), filepath.Join(unpacked, top)).CombinedOutput(); err != nil {
			t.Errorf("%s: pulled archive differs from the pack folder: %v\n%s", p.Path, err, out)
		}

		// Our manifest must be what ORAS writes for the same file and created.
		manifest := oras(pull, "manifest", "fetch", p.Reference)
		var m struct {
			Annotations map[string]string `json:"annotations"`
		}
		if err := json.Unmarshal([]byte(manifest), &m); err != nil {
			t.Fatalf("decoding manifest: %v", err)
		}
		created := m.Annotations["org.opencontainers.image.created"]
		ref2 := reg.Host + "/oras-cli/spectro-packs/archive/" + p.Name + ":" + p.Version
		out := oras(pull, "push", "--image-spec", "v1.0", "-a", "org.opencontainers.image.created="+created, ref2, file)
		if !strings.Contains(out, "Digest: "+p.Digest) {
			t.Errorf("%s: oras push of the same file gave\n%s\nwant digest %s", p.Path, out, p.Digest)
		} else {
			t.Logf("%s: ORAS CLI --image-spec v1.0 digest = ours = %s", p.Path, p.Digest)
		}
	}

	// Re-run: nothing new, nothing uploaded.
	env2 := newGHEnv(t, ws, inputs)
	if r := env2.run(t); r.code != 0 {
		t.Fatalf("re-run exit %d\n%s", r.code, r.stdout)
	}
	for _, p := range decodePublished(t, env2.outputs(t)["published"]) {
		if p.Status != "unchanged" {
			t.Errorf("re-run: %s is %s, want unchanged", p.Path, p.Status)
		}
	}

	// A pack pushed earlier by hand with tar + oras (other compressor, other
	// created) is unchanged too, by the unpack-and-compare rule.
	hand := t.TempDir()
	if out, err := exec.Command("tar", "-czf", filepath.Join(hand, "hello-universe-1.0.0.tar.gz"), "-C", filepath.Join(ws, "packs"), "hello-universe").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	oras(hand, "push", "--image-spec", "v1.0", reg.Host+"/by-hand/spectro-packs/archive/hello-universe:1.0.0", "hello-universe-1.0.0.tar.gz")
	hin := map[string]string{}
	for k, v := range inputs {
		hin[k] = v
	}
	hin["base-path"], hin["packs"] = "by-hand", "packs/hello-universe"
	env3 := newGHEnv(t, ws, hin)
	if r := env3.run(t); r.code != 0 {
		t.Fatalf("hand-pushed run exit %d\n%s", r.code, r.stdout)
	}
	if p := decodePublished(t, env3.outputs(t)["published"]); len(p) != 1 || p[0].Status != "unchanged" {
		t.Errorf("hand-pushed pack: %+v, want one unchanged", p)
	}

	// Changed content under the same version: conflict, listing the file.
	if err := os.WriteFile(filepath.Join(ws, "packs/hello-universe/values.yaml"), []byte("pack:\n  namespace: changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env4 := newGHEnv(t, ws, hin)
	r = env4.run(t)
	if r.code != 1 {
		t.Fatalf("conflict run exit %d, want 1\n%s", r.code, r.stdout)
	}
	p := decodePublished(t, env4.outputs(t)["published"])
	if len(p) != 1 || p[0].Status != "conflict" || !strings.Contains(p[0].Message, "values.yaml") || !strings.Contains(p[0].Message, "overwrite") {
		t.Errorf("conflict: %+v, want conflict naming values.yaml and the fix", p)
	}

	// Overwrite replaces the tag; ORAS pulls the new files.
	hin["overwrite"] = "true"
	env5 := newGHEnv(t, ws, hin)
	if r := env5.run(t); r.code != 0 {
		t.Fatalf("overwrite run exit %d\n%s", r.code, r.stdout)
	}
	p = decodePublished(t, env5.outputs(t)["published"])
	if len(p) != 1 || p[0].Status != "pushed" || !strings.Contains(p[0].Message, "replaced") {
		t.Fatalf("overwrite: %+v, want one pushed, replaced", p)
	}
	pull := t.TempDir()
	oras(pull, "pull", "-o", ".", p[0].Reference)
	if out, err := exec.Command("tar", "-xzf", filepath.Join(pull, "hello-universe-1.0.0.tar.gz"), "-O", "hello-universe/values.yaml").Output(); err != nil || !strings.Contains(string(out), "changed") {
		t.Errorf("after overwrite ORAS pulls values.yaml %q (%v), want the changed one", out, err)
	}

	// The registry's garbage collection of untagged manifests deletes the
	// base-path artifacts (and the replaced manifest); every pack survives,
	// and the next run puts the artifact back and says so.
	base, _, err := publish.BasePath(context.Background(), memory.New(), pipeline.BasePathCreated)
	if err != nil {
		t.Fatal(err)
	}
	baseRef := reg.Host + "/team-a/spectro-packs/archive@" + base.Digest.String()
	fetch := func(ref string) error {
		out, err := exec.Command(orasBin, "manifest", "fetch", "--ca-file", reg.CAFile, "--registry-config", orasCfg, ref).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}
	if err := fetch(baseRef); err != nil {
		t.Fatalf("the base-path artifact is not there before garbage-collect: %v", err)
	}
	out, err := reg.GarbageCollect(t, true)
	switch reg.Kind {
	case "docker-registry-2.8":
		// 2.8 aborts --delete-untagged, deleting nothing, on a repository
		// that holds only untagged manifests, as every base path does
		// (distribution v3 skips it): README says to run it without.
		if err == nil || !strings.Contains(out, "failed to retrieve tags unknown repository") {
			t.Fatalf("docker-registry 2.8 garbage-collect --delete-untagged: %v, want it to fail on the base path as README says\n%s", err, out)
		}
		if out, err := reg.GarbageCollect(t, false); err != nil {
			t.Fatalf("garbage-collect without --delete-untagged: %v\n%s", err, out)
		}
		if err := fetch(baseRef); err != nil {
			t.Errorf("garbage-collect without --delete-untagged removed the base-path artifact: %v", err)
		}
		// Delete it the way Harbor's "delete untagged artifacts" does.
		if out, err := exec.Command(orasBin, "manifest", "delete", "--force", "--ca-file", reg.CAFile, "--registry-config", orasCfg, baseRef).CombinedOutput(); err != nil {
			t.Fatalf("oras manifest delete: %v\n%s", err, out)
		}
	default:
		if err != nil {
			t.Fatalf("garbage-collect --delete-untagged: %v\n%s", err, out)
		}
	}
	if err := fetch(baseRef); err == nil {
		t.Fatalf("the base-path artifact is still there; the scenario tests nothing")
	}
	for _, p := range published {
		if err := fetch(p.Reference); err != nil {
			t.Errorf("%s: the pack is gone after the base-path artifact was: %v", p.Reference, err)
		}
	}
	gitRun(t, ws, "checkout", "--", "packs/hello-universe/values.yaml")
	env6 := newGHEnv(t, ws, inputs)
	if r := env6.run(t); r.code != 0 {
		t.Fatalf("run after garbage-collect exit %d\n%s", r.code, r.stdout)
	}
	for _, p := range decodePublished(t, env6.outputs(t)["published"]) {
		if p.Status != "unchanged" {
			t.Errorf("after garbage-collect: %s is %s (%s), want unchanged", p.Path, p.Status, p.Message)
		}
	}
	if !strings.Contains(env6.stdout, "::notice") || !strings.Contains(env6.stdout, "base-path artifact") || !strings.Contains(env6.stdout, "pushed again") {
		t.Errorf("run after garbage-collect: no notice about the restored base-path artifact:\n%s", env6.stdout)
	}
	if err := fetch(baseRef); err != nil {
		t.Errorf("the base-path artifact was not restored: %v", err)
	}
	for _, e := range []*ghEnv{env, env2, env3, env4, env5, env6} {
		e.scanAll(t, reg.Password)
	}
}

type published struct {
	Name, Version, Path, Reference, Digest, Status, Message string
}

func decodePublished(t *testing.T, s string) []published {
	t.Helper()
	var p []published
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		t.Fatalf("decoding published output %q: %v", s, err)
	}
	return p
}
