package changes

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pack-publish/pack-publish/internal/gittest"
	"github.com/pack-publish/pack-publish/internal/integration"
)

// event writes testdata/events/<name>.json with placeholders replaced and
// returns a getenv for it.
func eventEnv(t *testing.T, name, eventName string, repl ...string) func(string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata/events", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer(repl...).Replace(string(b))
	path := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GITHUB_EVENT_NAME": eventName, "GITHUB_EVENT_PATH": path}
	return func(k string) string { return env[k] }
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const (
	shaA = "1111111111111111111111111111111111111111"
	shaB = "2222222222222222222222222222222222222222"
)

func TestResolveRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		getenv func(string) string
		base   string
		head   string
		want   Range
		all    string // substring of AllReason
		err    string
	}{
		{"push", eventEnv(t, "push", "push", "BEFORE", shaA, "AFTER", shaB), "", "", Range{Base: shaA, Head: shaB, Source: "the push event"}, "", ""},
		{"new branch", eventEnv(t, "push-new-branch", "push", "AFTER", shaB), "", "", Range{}, "new branch", ""},
		{"force push", eventEnv(t, "push-force", "push", "BEFORE", shaA, "AFTER", shaB), "", "", Range{Base: shaA, Head: shaB, Source: "the push event"}, "", ""},
		{"zero before", eventEnv(t, "push-zero-before", "push", "AFTER", shaB), "", "", Range{}, "before is all zeros", ""},
		{"branch deleted", eventEnv(t, "push-branch-deleted", "push", "BEFORE", shaA), "", "", Range{}, "deleted the branch", ""},
		{"fork pull request target", eventEnv(t, "pull_request_target", "pull_request_target", "BASE", shaA, "HEAD", shaB), "", "", Range{Base: shaA, Head: shaB, MergeBase: true, Source: "the pull_request_target event"}, "", ""},
		{"schedule payload", eventEnv(t, "schedule", "schedule"), "", "", Range{}, "schedule event has no commit range", ""},
		{"tag", eventEnv(t, "push-tag", "push", "AFTER", shaB), "", "", Range{}, "tag push", ""},
		{"pull request", eventEnv(t, "pull_request", "pull_request", "BASE", shaA, "HEAD", shaB), "", "", Range{Base: shaA, Head: shaB, MergeBase: true, Source: "the pull_request event"}, "", ""},
		{"pull request target", eventEnv(t, "pull_request", "pull_request_target", "BASE", shaA, "HEAD", shaB), "", "", Range{Base: shaA, Head: shaB, MergeBase: true, Source: "the pull_request_target event"}, "", ""},
		{"merge group", eventEnv(t, "merge_group", "merge_group", "BASE", shaA, "HEAD", shaB), "", "", Range{Base: shaA, Head: shaB, Source: "the merge_group event"}, "", ""},
		{"workflow_dispatch", eventEnv(t, "workflow_dispatch", "workflow_dispatch"), "", "", Range{}, "workflow_dispatch event has no commit range", ""},
		{"schedule", envOf(map[string]string{"GITHUB_EVENT_NAME": "schedule"}), "", "", Range{}, "schedule event", ""},
		{"inputs override", eventEnv(t, "push", "push", "BEFORE", shaA, "AFTER", shaB), "main~3", "", Range{Base: "main~3", Head: "HEAD", Source: "the base and head inputs"}, "", ""},
		{"head without base", envOf(nil), "", "HEAD", Range{}, "", "base is not"},
		{"injection in payload", eventEnv(t, "push", "push", "BEFORE", "--upload-pack=evil", "AFTER", shaB), "", "", Range{}, "", "not a commit SHA"},
		{"gitlab push", envOf(map[string]string{"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BEFORE_SHA": shaA, "CI_COMMIT_SHA": shaB}), "", "", Range{Base: shaA, Head: shaB, Source: "the GitLab push"}, "", ""},
		{"gitlab new branch", envOf(map[string]string{"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BEFORE_SHA": "0000000000000000000000000000000000000000", "CI_COMMIT_SHA": shaB}), "", "", Range{}, "new branch", ""},
		{"gitlab mr", envOf(map[string]string{"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_DIFF_BASE_SHA": shaA, "CI_COMMIT_SHA": shaB}), "", "", Range{Base: shaA, Head: shaB, Source: "the GitLab merge request"}, "", ""},
		{"gitlab tag", envOf(map[string]string{"GITLAB_CI": "true", "CI_COMMIT_TAG": "v1", "CI_COMMIT_SHA": shaB}), "", "", Range{}, "tag pipeline", ""},
		{"gitlab schedule", envOf(map[string]string{"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "schedule", "CI_COMMIT_SHA": shaB}), "", "", Range{}, "schedule pipeline", ""},
		{"laptop", envOf(nil), "", "", Range{}, "no CI event", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ResolveRange(tc.getenv, tc.base, tc.head)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ResolveRange() error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ResolveRange() = %v", err)
			}
			if tc.all != "" {
				if !strings.Contains(got.AllReason, tc.all) {
					t.Errorf("ResolveRange() AllReason = %q, want %q", got.AllReason, tc.all)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ResolveRange() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// origin builds a bare origin with three packs on main and returns a working
// clone to make more commits in.
func origin(t *testing.T) (bare, work *gittest.Repo, first string) {
	bare = gittest.Bare(t)
	work = gittest.Clone(t, bare.Dir, 0)
	work.Write(merge(gittest.Pack("packs/a", "a", "1.0.0"), gittest.Pack("packs/b", "b", "1.0.0"), gittest.Pack("packs/c", "c", "1.0.0"),
		map[string]string{"packs/a/charts/sub/pack.json": "{}", "docs/README.md": "docs"}))
	first = work.Commit("three packs")
	work.Git("push", "-q", "origin", "main")
	return bare, work, first
}

func TestDetect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, work, first := origin(t)
	work.Write(map[string]string{"packs/a/charts/sub/values.yaml": "x: 1", "packs/b/values.yaml": "pack: {}\n", "docs/README.md": "more docs"})
	second := work.Commit("change a (nested) and b, and docs")
	work.Git("rm", "-q", "-r", "packs/c")
	work.Git("mv", "packs/b", "packs/b2")
	third := work.Commit("delete c, move b")

	tests := []struct {
		name         string
		base, head   string
		roots        []string
		changed, del []string
	}{
		{"nested and outside", first, second, []string{"packs"}, []string{"packs/a", "packs/b"}, nil},
		{"root filter", first, second, []string{"docs"}, []string{}, nil},
		{"rename and delete", second, third, []string{"."}, []string{"packs/b2"}, []string{"packs/b", "packs/c"}},
		{"nothing", second, second, []string{"packs"}, []string{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Detect(ctx, Options{Dir: work.Dir, Roots: tc.roots, Range: Range{Base: tc.base, Head: tc.head}})
			if err != nil {
				t.Fatalf("Detect() = %v", err)
			}
			if diff := cmp.Diff(tc.changed, res.Changed); diff != "" {
				t.Errorf("Changed mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.del, res.Deleted); diff != "" {
				t.Errorf("Deleted mismatch (-want +got):\n%s", diff)
			}
			if res.BaseSHA != tc.base || res.HeadSHA != tc.head {
				t.Errorf("compared %s..%s, want %s..%s", res.BaseSHA, res.HeadSHA, tc.base, tc.head)
			}
		})
	}
}

func TestDetect_shallowPush(t *testing.T) {
	t.Parallel()
	bare, work, first := origin(t)
	work.Write(map[string]string{"packs/b/values.yaml": "pack: {}\n"})
	second := work.Commit("change b")
	work.Git("push", "-q", "origin", "main")

	shallow := gittest.Clone(t, "file://"+bare.Dir, 1)
	res, err := Detect(context.Background(), Options{Dir: shallow.Dir, Roots: []string{"packs"}, Range: Range{Base: first, Head: second}, Fetch: true})
	if err != nil {
		t.Fatalf("Detect() = %v", err)
	}
	if diff := cmp.Diff([]string{"packs/b"}, res.Changed); diff != "" {
		t.Errorf("Changed mismatch (-want +got):\n%s", diff)
	}
	if len(res.Notices) == 0 || !strings.Contains(res.Notices[0], "fetched commit") {
		t.Errorf("Notices = %v, want one saying what was fetched", res.Notices)
	}
}

func TestDetect_forcePushBaseGone(t *testing.T) {
	t.Parallel()
	bare, _, _ := origin(t)
	shallow := gittest.Clone(t, "file://"+bare.Dir, 1)
	res, err := Detect(context.Background(), Options{Dir: shallow.Dir, Roots: []string{"packs"},
		Range: Range{Base: "3333333333333333333333333333333333333333", Head: "HEAD", Source: "the push event"}, Fetch: true})
	if err != nil {
		t.Fatalf("Detect() = %v", err)
	}
	if !res.All || len(res.Notices) == 0 || !strings.Contains(res.Notices[0], "force push") {
		t.Errorf("Detect() = %+v, want All with a notice about a force push", res)
	}
}

func TestDetect_noRemote(t *testing.T) {
	t.Parallel()
	r := gittest.Init(t)
	r.Write(gittest.Pack("packs/a", "a", "1.0.0"))
	r.Commit("a")
	_, err := Detect(context.Background(), Options{Dir: r.Dir, Range: Range{Base: "3333333333333333333333333333333333333333", Head: "HEAD"}, Fetch: true})
	if err == nil || !strings.Contains(err.Error(), "fetch-depth: 0") {
		t.Errorf("Detect() error = %v, want one naming fetch-depth: 0", err)
	}
}

// A pull request whose base branch moved on: only the PR's own changes count
// (merge base), in a shallow clone that must be deepened to find it.
func TestDetect_pullRequestMergeBase(t *testing.T) {
	t.Parallel()
	bare, work, _ := origin(t)
	work.Git("checkout", "-q", "-b", "feature")
	for i := 0; i < 20; i++ {
		work.Write(map[string]string{"packs/a/values.yaml": strings.Repeat("x", i+1)})
		work.Commit("feature work")
	}
	head := work.Git("rev-parse", "HEAD")
	work.Git("push", "-q", "origin", "feature")
	work.Git("checkout", "-q", "main")
	work.Write(map[string]string{"packs/c/values.yaml": "moved on\n"})
	base := work.Commit("main moves on")
	work.Git("push", "-q", "origin", "main")

	shallow := gittest.Clone(t, "file://"+bare.Dir, 1, "--branch", "feature")
	res, err := Detect(context.Background(), Options{Dir: shallow.Dir, Roots: []string{"packs"}, Range: Range{Base: base, Head: head, MergeBase: true}, Fetch: true})
	if err != nil {
		t.Fatalf("Detect() = %v", err)
	}
	if diff := cmp.Diff([]string{"packs/a"}, res.Changed); diff != "" {
		t.Errorf("Changed mismatch (-want +got), packs/c changed on main only:\n%s", diff)
	}
	if res.BaseSHA == base {
		t.Errorf("compared from the base branch tip, want the merge base")
	}
	if !strings.Contains(strings.Join(res.Notices, "\n"), "merge base") {
		t.Errorf("Notices = %v, want one about deepening", res.Notices)
	}
}

func TestDetect_otherOwner(t *testing.T) {
	t.Parallel()
	_, work, first := origin(t)
	work.Write(map[string]string{"packs/a/values.yaml": "changed"})
	second := work.Commit("a")
	if err := filepath.Walk(work.Dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 12345, 12345)
	}); err != nil {
		integration.Skip(t, "cannot chown (not root?): %v", err)
	}
	res, err := Detect(context.Background(), Options{Dir: work.Dir, Roots: []string{"packs"}, Range: Range{Base: first, Head: second}})
	if err != nil {
		t.Fatalf("Detect() in a repository owned by another user = %v", err)
	}
	if diff := cmp.Diff([]string{"packs/a"}, res.Changed); diff != "" {
		t.Errorf("Changed mismatch (-want +got):\n%s", diff)
	}
}

func FuzzParseEvent(f *testing.F) {
	for _, name := range []string{"push", "pull_request", "merge_group"} {
		b, _ := os.ReadFile(filepath.Join("../../testdata/events", name+".json"))
		f.Add(name, b)
	}
	f.Fuzz(func(t *testing.T, name string, payload []byte) {
		r, err := parseEvent(name, payload)
		if err != nil || r.AllReason != "" {
			return
		}
		for _, s := range []string{r.Base, r.Head} {
			if !shaRE.MatchString(s) {
				t.Fatalf("parseEvent accepted %q as a commit", s)
			}
		}
	})
}

// TestDetect_fetchFailures: a commit origin lacks is told apart from an
// origin that cannot be reached, and the fetch error is kept (review C2:
// an unreachable origin passed for a force push, selecting every pack and
// skipping check-version-increment).
func TestDetect_fetchFailures(t *testing.T) {
	t.Parallel()
	const gone = "3333333333333333333333333333333333333333"
	tests := []struct {
		name        string
		unreachable bool
		base, head  string
		wantAll     bool
		want        []string // substrings of the error, or of the notice when wantAll
	}{
		{"base gone from origin", false, gone, "HEAD", true, []string{"base commit 333333333333 of the push event is neither in the clone nor on origin", "fetching it from origin: git fetch", "a force push?"}},
		{"head gone from origin", false, "HEAD", gone, false, []string{"head commit 333333333333 of the push event is neither in the clone nor on origin", "fetching it from origin: git fetch", "commit history is missing"}},
		{"base, origin unreachable", true, gone, "HEAD", false, []string{"commit 333333333333 is not in the clone, and origin cannot be reached", "does-not-exist", "commit history is missing", "fetch-depth: 0"}},
		{"head, origin unreachable", true, "HEAD", gone, false, []string{"origin cannot be reached", "commit history is missing"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bare, _, _ := origin(t)
			shallow := gittest.Clone(t, "file://"+bare.Dir, 1)
			if tc.unreachable {
				shallow.Git("remote", "set-url", "origin", "file://"+filepath.Join(t.TempDir(), "does-not-exist"))
			}
			res, err := Detect(context.Background(), Options{Dir: shallow.Dir, Roots: []string{"packs"},
				Range: Range{Base: tc.base, Head: tc.head, Source: "the push event"}, Fetch: true})
			var text string
			switch {
			case tc.wantAll:
				if err != nil || !res.All || len(res.Notices) != 1 {
					t.Fatalf("Detect() = %+v, %v; want every pack with one notice", res, err)
				}
				text = res.Notices[0]
			default:
				if err == nil || !errors.Is(err, ErrNoHistory) || res.All {
					t.Fatalf("Detect() = %+v, %v; want an ErrNoHistory error", res, err)
				}
				text = err.Error()
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("%q does not contain %q", text, w)
				}
			}
		})
	}
}

// TestResolveRange_endlessEventFile: an event path naming a special file
// (/dev/zero reports size 0 and never ends) is read up to the cap and
// refused, not read into memory without end (security review I1).
func TestResolveRange_endlessEventFile(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/zero"); err != nil {
		integration.Skip(t, "no /dev/zero: %v", err)
	}
	env := envOf(map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "/dev/zero"})
	_, err := ResolveRange(env, "", "")
	if err == nil || !strings.Contains(err.Error(), "/dev/zero is larger than") {
		t.Errorf("ResolveRange() error = %v, want the size cap", err)
	}
}
