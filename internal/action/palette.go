package action

import (
	"fmt"
	"strings"
	"time"

	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/palette"
	"github.com/pack-publish/pack-publish/internal/pipeline"
	"github.com/pack-publish/pack-publish/internal/textsafe"
)

// The Palette step (palette-api-key) as the front ends show it.

// paletteSynced is the palette-synced output: empty when not asked.
func paletteSynced(res *pipeline.Result) string {
	if res.Palette == nil {
		return ""
	}
	return fmt.Sprint(res.Palette.Synced)
}

// reportPalette reports a failed Palette step as an error of the run.
func reportPalette(fe frontend, res *pipeline.Result) {
	if p := res.Palette; p != nil && !p.Synced {
		fe.problem(pack.Finding{Severity: pack.SeverityError, Message: "palette: " + p.Error})
	}
}

// paletteLine sums the step up in one line of text.
func paletteLine(p *palette.Result) string {
	confirmed := fmt.Sprintf("%d of %d pushed pack(s) visible in Palette", p.Confirmed(), len(p.Packs))
	if p.Synced {
		return fmt.Sprintf("registry %q synced in %s: %s", p.Registry, syncTime(p), confirmed)
	}
	return fmt.Sprintf("registry %q not confirmed: %s (the packs stay pushed)", p.Registry, confirmed)
}

func syncTime(p *palette.Result) string {
	return (time.Duration(p.SyncMS) * time.Millisecond).Round(100 * time.Millisecond).String()
}

// paletteMarkdown is the step summary's Palette section.
func paletteMarkdown(res *pipeline.Result) string {
	p := res.Palette
	if p == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("### Palette\n\n")
	icon := "✅"
	if !p.Synced {
		icon = "❌"
	}
	status := ""
	if p.SyncStatus != "" {
		status = ", last sync status " + textsafe.MarkdownCode(p.SyncStatus)
	}
	fmt.Fprintf(&b, "%s Registry %s: %d of %d pushed pack(s) visible in Palette (sync %s%s).\n\n",
		icon, textsafe.MarkdownCode(p.Registry), p.Confirmed(), len(p.Packs), syncTime(p), status)
	if len(p.Packs) > 0 {
		b.WriteString("| pack | version | visible in Palette |\n|---|---|---|\n")
		for _, s := range p.Packs {
			seen := "❌ no"
			if s.Visible {
				seen = "✅ yes"
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", textsafe.Markdown(s.Name), textsafe.Markdown(s.Version), seen)
		}
		b.WriteString("\n")
	}
	if p.Error != "" {
		fmt.Fprintf(&b, "**Palette**: %s\n\n", textsafe.Markdown(p.Error))
	}
	return b.String()
}
