package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pack-publish/pack-publish/internal/config"
	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/pipeline"
)

// Exit codes of the contract.
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
// selected pack is pushed, unchanged or dry-run; 1 when any is invalid or
// failed; 2 when the configuration is unusable.
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
	dotenv := ""
	if cfg != nil {
		dotenv = cfg.DotenvFile
	}
	fe := newFrontend(env.Getenv, env.Stdout, dotenv)
	if cfg != nil {
		for _, s := range cfg.Secrets() {
			fe.mask(s)
		}
	}
	if err != nil {
		reportConfigError(fe, err)
		return exitConfig
	}
	for _, w := range cfg.Warnings {
		fe.problem(pack.Finding{Severity: pack.SeverityWarning, Message: w})
	}

	res, err := pipeline.Run(ctx, cfg, pipeline.Options{Logf: fe.logf, Getenv: env.Getenv, IDToken: fe.idToken(), Mask: fe.mask})
	if err != nil {
		reportConfigError(fe, err)
		if errors.Is(err, pipeline.ErrConfig) {
			return exitConfig
		}
		return exitFailed
	}
	for _, n := range res.Notices {
		fe.notice(n)
	}
	for _, d := range res.Deleted {
		fe.notice(d + " was deleted between the compared commits: nothing is published for it")
	}
	for _, p := range res.Packs {
		for _, f := range p.Findings {
			fe.problem(f)
		}
		if p.Status == pipeline.StatusFailed || p.Status == pipeline.StatusConflict {
			fe.problem(pack.Finding{Severity: pack.SeverityError, Rule: p.Path, Message: p.Message})
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
		if err := writeReport(cfg.ReportFile, res); err != nil {
			fe.problem(pack.Finding{Severity: pack.SeverityError, Message: err.Error()})
			code = exitFailed
		}
	}
	return code
}

// reportConfigError prints each joined problem on its own line.
func reportConfigError(fe frontend, err error) {
	var joined interface{ Unwrap() []error }
	errs := []error{err}
	if errors.As(err, &joined) {
		errs = joined.Unwrap()
	}
	for _, e := range errs {
		fe.problem(pack.Finding{Severity: pack.SeverityError, Message: e.Error()})
	}
}

func writeReport(path string, res *pipeline.Result) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing report-file: %w", err)
	}
	return nil
}
