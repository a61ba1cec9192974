package action

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/pipeline"
)

// frontend is what differs between GitHub Actions, GitLab CI and a terminal.
// Each renders the same pipeline.Result.
type frontend interface {
	// mask hides a secret from every later log line (GitHub only; elsewhere
	// secrets are simply never printed).
	mask(secret string)
	logf(format string, args ...any)
	notice(msg string)
	// problem reports a finding (file relative to the workspace) or, with an
	// empty File, an error that concerns a pack or the run.
	problem(f pack.Finding)
	// finish writes the outputs and the summary.
	finish(res *pipeline.Result) error
	// idToken returns the CI's OIDC token source, or nil.
	idToken() func(ctx context.Context, audience string) (string, error)
}

func newFrontend(getenv func(string) string, stdout io.Writer, dotenv string) frontend {
	switch {
	case getenv("GITHUB_ACTIONS") == "true":
		return &github{a: githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stdout)), getenv: getenv, w: stdout}
	case getenv("GITLAB_CI") != "":
		return &gitlab{terminal: terminal{w: stdout}, dotenv: dotenv}
	default:
		return &terminal{w: stdout}
	}
}

// terminal prints plain text: a table, findings as file:line: messages.
type terminal struct{ w io.Writer }

func (t *terminal) mask(string)                     {}
func (t *terminal) logf(format string, args ...any) { fmt.Fprintf(t.w, format+"\n", args...) }
func (t *terminal) notice(msg string)               { fmt.Fprintf(t.w, "notice: %s\n", msg) }
func (t *terminal) problem(f pack.Finding) {
	if f.File == "" {
		fmt.Fprintf(t.w, "error: %s\n", f.Message)
		return
	}
	fmt.Fprintln(t.w, f.String())
}
func (t *terminal) idToken() func(context.Context, string) (string, error) { return nil }

func (t *terminal) finish(res *pipeline.Result) error {
	writeTable(t.w, res)
	return nil
}

// gitlab prints like a terminal and writes the outputs to a dotenv file as
// PACK_PUBLISH_<NAME>=<value>, for `artifacts: reports: dotenv`.
type gitlab struct {
	terminal
	dotenv string
}

func (g *gitlab) finish(res *pipeline.Result) error {
	writeTable(g.w, res)
	if g.dotenv == "" {
		return nil
	}
	var b strings.Builder
	for _, o := range outputs(res) {
		fmt.Fprintf(&b, "PACK_PUBLISH_%s=%s\n", strings.ToUpper(strings.ReplaceAll(o.Name, "-", "_")), o.Value)
	}
	if err := os.WriteFile(g.dotenv, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing dotenv-file: %w", err)
	}
	return nil
}

// github speaks the workflow-command protocol: masks, annotations, outputs in
// GITHUB_OUTPUT and a step summary in GITHUB_STEP_SUMMARY (each only when the
// variable is set: go-githubactions panics otherwise).
type github struct {
	a      *githubactions.Action
	getenv func(string) string
	w      io.Writer
}

func (g *github) mask(secret string) {
	if secret != "" {
		g.a.AddMask(secret)
	}
}
func (g *github) idToken() func(context.Context, string) (string, error) { return g.a.GetIDToken }

func (g *github) logf(format string, args ...any) { fmt.Fprintf(g.w, format+"\n", args...) }
func (g *github) notice(msg string)               { g.a.Noticef("%s", msg) }
func (g *github) problem(f pack.Finding) {
	fields := map[string]string{}
	if f.Rule != "" {
		fields["title"] = f.Rule
	}
	if f.File != "" {
		fields["file"] = f.File
	}
	if f.Line > 0 {
		fields["line"] = strconv.Itoa(f.Line)
	}
	if f.Column > 0 {
		fields["col"] = strconv.Itoa(f.Column)
	}
	a := g.a.WithFieldsMap(fields)
	switch f.Severity {
	case pack.SeverityWarning:
		a.Warningf("%s", withFix(f))
	case pack.SeverityNotice:
		a.Noticef("%s", withFix(f))
	default:
		a.Errorf("%s", withFix(f))
	}
}

func (g *github) finish(res *pipeline.Result) (err error) {
	writeTable(g.w, res)
	// go-githubactions panics when a file command cannot be written.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("writing GitHub outputs or step summary: %v", r)
		}
	}()
	if g.getenv("GITHUB_OUTPUT") != "" {
		for _, o := range outputs(res) {
			g.a.SetOutput(o.Name, o.Value)
		}
	}
	if g.getenv("GITHUB_STEP_SUMMARY") != "" {
		g.a.AddStepSummary(summaryMarkdown(res))
	}
	return nil
}
