package action

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/pipeline"
)

// output is one step output, in the order action.yml declares them.
type output struct{ Name, Value string }

type publishedEntry struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Path      string `json:"path"`
	Reference string `json:"reference"`
	Digest    string `json:"digest"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

type matrixEntry struct {
	Path    string `json:"path"`
	Name    string `json:"name"`
	Version string `json:"version"`
}

// outputs computes the contract's outputs from a result. JSON values are
// compact and never HTML-escaped.
func outputs(res *pipeline.Result) []output {
	published := make([]publishedEntry, 0, len(res.Packs))
	include := make([]matrixEntry, 0, len(res.Packs))
	for _, p := range res.Packs {
		published = append(published, publishedEntry{p.Name, p.Version, p.Path, p.Reference, p.Digest, string(p.Status), p.Message})
		include = append(include, matrixEntry{Path: p.Path, Name: p.Name, Version: p.Version})
	}
	selected := res.Selected
	if selected == nil {
		selected = []string{}
	}
	return []output{
		{"published", compactJSON(published)},
		{"changed-packs", compactJSON(selected)},
		{"matrix", compactJSON(struct {
			Include []matrixEntry `json:"include"`
		}{include})},
		{"any-changed", fmt.Sprint(len(res.Selected) > 0)},
		{"base-sha", res.BaseSHA},
		{"head-sha", res.HeadSHA},
		{"palette-synced", paletteSynced(res)},
	}
}

func compactJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only plain strings and structs: cannot fail
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// summaryMarkdown renders the GitHub step summary.
func summaryMarkdown(res *pipeline.Result) string {
	var b strings.Builder
	b.WriteString("## pack-publish\n\n")
	fmt.Fprintf(&b, "%s. Destination: %s", countLine(res), res.Destination)
	if res.BaseSHA != "" {
		fmt.Fprintf(&b, ", comparing `%s..%s`", short(res.BaseSHA), short(res.HeadSHA))
	}
	b.WriteString(".\n\n")
	if len(res.Packs) > 0 {
		b.WriteString("| pack | version | status | reference | digest | size |\n|---|---|---|---|---|---|\n")
		for _, p := range res.Packs {
			fmt.Fprintf(&b, "| %s | %s | %s %s | %s | %s | %s |\n", mdCell(p.Path), mdCell(p.Version), statusIcon(p.Status), p.Status,
				code(p.Reference), code(p.Digest), humanSize(p.Size))
		}
		b.WriteString("\n")
	}
	var problems []string
	for _, p := range res.Packs {
		if p.Message != "" && (p.Status == pipeline.StatusFailed || p.Status == pipeline.StatusInvalid || p.Status == pipeline.StatusConflict) {
			problems = append(problems, fmt.Sprintf("- **%s**: %s", mdCell(p.Path), mdCell(p.Message)))
		}
		for _, f := range p.Findings {
			problems = append(problems, fmt.Sprintf("- `%s` %s **%s**: %s", findingLoc(f), f.Severity, f.Rule, mdCell(withFix(f))))
		}
	}
	if len(problems) > 0 {
		b.WriteString("### Problems\n\n" + strings.Join(problems, "\n") + "\n\n")
	}
	if len(res.Deleted) > 0 {
		b.WriteString("### Deleted packs (not published)\n\n")
		for _, d := range res.Deleted {
			fmt.Fprintf(&b, "- %s\n", code(d))
		}
		b.WriteString("\n")
	}
	b.WriteString(paletteMarkdown(res))
	for _, n := range res.Notices {
		fmt.Fprintf(&b, "> %s\n\n", mdCell(n))
	}
	return b.String()
}

// writeTable prints the human-readable table shown on terminals and in CI logs.
func writeTable(w io.Writer, res *pipeline.Result) {
	if len(res.Packs) == 0 {
		fmt.Fprintf(w, "No packs selected (%s).\n", res.Destination)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PACK\tVERSION\tSTATUS\tREFERENCE\tDIGEST\tSIZE")
	for _, p := range res.Packs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Path, dash(p.Version), p.Status, dash(p.Reference), dash(shortDigest(p.Digest)), humanSize(p.Size))
	}
	tw.Flush()
	for _, p := range res.Packs {
		if p.Message != "" && (p.Status == pipeline.StatusFailed || p.Status == pipeline.StatusInvalid || p.Status == pipeline.StatusConflict) {
			fmt.Fprintf(w, "%s: %s\n", p.Path, p.Message)
		}
	}
	fmt.Fprintf(w, "%s. Destination: %s.\n", countLine(res), res.Destination)
	writePaletteLine(w, res)
}

func countLine(res *pipeline.Result) string {
	c := res.Counts()
	var parts []string
	for _, s := range []pipeline.Status{pipeline.StatusPushed, pipeline.StatusUnchanged, pipeline.StatusDryRun, pipeline.StatusInvalid, pipeline.StatusConflict, pipeline.StatusFailed, pipeline.StatusCancelled} {
		if c[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[s], s))
		}
	}
	if len(parts) == 0 {
		return "No packs selected"
	}
	return fmt.Sprintf("%d pack(s): %s", len(res.Packs), strings.Join(parts, ", "))
}

func findingLoc(f pack.Finding) string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return f.File
}

func withFix(f pack.Finding) string {
	if f.Fix == "" {
		return f.Message
	}
	return f.Message + " Fix: " + f.Fix
}

func statusIcon(s pipeline.Status) string {
	switch s {
	case pipeline.StatusPushed:
		return "✅"
	case pipeline.StatusUnchanged:
		return "⏸️"
	case pipeline.StatusDryRun:
		return "🔍"
	default:
		return "❌"
	}
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// shortDigest keeps "sha256:" and 12 hex digits, enough to recognise a digest.
func shortDigest(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}

func humanSize(n int64) string {
	switch {
	case n <= 0:
		return "-"
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	}
}
