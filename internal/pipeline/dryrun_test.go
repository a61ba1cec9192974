package pipeline

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pack-publish/pack-publish/internal/config"
	"github.com/pack-publish/pack-publish/internal/gittest"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

// otherNotices are res's notices but the one a dry run gives when it does
// not read the registry.
func otherNotices(res *Result) []string {
	var out []string
	for _, n := range res.Notices {
		if !strings.HasPrefix(n, "dry run: the registry was not checked") {
			out = append(out, n)
		}
	}
	return out
}

// TestRun_dryRunPreview: a dry run with a registry reads it and reports
// what the real run would (dry-run, unchanged, conflict), writes nothing,
// and fails (exit 1) on a conflict; without the credentials, as in a pull
// request from a fork, it reads nothing and says so once.
func TestRun_dryRunPreview(t *testing.T) {
	t.Parallel()
	for _, a := range []struct {
		name string
		auth registrytest.Auth
	}{{"basic", registrytest.Basic}, {"harbor", registrytest.Harbor}} {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.New(t, registrytest.Options{Auth: a.auth})
			repo := gittest.Init(t)
			repo.Write(gittest.Pack("packs/same", "same", "1.0.0"))
			repo.Write(gittest.Pack("packs/edited", "edited", "1.0.0"))
			repo.Commit("packs")
			c := func(mod func(*config.Config)) *config.Config {
				return cfg(repo.Dir, func(c *config.Config) {
					c.Registry, c.CAFile, c.BasePath = reg.Host, reg.CAFile, "team"
					c.Username, c.Password = reg.Username, reg.Password
					mod(c)
				})
			}
			ctx := context.Background()
			if _, err := Run(ctx, c(func(c *config.Config) { c.DryRun = false }), Options{}); err != nil {
				t.Fatalf("publishing: %v", err)
			}
			// The pull request: one pack edited without a bump, one new.
			repo.Write(map[string]string{"packs/edited/values.yaml": "pack:\n  namespace: changed\n"})
			repo.Write(gittest.Pack("packs/new", "new", "0.1.0"))
			repo.Commit("edit")
			reg.Reset()

			for _, tc := range []struct {
				name   string
				mod    func(*config.Config)
				want   map[string]Status
				exit   int
				notice string // substring of the not-checked notice; "" for none
			}{
				{"with credentials", func(*config.Config) {},
					map[string]Status{"packs/same": StatusUnchanged, "packs/edited": StatusConflict, "packs/new": StatusDryRun}, 1, ""},
				{"overwrite", func(c *config.Config) { c.Overwrite = true },
					map[string]Status{"packs/same": StatusUnchanged, "packs/edited": StatusDryRun, "packs/new": StatusDryRun}, 0, ""},
				{"fork: no password", func(c *config.Config) { c.Password = "" },
					map[string]Status{"packs/same": StatusDryRun, "packs/edited": StatusDryRun, "packs/new": StatusDryRun}, 0, "password is empty"},
				{"no credentials at all", func(c *config.Config) { c.Username, c.Password = "", "" },
					map[string]Status{"packs/same": StatusDryRun, "packs/edited": StatusDryRun, "packs/new": StatusDryRun}, 0, "credential"},
				{"no registry", func(c *config.Config) { c.Registry = "" },
					map[string]Status{"packs/same": StatusDryRun, "packs/edited": StatusDryRun, "packs/new": StatusDryRun}, 0, "no registry is set"},
			} {
				reg.Reset()
				res, err := Run(ctx, c(tc.mod), Options{})
				if err != nil {
					t.Fatalf("%s: Run() = %v", tc.name, err)
				}
				if diff := cmp.Diff(tc.want, statuses(res)); diff != "" {
					t.Errorf("%s: statuses (-want +got):\n%s", tc.name, diff)
				}
				if got := res.ExitCode(); got != tc.exit {
					t.Errorf("%s: ExitCode() = %d, want %d", tc.name, got, tc.exit)
				}
				var notChecked []string
				for _, n := range res.Notices {
					if strings.HasPrefix(n, "dry run: the registry was not checked") {
						notChecked = append(notChecked, n)
					}
				}
				switch {
				case tc.notice == "" && len(notChecked) != 0:
					t.Errorf("%s: notices %q, want none saying the registry was not checked", tc.name, notChecked)
				case tc.notice != "" && (len(notChecked) != 1 || !strings.Contains(notChecked[0], tc.notice)):
					t.Errorf("%s: notices %q, want one saying the registry was not checked (%s)", tc.name, notChecked, tc.notice)
				}
				for _, r := range reg.Requests() {
					if r.Method != http.MethodGet && r.Method != http.MethodHead {
						t.Errorf("%s: the dry run sent %s %s", tc.name, r.Method, r.Path)
					}
				}
				if tc.notice == "password is empty" || tc.notice == "no registry is set" {
					if n := len(reg.Requests()); n != 0 {
						t.Errorf("%s: the dry run sent %d requests, want none", tc.name, n)
					}
				}
				for _, p := range res.Packs {
					if p.Path == "packs/edited" && p.Status == StatusConflict && !strings.Contains(p.Message, "values.yaml") {
						t.Errorf("%s: conflict message %q does not name values.yaml", tc.name, p.Message)
					}
				}
			}
		})
	}
}
