package action

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/pipeline"
	"github.com/pack-publish/pack-publish/internal/textsafe"
)

// frontend is what differs between GitHub Actions, GitLab CI and a terminal.
// Each renders the same pipeline.Result. Every string that reaches a
// frontend may come from the repository or a server: each prints it through
// textsafe, so it can neither start a line or workflow command nor carry a
// control character or ANSI escape.
type frontend interface {
	// mask hides a secret from every later log line (GitHub only; elsewhere
	// secrets are simply never printed).
	mask(secret string)
	logf(format string, args ...any)
	// progress groups the log by phase (GitHub) and prints [n/N] lines on
	// long runs.
	progress(p pipeline.Progress)
	notice(msg string)
	// problem reports a finding (file relative to the workspace) or, with an
	// empty File, an error that concerns a pack or the run.
	problem(f pack.Finding)
	// finish writes the table, the outputs and the summary.
	finish(res *pipeline.Result) error
	// idToken returns the CI's OIDC token source, or nil.
	idToken() func(ctx context.Context, audience string) (string, error)
}

// frontendOptions are the seams of newFrontend.
type frontendOptions struct {
	getenv         func(string) string
	stdout, stderr io.Writer
	dotenv         string // GitLab dotenv file, absolute; "" writes none
	workspace      string // files below it are never written through a symlink
	version        string
	now            func() time.Time
}

func newFrontend(o frontendOptions) frontend {
	if o.now == nil {
		o.now = time.Now
	}
	switch {
	case o.getenv("GITHUB_ACTIONS") == "true":
		// One stream, stdout: the runner reads stdout and stderr on separate
		// pipes, so a command on stderr could overtake or trail the
		// stop-commands block around the table.
		return &github{
			terminal: terminal{out: o.stdout, diag: o.stdout, esc: textsafe.Workflow, version: o.version, progressLines: newProgressLines(o.now)},
			a:        githubactions.New(githubactions.WithGetenv(o.getenv), githubactions.WithWriter(o.stdout)),
			getenv:   o.getenv,
		}
	case o.getenv("GITLAB_CI") != "":
		return &gitlab{terminal: newTerminal(o), dotenv: o.dotenv, workspace: o.workspace}
	default:
		t := newTerminal(o)
		return &t
	}
}

// terminal prints plain text: the table and results on stdout; progress,
// notices and problems (file:line: messages) on stderr.
type terminal struct {
	out, diag io.Writer
	esc       func(string) string // textsafe.Line, or textsafe.Workflow on GitHub
	version   string
	*progressLines
}

func newTerminal(o frontendOptions) terminal {
	return terminal{out: o.stdout, diag: o.stderr, esc: textsafe.Line, version: o.version, progressLines: newProgressLines(o.now)}
}

// println prints one line of text through esc: whatever it holds, it stays
// one line.
func (t *terminal) println(w io.Writer, s string) { fmt.Fprintln(w, t.esc(s)) }

func (t *terminal) mask(string)                     {}
func (t *terminal) logf(format string, args ...any) { t.println(t.diag, fmt.Sprintf(format, args...)) }
func (t *terminal) notice(msg string)               { t.println(t.diag, "notice: "+msg) }
func (t *terminal) problem(f pack.Finding) {
	if f.File == "" {
		prefix := string(orError(f.Severity)) + ": "
		if f.Rule != "" {
			prefix += f.Rule + ": " // the pack a publishing error is about
		}
		t.println(t.diag, prefix+withFix(f))
		return
	}
	t.println(t.diag, f.String())
}
func (t *terminal) idToken() func(context.Context, string) (string, error) { return nil }
func (t *terminal) progress(p pipeline.Progress) {
	if line := t.progressLines.line(p); line != "" {
		t.println(t.diag, line)
	}
}

func (t *terminal) finish(res *pipeline.Result) error {
	for _, l := range tableLines(res, t.version) {
		t.println(t.out, l)
	}
	return nil
}

func orError(s pack.Severity) pack.Severity {
	if s == "" {
		return pack.SeverityError
	}
	return s
}

// progressLines decides when a long run prints "[n/N] phase": from
// progressAfter into the run, at most every progressEvery, and at the end of
// each phase that printed one.
type progressLines struct {
	now           func() time.Time
	start, last   time.Time
	phase         string
	printedPhase  bool
	after, every  time.Duration
	phaseStartsAt time.Time
}

const (
	progressAfter = 3 * time.Second
	progressEvery = 5 * time.Second
)

func newProgressLines(now func() time.Time) *progressLines {
	return &progressLines{now: now, start: now(), after: progressAfter, every: progressEvery}
}

func (pl *progressLines) line(p pipeline.Progress) string {
	now := pl.now()
	if p.Phase != pl.phase {
		pl.phase, pl.printedPhase, pl.phaseStartsAt = p.Phase, false, now
	}
	if p.Done == 0 || p.Total == 0 {
		return ""
	}
	due := now.Sub(pl.start) >= pl.after && now.Sub(pl.last) >= pl.every
	if !due && !(p.Done == p.Total && pl.printedPhase) {
		return ""
	}
	pl.last, pl.printedPhase = now, true
	return fmt.Sprintf("[%d/%d] %s (%s in this phase)", p.Done, p.Total, phaseVerb(p.Phase), now.Sub(pl.phaseStartsAt).Round(100*time.Millisecond))
}

