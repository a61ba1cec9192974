package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pack-publish/pack-publish/internal/config"
	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/pipeline"
	"github.com/pack-publish/pack-publish/internal/redact"
	"github.com/pack-publish/pack-publish/internal/safefile"
)

// Exit codes, as README's "Exit codes" documents them.
const (
	exitOK     = 0
	exitFailed = 1
	exitConfig = 2
)

// Env is what Main needs from the process.
type Env struct {
	Args   []string
	Getenv func(string) string
	// Environ is the whole environment (KEY=value), checked for misspelt
	// PACK_PUBLISH_* and INPUT_* names; nil skips the check.
	Environ []string
	Dir     string // working directory
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Version string // printed by --version
}

// Main runs pack-publish and returns the process exit code: 0 when every
// selected pack is pushed, unchanged or dry-run; 1 when any is invalid,
// conflict, failed or cancelled; 2 when the configuration is unusable or the
// pre-flight check failed.
func Main(ctx context.Context, actionYAML []byte, env Env) int {
	spec, err := config.ParseSpec(actionYAML)
	if err != nil {
		fmt.Fprintf(env.Stderr, "pack-publish: %v\n", err)
		return exitConfig
	}
	cfg, err := config.Load(spec, config.Source{Args: env.Args, Getenv: env.Getenv, Dir: env.Dir, Environ: env.Environ, Stdin: env.Stdin})
	if errors.Is(err, config.ErrHelp) {
		fmt.Fprint(env.Stdout, config.Usage(spec))
		return exitOK
	}
	if errors.Is(err, config.ErrVersion) {
		fmt.Fprintf(env.Stdout, "pack-publish %s\n", env.Version)
		return exitOK
	}
	fo := frontendOptions{getenv: env.Getenv, stdout: env.Stdout, stderr: env.Stderr, workspace: env.Dir, version: env.Version}
	if cfg != nil {
		fo.dotenv, fo.workspace = cfg.DotenvFile, cfg.Workspace
	}
	fe := newFrontend(fo)
	if cfg != nil {
		for _, s := range cfg.Secrets() {
			fe.mask(s)
		}
	}
	fe.logf("pack-publish %s", dash(env.Version))
	if err != nil {
		reportConfigError(fe, err, cfg)
		return exitConfig
	}
	for _, w := range cfg.Warnings {
		fe.problem(pack.Finding{Severity: pack.SeverityWarning, Message: w})
	}
	// Refuse a planted symlink before anything is pushed, not after.
	if err := checkOutputFiles(cfg); err != nil {
		reportConfigError(fe, err, cfg)
		return exitConfig
	}

	res, err := pipeline.Run(ctx, cfg, pipeline.Options{Logf: fe.logf, Getenv: env.Getenv, IDToken: fe.idToken(), Mask: fe.mask, Progress: fe.progress, Notice: fe.notice})
	if err != nil {
		reportConfigError(fe, err, cfg)
		if errors.Is(err, pipeline.ErrConfig) {
			return exitConfig
		}
		return exitFailed
	}
	fe.progress(pipeline.Progress{Phase: "report"})
	// The notices were printed as they arose (Options.Notice).
	for _, d := range res.Deleted {
		fe.notice(d + " was deleted between the compared commits: nothing is published for it")
	}
	for _, p := range res.Packs {
		for _, f := range p.Findings {
			fe.problem(f)
		}
		if p.Status == pipeline.StatusFailed || p.Status == pipeline.StatusConflict {
			fe.problem(pack.Finding{Severity: pack.SeverityError, Rule: fmt.Sprintf("%s %s", p.Path, p.Status), Message: p.Message})
		}
	}
	if res.Interrupted != "" { // once, not once per cancelled pack
		fe.problem(pack.Finding{Severity: pack.SeverityError, Message: res.Interrupted})
	}
	reportPalette(fe, res)
	code := res.ExitCode()
	if err := fe.finish(res); err != nil {
		fe.problem(pack.Finding{Severity: pack.SeverityError, Message: err.Error()})
		code = exitFailed
	}
	if cfg.ReportFile != "" {
		if err := writeReport(cfg.Workspace, cfg.ReportFile, res, env.Version); err != nil {
			fe.problem(pack.Finding{Severity: pack.SeverityError, Message: err.Error()})
			code = exitFailed
		}
	}
	if cfg.CommentFile != "" {
		if err := safefile.WriteFile(cfg.Workspace, cfg.CommentFile, []byte(commentMarkdown(res, env.Version)), 0o644); err != nil {
			fe.problem(pack.Finding{Severity: pack.SeverityError, Message: fmt.Errorf("writing comment-file: %w", err).Error()})
			code = exitFailed
		}
	}
	return code
}

// checkOutputFiles refuses a dotenv-file, report-file or comment-file that
// is a symbolic link, or lies below one in the workspace (contract, Safety).
func checkOutputFiles(cfg *config.Config) error {
	var errs []error
	for _, f := range []struct{ input, path string }{{"dotenv-file", cfg.DotenvFile}, {"report-file", cfg.ReportFile}, {"comment-file", cfg.CommentFile}} {
		if f.path == "" {
			continue
		}
		if err := safefile.Check(cfg.Workspace, f.path); err != nil {
			errs = append(errs, fmt.Errorf("input %s: %w", f.input, err))
		}
	}
	return errors.Join(errs...)
}

// reportConfigError prints each problem of an errors.Join on its own line
// (but keeps an error wrapping two, as fmt.Errorf("%w: %w") does, whole).
// On GitHub they also make the step summary, which would otherwise stay
// empty on a run that attempted nothing (exit 2); cfg, when there is one,
// names the secrets to keep out of it.
func reportConfigError(fe frontend, err error, cfg *config.Config) {
	var msgs []string
	for _, e := range splitJoined(err) {
		fe.problem(pack.Finding{Severity: pack.SeverityError, Message: e.Error()})
		msgs = append(msgs, e.Error())
	}
	if g, ok := fe.(*github); ok {
		var secrets redact.Secrets
		if cfg != nil {
			secrets.Add(cfg.Secrets()...)
		}
		g.nothingAttempted(msgs, secrets.String)
	}
}

func splitJoined(err error) []error {
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var msgs []string
	for _, e := range joined.Unwrap() {
		msgs = append(msgs, e.Error())
	}
	if err.Error() != strings.Join(msgs, "\n") {
		return []error{err}
	}
	var out []error
	for _, e := range joined.Unwrap() {
		out = append(out, splitJoined(e)...)
	}
	return out
}

// report is the JSON report: the Result and the version that wrote it.
type report struct {
	Version string `json:"version"`
	*pipeline.Result
}

func writeReport(workspace, path string, res *pipeline.Result, version string) error {
	b, err := json.MarshalIndent(report{Version: dash(version), Result: res}, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding report: %w", err)
	}
	if err := safefile.WriteFile(workspace, path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing report-file: %w", err)
	}
	return nil
}
