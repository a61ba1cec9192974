package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pack-publish/pack-publish/internal/config"
	"github.com/pack-publish/pack-publish/internal/gittest"
	"github.com/pack-publish/pack-publish/internal/integration"
)

// TestRun_commitTimeNotices: when a pack's created time does not come from
// git, a notice says which packs and why (review C1: it used to fall back to
// "now" silently, changing the digest between runs).
func TestRun_commitTimeNotices(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}
	getenv := func(k string) string { return env[k] }

	noGit := t.TempDir()
	for p, c := range gittest.Pack("packs/a", "a", "1.0.0") {
		if err := os.MkdirAll(filepath.Join(noGit, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(noGit, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repo := gittest.Init(t)
	repo.Write(gittest.Pack("packs/a", "a", "1.0.0"))
	repo.Commit("a")
	repo.Write(gittest.Pack("packs/b", "b", "1.0.0")) // not committed

	tests := []struct {
		name, dir string
		getenv    func(string) string
		want      []string // substrings of the one notice; none: no notice
	}{
		{"no repository", noGit, getenv, []string{"cannot be read from git", "not a git repository", "SOURCE_DATE_EPOCH (1700000000)"}},
		{"no repository, no SOURCE_DATE_EPOCH", noGit, nil, []string{"cannot be read from git", "the digests change on every run"}},
		{"an uncommitted pack", repo.Dir, nil, []string{"no commit touches packs/b", "commit the pack"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Run(context.Background(), cfg(tc.dir, nil), Options{Getenv: tc.getenv})
			if err != nil {
				t.Fatal(err)
			}
			notices := otherNotices(res)
			if len(notices) != 1 {
				t.Fatalf("notices = %q, want one", notices)
			}
			for _, w := range tc.want {
				if !strings.Contains(notices[0], w) {
					t.Errorf("notice %q does not contain %q", notices[0], w)
				}
			}
			if strings.Contains(notices[0], "packs/a,") {
				t.Errorf("notice %q names the committed pack", notices[0])
			}
		})
	}
}

// TestRun_createdFromAnotherOwnersRepository: a workspace reached through a
// symlink and owned by another user (a checkout mounted into a container)
// still gives every pack its commit time, so the digest is reproducible
// (review C1: git refused the repository, the error was swallowed and
// created became "now").
func TestRun_createdFromAnotherOwnersRepository(t *testing.T) {
	t.Parallel()
	repo := gittest.Init(t)
	repo.Write(gittest.Pack("packs/a", "a", "1.0.0"))
	repo.Commit("a")
	if err := filepath.Walk(repo.Dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 4321, 4321)
	}); err != nil {
		integration.Skip(t, "cannot chown (not root?): %v", err)
	}
	link := filepath.Join(t.TempDir(), "workspace")
	if err := os.Symlink(repo.Dir, link); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), cfg(link, func(c *config.Config) {}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Packs[0].Created; got != "2024-01-01T00:00:01Z" || len(otherNotices(res)) != 0 {
		t.Errorf("created = %q, notices %q; want the commit time and no notice", got, otherNotices(res))
	}
}
