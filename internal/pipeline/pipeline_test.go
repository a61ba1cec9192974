package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pack-publish/pack-publish/internal/config"
	"github.com/pack-publish/pack-publish/internal/gittest"
	"github.com/pack-publish/pack-publish/internal/pack"
)

// ws builds a workspace repository with the given files committed.
func ws(t *testing.T, files ...map[string]string) string {
	t.Helper()
	r := gittest.Init(t)
	for _, f := range files {
		r.Write(f)
	}
	r.Commit("packs")
	return r.Dir
}

func cfg(dir string, mod func(*config.Config)) *config.Config {
	c := &config.Config{Workspace: dir, PacksDirs: []string{"packs"}, Detect: "all", DryRun: true, Concurrency: 4, Auth: "auto"}
	if mod != nil {
		mod(c)
	}
	return c
}

func statuses(res *Result) map[string]Status {
	m := map[string]Status{}
	for _, p := range res.Packs {
		m[p.Path] = p.Status
	}
	return m
}

func TestRun_invalidPacksDoNotStopValidOnes(t *testing.T) {
	t.Parallel()
	dir := ws(t, gittest.Pack("packs/good", "good", "1.0.0"), gittest.Pack("packs/bad", "bad", "1.0.0+build.1"),
		gittest.Pack("packs/dup1", "dup", "1.0.0"), gittest.Pack("packs/dup2", "dup", "1.0.0"))
	layout := filepath.Join(t.TempDir(), "oci")
	res, err := Run(context.Background(), cfg(dir, func(c *config.Config) { c.DryRun = false; c.OCILayout = layout }), Options{})
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	want := map[string]Status{"packs/good": StatusPushed, "packs/bad": StatusInvalid, "packs/dup1": StatusPushed, "packs/dup2": StatusInvalid}
	if diff := cmp.Diff(want, statuses(res)); diff != "" {
		t.Errorf("statuses mismatch (-want +got):\n%s", diff)
	}
	if res.ExitCode() != 1 {
		t.Errorf("ExitCode() = %d, want 1", res.ExitCode())
	}
	for _, p := range res.Packs {
		switch p.Path {
		case "packs/bad":
			if len(p.Findings) != 1 || p.Findings[0].Rule != "N2" || p.Findings[0].File != "packs/bad/pack.json" {
				t.Errorf("bad pack findings = %+v, want N2 on packs/bad/pack.json", p.Findings)
			}
		case "packs/dup2":
			if f := p.Findings[len(p.Findings)-1]; f.Rule != "N6" || !strings.Contains(f.Message, "packs/dup1") {
				t.Errorf("duplicate findings = %+v, want N6 naming packs/dup1", p.Findings)
			}
		case "packs/good":
			if p.Reference != "oci:good-1.0.0" && !strings.HasSuffix(p.Reference, "oci:good-1.0.0") {
				t.Errorf("reference = %q, want the layout and tag", p.Reference)
			}
			if p.Created != "2024-01-01T00:00:01Z" {
				t.Errorf("created = %q, want the commit time", p.Created)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(layout, "index.json")); err != nil {
		t.Errorf("no OCI layout written: %v", err)
	}
}

func TestRun_dryRun(t *testing.T) {
	t.Parallel()
	dir := ws(t, gittest.Pack("packs/a", "a", "1.0.0"))
	res, err := Run(context.Background(), cfg(dir, func(c *config.Config) { c.Registry = "reg.example.com"; c.BasePath = "team" }), Options{})
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	p := res.Packs[0]
	if p.Status != StatusDryRun || p.Reference != "reg.example.com/team/spectro-packs/archive/a:1.0.0" || !strings.HasPrefix(p.Digest, "sha256:") {
		t.Errorf("dry run = %+v", p)
	}
	if res.ExitCode() != 0 {
		t.Errorf("ExitCode() = %d, want 0", res.ExitCode())
	}
}

func TestRun_createdWithoutGit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for p, c := range gittest.Pack("packs/a", "a", "1.0.0") {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}
	res, err := Run(context.Background(), cfg(dir, nil), Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Packs[0].Created; got != "2023-11-14T22:13:20Z" {
		t.Errorf("created = %q, want SOURCE_DATE_EPOCH", got)
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	res, err = Run(context.Background(), cfg(dir, nil), Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Packs[0].Created; got != "2030-01-02T03:04:05Z" {
		t.Errorf("created = %q, want now", got)
	}
}

func TestRun_configErrors(t *testing.T) {
	t.Parallel()
	dir := ws(t, gittest.Pack("packs/a", "a", "1.0.0"))
	_, err := Run(context.Background(), cfg(dir, func(c *config.Config) { c.PacksDirs = []string{"nope"} }), Options{})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "packs-dir") {
		t.Errorf("Run(missing packs-dir) = %v, want ErrConfig naming packs-dir", err)
	}
}

func TestRun_changedNothing(t *testing.T) {
	t.Parallel()
	r := gittest.Init(t)
	r.Write(gittest.Pack("packs/a", "a", "1.0.0"))
	first := r.Commit("a")
	r.Write(map[string]string{"README.md": "docs"})
	second := r.Commit("docs")
	res, err := Run(context.Background(), cfg(r.Dir, func(c *config.Config) { c.Detect = "changed"; c.Base = first; c.Head = second }), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Packs) != 0 || res.Selected == nil || len(res.Selected) != 0 || res.BaseSHA != first || res.HeadSHA != second || res.ExitCode() != 0 {
		t.Errorf("Run(nothing changed) = %+v", res)
	}
}

func TestRun_versionIncrement(t *testing.T) {
	t.Parallel()
	r := gittest.Init(t)
	r.Write(mergeFiles(gittest.Pack("packs/same", "same", "1.0.0"), gittest.Pack("packs/bumped", "bumped", "1.0.0"),
		gittest.Pack("packs/lowered", "lowered", "2.0.0"), gittest.Pack("packs/loose", "loose", "build-7"),
		gittest.Pack("packs/vendor", "vendor", "23.07.1"), gittest.Pack("packs/vlowered", "vlowered", "1.5")))
	base := r.Commit("packs")
	r.Write(mergeFiles(gittest.Pack("packs/same", "same", "1.0.0"), gittest.Pack("packs/bumped", "bumped", "1.1.0"),
		gittest.Pack("packs/lowered", "lowered", "1.9.0"), gittest.Pack("packs/loose", "loose", "build-8"), gittest.Pack("packs/new", "new", "0.1.0"),
		gittest.Pack("packs/vendor", "vendor", "23.10.0"), gittest.Pack("packs/vlowered", "vlowered", "v1.4.9")))
	r.Write(map[string]string{"packs/same/manifests/app.yaml": "changed\n", "packs/bumped/manifests/app.yaml": "changed\n"})
	head := r.Commit("change")
	run := func(check bool) *Result {
		res, err := Run(context.Background(), cfg(r.Dir, func(c *config.Config) {
			c.Detect, c.Base, c.Head, c.CheckVersionIncrement = "changed", base, head, check
		}), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := run(true)
	want := map[string]Status{"packs/same": StatusInvalid, "packs/bumped": StatusDryRun, "packs/lowered": StatusInvalid, "packs/loose": StatusDryRun, "packs/new": StatusDryRun,
		"packs/vendor": StatusDryRun, "packs/vlowered": StatusInvalid}
	if diff := cmp.Diff(want, statuses(res)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	for _, p := range res.Packs {
		var b1 []string
		for _, f := range p.Findings {
			if f.Rule == "B1" || f.Rule == "B2" {
				b1 = append(b1, string(f.Severity)+": "+f.Message)
			}
		}
		switch p.Path {
		case "packs/same":
			if len(b1) != 1 || !strings.Contains(b1[0], "error: the pack changed") {
				t.Errorf("same: %v", b1)
			}
		case "packs/lowered":
			if len(b1) != 1 || !strings.Contains(b1[0], "went down from 2.0.0 to 1.9.0") {
				t.Errorf("lowered: %v", b1)
			}
		case "packs/loose":
			if len(b1) != 1 || !strings.HasPrefix(b1[0], "notice: version changed from build-7 to build-8, which cannot be ordered") {
				t.Errorf("loose: %v", b1)
			}
		case "packs/vlowered":
			if len(b1) != 1 || !strings.Contains(b1[0], "error: version went down from 1.5 to v1.4.9") {
				t.Errorf("vlowered: %v", b1)
			}
		default:
			if len(b1) != 0 {
				t.Errorf("%s: %v", p.Path, b1)
			}
		}
	}
	if diff := cmp.Diff(map[string]Status{"packs/same": StatusDryRun, "packs/bumped": StatusDryRun, "packs/lowered": StatusDryRun, "packs/loose": StatusDryRun, "packs/new": StatusDryRun,
		"packs/vendor": StatusDryRun, "packs/vlowered": StatusDryRun}, statuses(run(false))); diff != "" {
		t.Errorf("with check-version-increment false (-want +got):\n%s", diff)
	}
}

func mergeFiles(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// TestRun_levelsAndIgnoreRules: notices never fail a pack, warnings fail it
// only under strict, and ignored rules report nothing, also across packs
// (N7, N8).
func TestRun_levelsAndIgnoreRules(t *testing.T) {
	t.Parallel()
	dir := ws(t, gittest.Pack("packs/lead-v", "lead-v", "v1.0.0"), gittest.Pack("packs/other-folder", "renamed", "1.0.0"))
	tests := []struct {
		name   string
		strict bool
		ignore pack.Ignore
		want   map[string]Status
		rules  []string
	}{
		{"default", false, nil, map[string]Status{"packs/lead-v": StatusDryRun, "packs/other-folder": StatusDryRun}, []string{"N3", "N7"}},
		{"strict", true, nil, map[string]Status{"packs/lead-v": StatusInvalid, "packs/other-folder": StatusDryRun}, []string{"N3", "N7"}},
		{"strict, N3 and N7 ignored", true, pack.Ignore{"N3": true, "N7": true}, map[string]Status{"packs/lead-v": StatusDryRun, "packs/other-folder": StatusDryRun}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Run(t.Context(), cfg(dir, func(c *config.Config) { c.Strict, c.IgnoreRules = tc.strict, tc.ignore }), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, statuses(res)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			var rules []string
			for _, p := range res.Packs {
				for _, f := range p.Findings {
					rules = append(rules, f.Rule)
				}
			}
			if diff := cmp.Diff(tc.rules, rules); diff != "" {
				t.Errorf("rules reported (-want +got):\n%s", diff)
			}
		})
	}
}
