package git

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pack-publish/pack-publish/internal/gittest"
	"github.com/pack-publish/pack-publish/internal/integration"
)

func TestLastCommitTimes_otherOwner(t *testing.T) {
	t.Parallel()
	r := gittest.Init(t)
	r.Write(gittest.Pack("packs/a", "a", "1.0.0"))
	r.Commit("a")
	// Owned by someone else, as a workspace mounted into a container.
	if err := filepath.Walk(r.Dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 4321, 4321)
	}); err != nil {
		integration.Skip(t, "cannot chown (not root?): %v", err)
	}
	got, err := Runner{Dir: r.Dir}.LastCommitTimes(context.Background(), []string{"packs/a"})
	if err != nil || !got["packs/a"].Equal(time.Date(2024, 1, 1, 0, 0, 1, 0, time.UTC)) {
		t.Errorf("LastCommitTimes() in a repository owned by another user = %v, %v", got, err)
	}
	// Reached through a symlink, as a runner's workspace often is: git
	// compares safe.directory with the physical path (review C1).
	link := filepath.Join(t.TempDir(), "ws")
	if err := os.Symlink(r.Dir, link); err != nil {
		t.Fatal(err)
	}
	got, err = Runner{Dir: link}.LastCommitTimes(context.Background(), []string{"packs/a"})
	if err != nil || !got["packs/a"].Equal(time.Date(2024, 1, 1, 0, 0, 1, 0, time.UTC)) {
		t.Errorf("LastCommitTimes() through a symlink to a repository owned by another user = %v, %v", got, err)
	}
}

// TestLastCommitTimes_failures: git's failures are errors, not an empty
// map that makes every created time "now" (review C1).
func TestLastCommitTimes_failures(t *testing.T) {
	t.Parallel()
	if got, err := (Runner{Dir: t.TempDir()}).LastCommitTimes(context.Background(), []string{"."}); err == nil || !strings.Contains(err.Error(), "not a git repository") {
		t.Errorf("LastCommitTimes outside a repository = %v, %v; want git's error", got, err)
	}
	r := gittest.Init(t)
	r.Write(gittest.Pack("packs/a", "a", "1.0.0"))
	r.Commit("a")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := (Runner{Dir: r.Dir}).LastCommitTimes(ctx, []string{"packs/a"}); err == nil {
		t.Errorf("LastCommitTimes(canceled) = %v, nil error", got)
	}
}

// TestLastCommitTimes_newlineInName: a file name holding a newline and what
// looks like a commit header must not give another pack its time: only NUL
// separates names in -z output (security review I2).
func TestLastCommitTimes_newlineInName(t *testing.T) {
	t.Parallel()
	r := gittest.Init(t)
	r.Write(gittest.Pack("packs/a", "a", "1.0.0"))
	r.Write(gittest.Pack("packs/b", "b", "1.0.0"))
	r.Commit("a and b")
	r.Write(map[string]string{"packs/a/z\n\x014102444800": "x", "packs/a/\x01y": "x", "packs/b/values.yaml": "changed"})
	r.Commit("a hostile name, and b")
	got, err := Runner{Dir: r.Dir}.LastCommitTimes(context.Background(), []string{"packs/b", "packs/a"})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2024, 1, 1, 0, 0, 2, 0, time.UTC)
	if !got["packs/a"].Equal(want) || !got["packs/b"].Equal(want) {
		t.Errorf("LastCommitTimes() = %v, want both at %v", got, want)
	}
}

func TestRun_errorCarriesStderr(t *testing.T) {
	t.Parallel()
	_, err := Runner{Dir: t.TempDir()}.Run(context.Background(), "rev-parse", "HEAD")
	if err == nil || !strings.Contains(err.Error(), "not a git repository") {
		t.Errorf("Run() error = %v, want git's message", err)
	}
}

func TestLastCommitTimes(t *testing.T) {
	t.Parallel()
	r := gittest.Init(t)
	r.Write(gittest.Pack("packs/a", "a", "1.0.0"))
	r.Write(gittest.Pack("packs/b", "b", "1.0.0"))
	r.Commit("a and b")
	r.Write(map[string]string{"packs/a/values.yaml": "changed"})
	r.Commit("a")
	got, err := Runner{Dir: r.Dir}.LastCommitTimes(context.Background(), []string{"packs/a", "packs/b", "packs/none"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"packs/a": time.Date(2024, 1, 1, 0, 0, 2, 0, time.UTC), "packs/b": time.Date(2024, 1, 1, 0, 0, 1, 0, time.UTC)}
	if len(got) != 2 || !got["packs/a"].Equal(want["packs/a"]) || !got["packs/b"].Equal(want["packs/b"]) {
		t.Errorf("LastCommitTimes() = %v, want %v", got, want)
	}
	// The same answers as git log -1 per folder.
	for d, w := range want {
		out := r.Git("log", "-1", "--format=%ct", "--", d)
		if out != fmt.Sprint(w.Unix()) {
			t.Errorf("git log -1 -- %s = %s, want %d", d, out, w.Unix())
		}
	}
}

func TestRun_errorsHideURLCredentials(t *testing.T) {
	t.Parallel()
	for _, url := range []string{
		"http://robot:s3cret-token@127.0.0.1:1/repo.git",
		"http://127.0.0.1:1/repo.git?access_token=s3cret-token",
	} {
		_, err := Runner{Dir: t.TempDir()}.Run(context.Background(), "ls-remote", url)
		if err == nil {
			t.Fatal("ls-remote of a closed port succeeded")
		}
		if strings.Contains(err.Error(), "s3cret-token") || !strings.Contains(err.Error(), "127.0.0.1:1/repo.git") {
			t.Errorf("ls-remote %s: error %q; want the URL without its credentials", url, err)
		}
	}
}

// TestShow: only a path missing at rev is absent; every other failure is an
// error, so that check-version-increment is not skipped silently (review C2).
func TestShow(t *testing.T) {
	t.Parallel()
	r := gittest.Init(t)
	r.Write(gittest.Pack("packs/a", "a", "1.0.0"))
	head := r.Commit("a")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name      string
		ctx       context.Context
		dir       string
		rev, path string
		wantOK    bool
		wantErr   string
	}{
		{"present", context.Background(), r.Dir, head, "packs/a/pack.json", true, ""},
		{"missing path", context.Background(), r.Dir, head, "packs/b/pack.json", false, ""},
		{"unknown commit", context.Background(), r.Dir, strings.Repeat("1", 40), "packs/a/pack.json", false, "not a tree object"},
		{"folder, not a file", context.Background(), r.Dir, head, "packs/a", false, "is a tree, not a file"},
		{"pattern characters are literal", context.Background(), r.Dir, head, "packs/*/pack.json", false, ""},
		{"not a repository", context.Background(), t.TempDir(), head, "packs/a/pack.json", false, "not a git repository"},
		{"canceled", canceled, r.Dir, head, "packs/a/pack.json", false, "git"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, ok, err := Runner{Dir: tc.dir}.Show(tc.ctx, tc.rev, tc.path)
			if ok != tc.wantOK || (tc.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Show() = %d bytes, %v, %v; want ok %v, error containing %q", len(b), ok, err, tc.wantOK, tc.wantErr)
			}
			if ok && !strings.Contains(string(b), `"version"`) {
				t.Errorf("Show() = %q, want pack.json", b)
			}
		})
	}
}
