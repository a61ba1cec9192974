package action

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/pipeline"
	"github.com/pack-publish/pack-publish/internal/textsafe"
)

// statusOrder is the order of counts and headlines: problems first.
var statusOrder = []pipeline.Status{
	pipeline.StatusInvalid, pipeline.StatusConflict, pipeline.StatusFailed, pipeline.StatusCancelled,
	pipeline.StatusPushed, pipeline.StatusUnchanged, pipeline.StatusDryRun,
}

// isProblem reports whether a pack needs attention.
func isProblem(s pipeline.Status) bool {
	switch s {
	case pipeline.StatusPushed, pipeline.StatusUnchanged, pipeline.StatusDryRun:
		return false
	}
	return true
}

// publishable reports whether a pack belongs in the matrix: it will be (or
// just was) published.
func publishable(s pipeline.Status) bool {
	return s == pipeline.StatusDryRun || s == pipeline.StatusPushed
}

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

// outputs computes the contract's outputs from a result. Every value is
// compact JSON (never HTML-escaped), a hex SHA or true/false: none can hold a
// line break (see checkOutputs).
func outputs(res *pipeline.Result) []output { return outputsN(res, -1) }

// outputsN is outputs with every list cut to its first n entries (n < 0:
// all), for GitLab's dotenv size limit.
func outputsN(res *pipeline.Result, n int) []output {
	first := func(l int) int {
		if n < 0 || n > l {
			return l
		}
		return n
	}
	published := make([]publishedEntry, 0, len(res.Packs))
	include := make([]matrixEntry, 0, len(res.Packs))
	for _, p := range res.Packs[:first(len(res.Packs))] {
		published = append(published, publishedEntry{p.Name, p.Version, p.Path, p.Reference, p.Digest, string(p.Status), p.Message})
	}
	for _, p := range res.Packs {
		if publishable(p.Status) && len(include) < first(len(res.Packs)) {
			include = append(include, matrixEntry{Path: p.Path, Name: p.Name, Version: p.Version})
		}
	}
	selected := append([]string{}, res.Selected[:first(len(res.Selected))]...)
	return []output{
		{"published", compactJSON(published)},
		{"changed-packs", compactJSON(selected)},
		{"matrix", compactJSON(struct {
			Include []matrixEntry `json:"include"`
		}{include})},
		{"any-changed", fmt.Sprint(len(res.Selected) > 0)},
		{"base-sha", hexOnly(res.BaseSHA)},
		{"head-sha", hexOnly(res.HeadSHA)},
		{"palette-synced", paletteSynced(res)},
	}
}

var hexSHA = regexp.MustCompile(`^[0-9a-f]{1,64}$`)

// hexOnly keeps a commit SHA (git rev-parse prints lower-case hex) and
// drops anything else, which could not be a commit.
func hexOnly(s string) string {
	if hexSHA.MatchString(s) {
		return s
	}
	return ""
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

// tableLines renders the human-readable table shown on terminals and in CI
// logs, one line each. Cells are quoted by textsafe.Line, so a name cannot
// add a line or a column; the caller escapes each line for its front end.
func tableLines(res *pipeline.Result, version string) []string {
	if len(res.Packs) == 0 {
		return []string{fmt.Sprintf("No packs selected; destination: %s.", res.Destination)}
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PACK\tVERSION\tSTATUS\tSIZE\tDIGEST\tREFERENCE")
	for _, p := range res.Packs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", textsafe.Line(p.Path), dash(textsafe.Line(p.Version)), textsafe.Line(string(p.Status)),
			humanSize(p.Size), dash(textsafe.Line(shortDigest(p.Digest))), dash(textsafe.Line(p.Reference)))
	}
	tw.Flush()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	for _, p := range res.Packs {
		// Cancelled packs share one reason, res.Interrupted, printed once.
		if isProblem(p.Status) && (p.Status != pipeline.StatusCancelled || res.Interrupted == "") {
			lines = append(lines, fmt.Sprintf("%s: %s: %s", p.Path, p.Status, reason(p)))
		}
	}
	if res.Interrupted != "" {
		lines = append(lines, res.Interrupted)
	}
	tail := fmt.Sprintf("%s. Destination: %s.", countLine(res), res.Destination)
	if version != "" {
		tail += " (pack-publish " + version + ")"
	}
	lines = append(lines, tail)
	if res.Palette != nil {
		lines = append(lines, "Palette: "+paletteLine(res.Palette)+".")
	}
	return lines
}

func countLine(res *pipeline.Result) string {
	c := res.Counts()
	var parts []string
	for _, s := range statuses(c) {
		parts = append(parts, fmt.Sprintf("%d %s", c[s], s))
	}
	if len(parts) == 0 {
		return "No packs selected"
	}
	return fmt.Sprintf("%d pack(s): %s", len(res.Packs), strings.Join(parts, ", "))
}

// statuses lists the statuses present in c: statusOrder first, then any
// other in name order.
func statuses(c map[pipeline.Status]int) []pipeline.Status {
	var out []pipeline.Status
	known := map[pipeline.Status]bool{}
	for _, s := range statusOrder {
		known[s] = true
		if c[s] > 0 {
			out = append(out, s)
		}
	}
	var rest []string
	for s, n := range c {
		if !known[s] && n > 0 {
			rest = append(rest, string(s))
		}
	}
	slices.Sort(rest)
	for _, s := range rest {
		out = append(out, pipeline.Status(s))
	}
	return out
}

// reason is one line saying why a pack needs attention: its first error
// finding (with the fix and how many more there are), else its message.
func reason(p pipeline.PackResult) string {
	var errs []pack.Finding
	for _, f := range p.Findings {
		if f.Severity == pack.SeverityError {
			errs = append(errs, f)
		}
	}
	if len(errs) == 0 {
		errs = p.Findings
	}
	if len(errs) > 0 && p.Status == pipeline.StatusInvalid {
		f := errs[0]
		s := fmt.Sprintf("%s %s (%s)", f.Rule, withFix(f), findingLoc(f))
		if more := len(p.Findings) - 1; more > 0 {
			s += fmt.Sprintf(" and %d more finding(s)", more)
		}
		return s
	}
	if p.Message != "" {
		return p.Message
	}
	return string(p.Status)
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
	case pipeline.StatusConflict:
		return "⚠️"
	case pipeline.StatusCancelled:
		return "⏹️"
	default:
		return "❌"
	}
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

func humanDuration(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	if d < time.Second {
		return fmt.Sprintf("%d ms", ms)
	}
	if d < time.Minute {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}
