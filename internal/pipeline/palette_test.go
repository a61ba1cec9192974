package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pack-publish/pack-publish/internal/config"
	"github.com/pack-publish/pack-publish/internal/gittest"
	"github.com/pack-publish/pack-publish/internal/palette"
	"github.com/pack-publish/pack-publish/internal/palette/palettetest"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

// TestRun_palette: Palette is asked about the pushed packs only, and not at
// all by a dry run or a layout run.
func TestRun_palette(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"registry", "dry-run", "oci-layout"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
			fake := palettetest.New(t, palettetest.Options{
				Registries: []palettetest.Registry{{UID: "u1", Name: "packs", Kind: "basic", Endpoint: "https://" + reg.Host, BaseContentPath: "team"}},
				Catalog:    palettetest.OCICatalog(reg.Client(), reg.Username, reg.Password), SyncPolls: 1,
			})
			ca := filepath.Join(t.TempDir(), "ca.pem")
			pemReg, _ := os.ReadFile(reg.CAFile)
			pemPal, _ := os.ReadFile(fake.CAFile)
			if err := os.WriteFile(ca, append(pemReg, pemPal...), 0o644); err != nil {
				t.Fatal(err)
			}
			dir := ws(t, gittest.Pack("packs/good", "good", "1.0.0"), gittest.Pack("packs/bad", "bad", "1.0.0+build.1"))
			c := cfg(dir, func(c *config.Config) {
				c.DryRun = mode == "dry-run"
				if mode == "oci-layout" {
					c.OCILayout = filepath.Join(t.TempDir(), "oci")
				} else {
					c.Registry, c.BasePath, c.CAFile, c.Auth, c.Username, c.Password = reg.Host, "team", ca, "basic", reg.Username, reg.Password
				}
				c.PaletteURL, c.PaletteAPIKey, c.PaletteRegistry, c.PaletteTimeout = fake.URL, fake.APIKey, "packs", 20*time.Second
			})
			var logs strings.Builder
			res, err := Run(context.Background(), c, Options{Logf: func(f string, a ...any) { fmt.Fprintf(&logs, f+"\n", a...) }})
			if err != nil {
				t.Fatal(err)
			}
			if mode != "registry" {
				if res.Palette != nil || len(fake.Requests()) != 0 {
					t.Fatalf("Palette asked (%d requests): %+v", len(fake.Requests()), res.Palette)
				}
				return
			}
			want := []palette.PackStatus{{Name: "good", Version: "1.0.0", Visible: true, PackUID: "pack-good-1.0.0"}}
			if res.Palette == nil || !res.Palette.Synced || fmt.Sprint(res.Palette.Packs) != fmt.Sprint(want) {
				t.Fatalf("Palette = %+v\n%s", res.Palette, logs.String())
			}
			if res.ExitCode() != 1 || statuses(res)["packs/good"] != StatusPushed {
				t.Errorf("exit %d, statuses %v: the invalid pack makes it 1", res.ExitCode(), statuses(res))
			}
			if strings.Contains(logs.String(), fake.APIKey) || !strings.Contains(logs.String(), `palette: all 1 pack(s) visible in registry "packs"`) {
				t.Errorf("log:\n%s", logs.String())
			}
		})
	}
}

// TestRun_paletteWithinTimeout: the run's timeout also ends the Palette
// step, and says so.
func TestRun_paletteWithinTimeout(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
	fake := palettetest.New(t, palettetest.Options{
		Registries: []palettetest.Registry{{UID: "u1", Name: "packs", Kind: "basic", Endpoint: "https://" + reg.Host, BaseContentPath: "team"}},
		Catalog:    palettetest.OCICatalog(reg.Client(), reg.Username, reg.Password), NeverEnds: true,
	})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemReg, _ := os.ReadFile(reg.CAFile)
	pemPal, _ := os.ReadFile(fake.CAFile)
	if err := os.WriteFile(ca, append(pemReg, pemPal...), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := ws(t, gittest.Pack("packs/good", "good", "1.0.0"))
	c := cfg(dir, func(c *config.Config) {
		c.DryRun = false
		c.Registry, c.BasePath, c.CAFile, c.Auth, c.Username, c.Password = reg.Host, "team", ca, "basic", reg.Username, reg.Password
		c.PaletteURL, c.PaletteAPIKey, c.PaletteRegistry, c.PaletteTimeout = fake.URL, fake.APIKey, "packs", time.Hour
		c.Timeout = 5 * time.Second
	})
	res, err := Run(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if statuses(res)["packs/good"] != StatusPushed {
		t.Fatalf("statuses %v", statuses(res))
	}
	if res.Palette == nil || res.Palette.Synced || !strings.Contains(res.Palette.Error, "the run timed out after 5s") {
		t.Fatalf("Palette = %+v", res.Palette)
	}
}
