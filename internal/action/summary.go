package action

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf8"

	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/pipeline"
	"github.com/pack-publish/pack-publish/internal/textsafe"
)

const (
	// collapseRows: a table longer than this is folded into <details>.
	collapseRows = 20
	// maxReason: longer reasons are cut in tables; the full text is in the
	// pack's details.
	maxReason = 240
	// maxDetails bounds the per-pack details blocks and maxPackRows the
	// rows of the pack tables: GitHub refuses a step summary over 1 MiB.
	maxDetails     = 50
	maxPackRows    = 1000
	maxProblemRows = 300
)

// summaryMarkdown renders the GitHub step summary: a headline with the
// counts, the problems (one reason per pack, identical reasons merged), the
// packs, then the details, each folded when long. Every string from the
// repository or a server goes through textsafe.Markdown or MarkdownCode.
func summaryMarkdown(res *pipeline.Result, version string) string {
	var b strings.Builder
	c := res.Counts()
	problems := 0
	for _, p := range res.Packs {
		if isProblem(p.Status) {
			problems++
		}
	}
	switch {
	case len(res.Packs) == 0:
		b.WriteString("## pack-publish: no packs selected\n\n")
	case problems > 0:
		fmt.Fprintf(&b, "## ❌ pack-publish: %d of %d pack(s) need attention\n\n", problems, len(res.Packs))
	case c[pipeline.StatusDryRun] > 0 || strings.HasPrefix(res.Destination, "dry run"):
		fmt.Fprintf(&b, "## 🔍 pack-publish: %d pack(s) checked, nothing written\n\n", len(res.Packs))
	default:
		fmt.Fprintf(&b, "## ✅ pack-publish: %d pack(s) published\n\n", len(res.Packs))
	}
	var counts []string
	for _, s := range statuses(c) {
		counts = append(counts, fmt.Sprintf("%s %d %s", statusIcon(s), c[s], textsafe.Markdown(string(s))))
	}
	if len(counts) > 0 {
		b.WriteString("**" + strings.Join(counts, " · ") + "**<br>\n")
	}
	b.WriteString("Destination: " + textsafe.MarkdownCode(res.Destination))
	if res.BaseSHA != "" {
		fmt.Fprintf(&b, " · comparing <code>%s..%s</code>", textsafe.Markdown(short(res.BaseSHA)), textsafe.Markdown(short(res.HeadSHA)))
	}
	if res.Timings.TotalMS > 0 {
		b.WriteString(" · " + humanDuration(res.Timings.TotalMS))
	}
	b.WriteString("\n\n")
	if res.Interrupted != "" {
		b.WriteString("> ⏹️ **Interrupted:** " + textsafe.Markdown(res.Interrupted) + "\n\n")
	}
	for _, n := range res.Notices {
		b.WriteString("> " + textsafe.Markdown(n) + "\n\n")
	}

	if problems > 0 {
		b.WriteString("### Problems\n\n")
		rows := problemRows(res)
		table := "| pack | status | reason |\n|---|---|---|\n" + strings.Join(rows[:min(len(rows), maxProblemRows)], "")
		if more := len(rows) - maxProblemRows; more > 0 {
			table += fmt.Sprintf("\nThe other %d problems are in the log and in report-file.\n", more)
		}
		b.WriteString(folded(table, len(rows), fmt.Sprintf("%d problem(s)", len(rows))))
	}
	writeDetails(&b, res)

	if len(res.Packs) > 0 {
		b.WriteString("### Packs\n\n")
		var rows strings.Builder
		rows.WriteString("| pack | version | status | size | digest | reference |\n|---|---|---|---|---|---|\n")
		for _, p := range res.Packs[:min(len(res.Packs), maxPackRows)] {
			fmt.Fprintf(&rows, "| %s | %s | %s\u00a0%s | %s | %s | %s |\n", textsafe.MarkdownCode(p.Path), textsafe.Markdown(p.Version),
				statusIcon(p.Status), textsafe.Markdown(string(p.Status)), strings.ReplaceAll(humanSize(p.Size), " ", "\u00a0"), digestCell(p.Digest), referenceCell(p.Reference))
		}
		if more := len(res.Packs) - maxPackRows; more > 0 {
			fmt.Fprintf(&rows, "\nThe other %d packs are in the log and in report-file.\n", more)
		}
		b.WriteString(folded(rows.String(), len(res.Packs), fmt.Sprintf("All %d packs", len(res.Packs))))
		if digests := fullDigests(res); digests != "" {
			b.WriteString("<details><summary>Full references and digests</summary>\n\n" + digests + "\n</details>\n\n")
		}
		writeOtherFindings(&b, res)
	}

	b.WriteString(paletteMarkdown(res))
	if len(res.Deleted) > 0 {
		b.WriteString("### Deleted packs (not published)\n\n")
		for _, d := range res.Deleted {
			b.WriteString("- " + textsafe.MarkdownCode(d) + "\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("<sub>pack-publish " + textsafe.Markdown(dash(version)) + "</sub>\n")
	return b.String()
}

// problemRows is one row per reason: packs that failed for the same reason
// (a registry refusing every push) share one row.
func problemRows(res *pipeline.Result) []string {
	type group struct {
		status pipeline.Status
		reason string
		cell   string // reason as Markdown
		paths  []string
		digest string // the published digest of a conflict
		built  string // the manifest digest this run built
		layer  string // our layer digest
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, p := range res.Packs {
		if !isProblem(p.Status) {
			continue
		}
		r := reason(p)
		key := string(p.Status) + "\x00" + r
		if p.Status == pipeline.StatusInvalid || p.Status == pipeline.StatusConflict {
			key += "\x00" + p.Path // their reasons name the pack's own files
		}
		g := byKey[key]
		if g == nil {
			g = &group{status: p.Status, reason: r, cell: reasonMarkdown(p)}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.paths = append(g.paths, p.Path)
		if p.Status == pipeline.StatusConflict || p.Status == pipeline.StatusFailed {
			g.digest, g.built, g.layer = p.Digest, p.BuiltDigest, p.LayerDigest
		}
	}
	rows := make([]string, 0, len(groups))
	for _, g := range groups {
		who := packList(g.paths)
		cell := g.cell
		if len(g.paths) == 1 && (g.digest != "" || g.layer != "") {
			var ds []string
			if g.digest != "" {
				ds = append(ds, "published "+digestCell(g.digest))
			}
			switch {
			case g.built != "":
				ds = append(ds, "ours "+digestCell(g.built))
			case g.layer != "":
				ds = append(ds, "our layer "+digestCell(g.layer))
			}
			cell += "<br>" + strings.Join(ds, " · ")
		}
		rows = append(rows, fmt.Sprintf("| %s | %s\u00a0%s | %s |\n", who, statusIcon(g.status), textsafe.Markdown(string(g.status)), cell))
	}
	return rows
}

// reasonMarkdown is reason for a table cell: the rule in bold, the fix and
// the place on lines of their own, long messages cut.
func reasonMarkdown(p pipeline.PackResult) string {
	if p.Status == pipeline.StatusInvalid {
		for _, f := range p.Findings {
			if f.Severity != pack.SeverityError && len(p.Findings) > 1 {
				continue
			}
			s := "**" + textsafe.Markdown(f.Rule) + "** " + textsafe.Markdown(cutText(f.Message, maxReason))
			if f.Fix != "" {
				s += "<br>Fix: " + textsafe.Markdown(cutText(f.Fix, maxReason))
			}
			s += "<br>" + textsafe.MarkdownCode(findingLoc(f))
			if more := len(p.Findings) - 1; more > 0 {
				s += fmt.Sprintf(" and %d more finding(s) below", more)
			}
			return s
		}
	}
	return textsafe.Markdown(cutText(reason(p), maxReason))
}

// writeDetails adds one folded block per pack that needs attention and has
// findings or a reason longer than the table shows.
func writeDetails(b *strings.Builder, res *pipeline.Result) {
	n := 0
	for _, p := range res.Packs {
		if !isProblem(p.Status) || (len(p.Findings) == 0 && utf8.RuneCountInString(p.Message) <= maxReason) {
			continue
		}
		if n == maxDetails {
			b.WriteString("The details of further packs are in the log and in report-file.\n\n")
			return
		}
		n++
		// A <details> line is raw HTML: Markdown is not parsed there.
		fmt.Fprintf(b, "<details><summary><code>%s</code>: %s</summary>\n\n", textsafe.HTML(p.Path), detailsTitle(p))
		if p.Message != "" && (len(p.Findings) == 0 || p.Status != pipeline.StatusInvalid) {
			b.WriteString(textsafe.Markdown(p.Message) + "\n\n")
		}
		for _, f := range p.Findings {
			writeFinding(b, f)
		}
		b.WriteString("\n</details>\n\n")
	}
}

func writeFinding(b *strings.Builder, f pack.Finding) {
	fmt.Fprintf(b, "- %s %s **%s**: %s", textsafe.MarkdownCode(findingLoc(f)), textsafe.Markdown(string(f.Severity)),
		textsafe.Markdown(f.Rule), textsafe.Markdown(f.Message))
	if f.Fix != "" {
		b.WriteString("<br>Fix: " + textsafe.Markdown(f.Fix))
	}
	b.WriteString("\n")
}

// writeOtherFindings folds the warnings and notices of packs that are
// fine into one block, one line per rule: the same convention missed by 30
// packs is one line, not 30.
func writeOtherFindings(b *strings.Builder, res *pipeline.Result) {
	type group struct {
		first pack.Finding
		paths []string
	}
	var groups []*group
	byRule := map[string]*group{}
	total := 0
	for _, p := range res.Packs {
		if isProblem(p.Status) {
			continue
		}
		for _, f := range p.Findings {
			total++
			key := string(f.Severity) + "\x00" + f.Rule
			g := byRule[key]
			if g == nil {
				g = &group{first: f}
				byRule[key] = g
				groups = append(groups, g)
			}
			if len(g.paths) == 0 || g.paths[len(g.paths)-1] != p.Path {
				g.paths = append(g.paths, p.Path)
			}
		}
	}
	if total == 0 {
		return
	}
	fmt.Fprintf(b, "<details><summary>%d finding(s) in packs that are fine (warnings and notices)</summary>\n\n", total)
	for _, g := range groups {
		f := g.first
		fmt.Fprintf(b, "- %s **%s** in %s: %s", textsafe.Markdown(string(f.Severity)), textsafe.Markdown(f.Rule), packList(g.paths), textsafe.Markdown(f.Message))
		if len(g.paths) > 1 {
			b.WriteString(" (first of them)")
		}
		if f.Fix != "" {
			b.WriteString("<br>Fix: " + textsafe.Markdown(f.Fix))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n</details>\n\n")
}

// packList names up to three packs, then how many more.
func packList(paths []string) string {
	if len(paths) <= 3 {
		return joinCode(paths)
	}
	return joinCode(paths[:2]) + fmt.Sprintf(" and %d more", len(paths)-2)
}

func detailsTitle(p pipeline.PackResult) string {
	if len(p.Findings) > 0 {
		return fmt.Sprintf("%d finding(s)", len(p.Findings))
	}
	return "full message"
}

// folded returns a Markdown block, inside <details> when it has more than
// collapseRows rows.
func folded(block string, rows int, summary string) string {
	if rows <= collapseRows {
		return block + "\n"
	}
	return "<details><summary>" + summary + "</summary>\n\n" + block + "\n</details>\n\n"
}

// digestCell shows a short digest with the full one as its tooltip.
func digestCell(d string) string {
	if d == "" {
		return "-"
	}
	return fmt.Sprintf(`<code title="%s">%s</code>`, html.EscapeString(textsafe.Line(d)), textsafe.Markdown(shortDigest(d)))
}

// referenceCell shows the tag part of a reference (the destination is in
// the headline) with the whole reference as its tooltip.
func referenceCell(ref string) string {
	if ref == "" {
		return "-"
	}
	short := ref[strings.LastIndex(ref, "/")+1:]
	return fmt.Sprintf(`<code title="%s">%s</code>`, html.EscapeString(textsafe.Line(ref)), textsafe.Markdown(short))
}

// fullDigests lists every pack's full reference and digests, or "".
func fullDigests(res *pipeline.Result) string {
	var b strings.Builder
	for _, p := range res.Packs[:min(len(res.Packs), maxPackRows)] {
		if p.Digest == "" && p.LayerDigest == "" {
			continue
		}
		fmt.Fprintf(&b, "- %s", textsafe.MarkdownCode(dash(p.Reference)))
		if p.Digest != "" {
			b.WriteString("<br>manifest " + textsafe.MarkdownCode(p.Digest))
		}
		if p.BuiltDigest != "" {
			b.WriteString("<br>ours " + textsafe.MarkdownCode(p.BuiltDigest))
		}
		if p.LayerDigest != "" {
			b.WriteString("<br>layer " + textsafe.MarkdownCode(p.LayerDigest))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func joinCode(paths []string) string {
	parts := make([]string, len(paths))
	for i, p := range paths {
		parts[i] = textsafe.MarkdownCode(p)
	}
	return strings.Join(parts, ", ")
}

// cutText shortens s to n runes, ending it with "…".
func cutText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
