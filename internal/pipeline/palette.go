package pipeline

import (
	"context"
	"crypto/x509"

	"github.com/pack-publish/pack-publish/internal/palette"
	"github.com/pack-publish/pack-publish/internal/registry"
)

// syncPalette asks Palette to sync the registry the packs went to and
// confirms that each pushed version is visible there, when palette-api-key
// is set and a pack was pushed. A failure is recorded in the result (and
// makes the exit code 1); it never changes a pack's status.
func (r *run) syncPalette(ctx context.Context, packs []PackResult) *palette.Result {
	cfg := r.cfg
	if cfg.PaletteAPIKey == "" || cfg.DryRun || cfg.OCILayout != "" {
		return nil
	}
	var pushed []palette.Pack
	for _, p := range packs {
		if p.Status == StatusPushed {
			pushed = append(pushed, palette.Pack{Name: p.Name, Version: p.Version})
		}
	}
	if len(pushed) == 0 {
		r.opts.Logf("palette: nothing was pushed, so registry %q is not synced", cfg.PaletteRegistry)
		return nil
	}
	kind := palette.KindBasic
	if cfg.Auth == "ecr" {
		kind = palette.KindECR
	}
	var roots *x509.CertPool
	if cfg.CAFile != "" {
		var err error
		if roots, err = registry.CAPool(cfg.CAFile); err != nil {
			res := &palette.Result{Registry: cfg.PaletteRegistry, Kind: kind, Error: r.secrets.String(err.Error())}
			for _, p := range pushed {
				res.Packs = append(res.Packs, palette.PackStatus{Name: p.Name, Version: p.Version})
			}
			return res
		}
	}
	res, _ := palette.Sync(ctx, palette.Options{
		URL: cfg.PaletteURL, APIKey: cfg.PaletteAPIKey, Registry: cfg.PaletteRegistry,
		Kind: kind, Host: cfg.Registry, BasePath: cfg.BasePath, Packs: pushed,
		Timeout: cfg.PaletteTimeout, RootCAs: roots, UserAgent: r.opts.UserAgent, Logf: r.opts.Logf, Now: r.opts.Now,
		Redact: r.secrets.String,
	})
	return res
}