func phaseVerb(phase string) string {
	switch phase {
	case "validate":
		return "validated"
	case "publish":
		return "published"
	}
	return phase
}

// github speaks the workflow-command protocol: masks, annotations, log
// groups, outputs in GITHUB_OUTPUT and a step summary in GITHUB_STEP_SUMMARY
// (each only when the variable is set: go-githubactions panics otherwise).
type github struct {
	terminal
	a         *githubactions.Action
	getenv    func(string) string
	openGroup bool
}

func (g *github) mask(secret string) {
	if secret != "" {
		g.a.AddMask(secret)
	}
}
func (g *github) idToken() func(context.Context, string) (string, error) { return g.a.GetIDToken }
func (g *github) notice(msg string)                                      { g.a.Noticef("%s", textsafe.Workflow(msg)) }
func (g *github) problem(f pack.Finding) {
	if f.File == "" && f.Rule == "" {
		g.endGroup() // an error of the run: not hidden in a folded group
	}
	fields := map[string]string{}
	if f.Rule != "" {
		fields["title"] = textsafe.Workflow(f.Rule)
	}
	if f.File != "" {
		fields["file"] = textsafe.Workflow(f.File)
	}
	if f.Line > 0 {
		fields["line"] = strconv.Itoa(f.Line)
	}
	if f.Column > 0 {
		fields["col"] = strconv.Itoa(f.Column)
	}
	// go-githubactions escapes '%', '\r', '\n' (and ',' ':' in fields);
	// textsafe.Workflow quotes control characters and ANSI escapes and
	// breaks the legacy "##[" prefix first.
	a := g.a.WithFieldsMap(fields)
	switch msg := textsafe.Workflow(withFix(f)); f.Severity {
	case pack.SeverityWarning:
		a.Warningf("%s", msg)
	case pack.SeverityNotice:
		a.Noticef("%s", msg)
	default:
		a.Errorf("%s", msg)
	}
}

// progress opens a log group per phase.
func (g *github) progress(p pipeline.Progress) {
	if p.Done == 0 && p.Phase != g.progressLines.phase {
		g.group(phaseTitle(p))
	}
	g.terminal.progress(p)
}

func (g *github) group(title string) {
	g.endGroup()
	g.a.Group(textsafe.Workflow(title))
	g.openGroup = true
}

func (g *github) endGroup() {
	if g.openGroup {
		g.a.EndGroup()
		g.openGroup = false
	}
}

func phaseTitle(p pipeline.Progress) string {
	switch p.Phase {
	case "detect":
		return "Detect: selecting packs"
	case "validate":
		return fmt.Sprintf("Validate: %d pack(s)", p.Total)
	case "publish":
		return fmt.Sprintf("Publish: %d pack(s)", p.Total)
	case "report":
		return "Report"
	}
	return p.Phase
}

// finish prints the table, outside any folded group, inside a
// stop-commands block: even if a line got past textsafe.Workflow, the runner
// would not read it as a command.
func (g *github) finish(res *pipeline.Result) (err error) {
	g.endGroup()
	token := stopToken()
	fmt.Fprintf(g.out, "::stop-commands::%s\n", token)
	for _, l := range tableLines(res, g.version) {
		g.println(g.out, l)
	}
	fmt.Fprintf(g.out, "::%s::\n", token)
	// go-githubactions panics when a file command cannot be written.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("writing GitHub outputs or step summary: %v", r)
		}
	}()
	if g.getenv("GITHUB_OUTPUT") != "" {
		outs := outputs(res)
		if err := checkOutputs(outs); err != nil {
			return err
		}
		for _, o := range outs {
			g.a.SetOutput(o.Name, o.Value)
		}
	}
	if g.getenv("GITHUB_STEP_SUMMARY") != "" {
		g.a.AddStepSummary(summaryMarkdown(res, g.version))
	}
	return nil
}

// stopToken is the random resume word of ::stop-commands::, which no
// repository content can know in advance.
func stopToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "pack-publish-" + hex.EncodeToString(b)
}

// checkOutputs: go-githubactions v1.4.0 writes every output between fixed
// delimiter lines (_GitHubActionsFileCommandDelimeter_), so a value holding
// a line break could end its own value and add outputs. Every value is
// compact JSON, a hex SHA or true/false: this guards that it stays so.
func checkOutputs(outs []output) error {
	for _, o := range outs {
		if strings.ContainsAny(o.Value, "\r\n") {
			return fmt.Errorf("output %s holds a line break; refusing to write it (this is a bug in pack-publish, please report it)", o.Name)
		}
	}
	return nil
}

// nothingAttempted writes the step summary of a run that stopped before
// attempting anything: the problems, each once, redacted (the runner's masks
// do not reach the summary file).
func (g *github) nothingAttempted(problems []string, redact func(string) string) {
	if g.getenv("GITHUB_STEP_SUMMARY") == "" {
		return
	}
	// go-githubactions panics when a file command cannot be written; the
	// problems are in the log already.
	defer func() { _ = recover() }()
	var b strings.Builder
	b.WriteString("## ❌ pack-publish: nothing was attempted\n\n")
	for _, p := range problems {
		b.WriteString("> " + textsafe.Markdown(redact(p)) + "\n\n")
	}
	b.WriteString("<sub>pack-publish " + textsafe.Markdown(dash(g.version)) + "</sub>\n")
	g.a.AddStepSummary(b.String())
}
