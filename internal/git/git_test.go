package git

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pack-publish/pack-publish/internal/gittest"
)

func TestLastCommitTime(t *testing.T) {
	t.Parallel()
	r := gittest.Init(t)
	r.Write(gittest.Pack("packs/a", "a", "1.0.0"))
	r.Commit("a")
	r.Write(gittest.Pack("packs/b", "b", "1.0.0"))
	r.Commit("b")
	// Owned by someone else, as a workspace mounted into a container.
	if err := filepath.Walk(r.Dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 4321, 4321)
	}); err != nil {
		t.Skipf("cannot chown: %v", err)
	}
	g := Runner{Dir: r.Dir}
	tests := []struct {
		path string
		want time.Time
		ok   bool
	}{
		{"packs/a", time.Date(2024, 1, 1, 0, 0, 1, 0, time.UTC), true},
		{"packs/b", time.Date(2024, 1, 1, 0, 0, 2, 0, time.UTC), true},
		{"packs/none", time.Time{}, false},
	}
	for _, tc := range tests {
		got, ok, err := g.LastCommitTime(context.Background(), tc.path)
		if err != nil || ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("LastCommitTime(%s) = %v, %v, %v; want %v, %v", tc.path, got, ok, err, tc.want, tc.ok)
		}
	}
	if _, ok, err := (Runner{Dir: t.TempDir()}).LastCommitTime(context.Background(), "."); ok || err != nil {
		t.Errorf("LastCommitTime outside a repository = %v, %v; want not ok, no error", ok, err)
	}
}

func TestRun_errorCarriesStderr(t *testing.T) {
	t.Parallel()
	_, err := Runner{Dir: t.TempDir()}.Run(context.Background(), "rev-parse", "HEAD")
	if err == nil || !strings.Contains(err.Error(), "not a git repository") {
		t.Errorf("Run() error = %v, want git's message", err)
	}
}
