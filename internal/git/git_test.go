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
	if got, err := (Runner{Dir: t.TempDir()}).LastCommitTimes(context.Background(), []string{"."}); err != nil || len(got) != 0 {
		t.Errorf("LastCommitTimes outside a repository = %v, %v; want nothing", got, err)
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
	_, err := Runner{Dir: t.TempDir()}.Run(context.Background(), "ls-remote", "http://robot:s3cret-token@127.0.0.1:1/repo.git")
	if err == nil {
		t.Fatal("ls-remote of a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cret-token") {
		t.Errorf("error leaks the URL's credentials: %v", err)
	}
}
