package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pack-publish/pack-publish/internal/config"
	"github.com/pack-publish/pack-publish/internal/gittest"
)

// outsidePack writes a valid pack holding host-secret.txt into a folder
// outside any workspace and returns the folder.
func outsidePack(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "outside", "secretpack")
	for name, content := range gittest.Pack(".", "secretpack", "1.0.0") {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "host-secret.txt"), []byte("host secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRun_packsThroughSymlink: a packs entry that is, or goes through, a
// committed symlink is refused before anything is read (security review
// F7): it would archive a folder outside the workspace.
func TestRun_packsThroughSymlink(t *testing.T) {
	t.Parallel()
	outside := outsidePack(t)
	tests := []struct {
		name, link, target, packs, want string
	}{
		{"link to a pack outside", "packs/foo", outside, "packs/foo", `"packs/foo" goes through the symlink packs/foo`},
		{"relative link to a pack outside", "packs/foo", "REL", "packs/foo", `"packs/foo" goes through the symlink packs/foo`},
		{"link to the root folder", "rootlink", "/", "rootlink", `"rootlink" goes through the symlink rootlink`},
		{"folder below a linked folder", "linked", filepath.Dir(outside), "linked/secretpack", `"linked/secretpack" goes through the symlink linked`},
		{"link inside the workspace", "packs/alias", "good", "packs/alias", `"packs/alias" goes through the symlink packs/alias`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := ws(t, gittest.Pack("packs/good", "good", "1.0.0"))
			target := tc.target
			if target == "REL" {
				rel, err := filepath.Rel(filepath.Join(dir, "packs"), outside)
				if err != nil {
					t.Fatal(err)
				}
				target = rel
			}
			if err := os.Symlink(target, filepath.Join(dir, tc.link)); err != nil {
				t.Fatal(err)
			}
			layout := filepath.Join(t.TempDir(), "oci")
			_, err := Run(context.Background(), cfg(dir, func(c *config.Config) {
				c.Packs, c.DryRun, c.OCILayout = []string{tc.packs}, false, layout
			}), Options{})
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "input packs") {
				t.Fatalf("Run() = %v, want a configuration error containing %q", err, tc.want)
			}
			if _, err := os.Stat(layout); err == nil {
				t.Errorf("the OCI layout was written")
			}
		})
	}
}

// TestValidate_folderThroughSymlink: a pack folder reached through a
// symlink (as change detection could name one) is invalid with F1, and
// nothing outside is read; the kernel (os.Root) would refuse it anyway.
func TestValidate_folderThroughSymlink(t *testing.T) {
	t.Parallel()
	outside := outsidePack(t)
	dir := ws(t, gittest.Pack("packs/good", "good", "1.0.0"))
	if err := os.Symlink(filepath.Dir(outside), filepath.Join(dir, "packs", "linked")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	r := &run{cfg: cfg(dir, nil), ws: root}
	for _, d := range []string{"packs/linked/secretpack", "packs/good"} {
		it := &item{dir: d, res: PackResult{Path: d}}
		r.validate(context.Background(), it)
		if it.root != nil {
			defer it.root.Close()
		}
		switch d {
		case "packs/good":
			if !it.valid() || len(it.entries) == 0 {
				t.Errorf("%s: status %q, %d entries, want valid: %+v", d, it.res.Status, len(it.entries), it.res.Findings)
			}
		default:
			if it.valid() || len(it.res.Findings) != 1 || it.res.Findings[0].Rule != "F1" ||
				!strings.Contains(it.res.Findings[0].Message, "goes through the symlink packs/linked") {
				t.Errorf("%s: status %q, findings %+v; want invalid with F1 naming the link", d, it.res.Status, it.res.Findings)
			}
			for _, e := range it.entries {
				if strings.Contains(e.Path, "host-secret") {
					t.Errorf("%s: archived %s from outside the workspace", d, e.Path)
				}
			}
		}
	}
}

// TestRun_detectAllLinkedPacks: with detect: all a symlinked pack folder is
// not followed, and a notice says so instead of skipping it silently
// (security review F7); a link to a folder without a pack and a dangling
// link are not worth a notice.
func TestRun_detectAllLinkedPacks(t *testing.T) {
	t.Parallel()
	outside := outsidePack(t)
	dir := ws(t, gittest.Pack("packs/good", "good", "1.0.0"), map[string]string{"packs/docs/README.md": "docs"})
	for link, target := range map[string]string{"packs/foo": outside, "packs/alias": "good", "packs/docs-link": "docs", "packs/dangling": "nope"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Run(context.Background(), cfg(dir, nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Packs) != 1 || res.Packs[0].Path != "packs/good" {
		t.Errorf("packs = %+v, want packs/good only", res.Packs)
	}
	if n := otherNotices(res); len(n) != 1 || !strings.Contains(n[0], "not following the symlink(s) packs/alias, packs/foo to a pack or out of the workspace") {
		t.Errorf("notices = %q, want one naming packs/alias and packs/foo", n)
	}
}

// TestItem_rootClosedWhenDone: a pack folder's os.Root is closed as soon as
// the pack is invalid or archived, so that a run over thousands of packs
// does not hold a descriptor per pack until it ends.
func TestItem_rootClosedWhenDone(t *testing.T) {
	t.Parallel()
	dir := ws(t, gittest.Pack("packs/good", "good", "1.0.0"), gittest.Pack("packs/bad", "bad", "1.0.0"), map[string]string{"packs/bad/pack.json": "{}"})
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	r := &run{cfg: cfg(dir, nil), ws: root, tmp: t.TempDir()}
	good, bad := &item{dir: "packs/good"}, &item{dir: "packs/bad"}
	for _, it := range []*item{good, bad} {
		r.validate(context.Background(), it)
	}
	if bad.valid() || bad.root != nil {
		t.Errorf("invalid pack: valid %v, root still open %v", bad.valid(), bad.root != nil)
	}
	if !good.valid() || good.root == nil {
		t.Fatalf("valid pack: valid %v, root open %v, findings %+v", good.valid(), good.root != nil, good.res.Findings)
	}
	if _, err := r.build(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	if good.root != nil {
		t.Errorf("the root of an archived pack is still open")
	}
}
