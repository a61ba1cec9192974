package e2e

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pack-publish/pack-publish/internal/gittest"
)

// TestDistribution_manyVersions publishes a repository that keeps many
// versions of each pack side by side (argocd-3.26.7, argocd-3.27.1, ...)
// into fresh repositories of each real registry, several times: every pack
// must be pushed every time. docker-registry 2.8 (Harbor's engine) answers
// manifest PUTs "digest invalid / manifest blob unknown" while another
// version's request rewrites the shared config blob's link; before
// pack-publish coordinated that, 7 to 15 of these 120 packs failed in every
// fresh publish.
func TestDistribution_manyVersions(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes 120 packs 3 times per registry")
	}
	t.Parallel()
	const packs, versions, rounds = 6, 20, 3
	repo := gittest.Init(t)
	for p := range packs {
		for v := range versions {
			name, version := fmt.Sprintf("app%d", p), fmt.Sprintf("1.%d.0", v)
			repo.Write(gittest.Pack(filepath.Join("packs", name+"-"+version), name, version))
		}
	}
	repo.Commit("packs")
	for _, kind := range realRegistries {
		t.Run(kind.Name, func(t *testing.T) {
			t.Parallel()
			reg := kind.start(t, "robot$ci", "s3cret-Pa55")
			for round := range rounds {
				env := newGHEnv(t, repo.Dir, map[string]string{
					"registry": reg.Host, "base-path": fmt.Sprintf("round%d", round), "username": reg.User, "password": reg.Password,
					"ca-file": reg.CAFile, "detect": "all", "packs-dir": "packs",
				})
				r := env.run(t)
				failed := 0
				for _, p := range decodePublished(t, env.outputs(t)["published"]) {
					if p.Status != "pushed" {
						failed++
						if failed <= 3 {
							t.Errorf("round %d: %s is %s: %s", round, p.Path, p.Status, p.Message)
						}
					}
				}
				if r.code != 0 || failed > 0 {
					t.Fatalf("round %d: exit %d, %d of %d packs not pushed", round, r.code, failed, packs*versions)
				}
			}
		})
	}
}
