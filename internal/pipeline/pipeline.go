package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/pack-publish/pack-publish/internal/config"
	"github.com/pack-publish/pack-publish/internal/ecr"
	"github.com/pack-publish/pack-publish/internal/git"
	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/publish"
	"github.com/pack-publish/pack-publish/internal/redact"
	"github.com/pack-publish/pack-publish/internal/registry"
)

// ErrConfig marks errors that make the configuration unusable (exit code 2):
// nothing was attempted.
var ErrConfig = errors.New("configuration unusable")

// BasePathCreated is the fixed org.opencontainers.image.created of the
// base-path artifact, so that its digest is stable and a re-run finds it.
const BasePathCreated = "1970-01-01T00:00:00Z"

// Options are the pipeline's seams. The zero value is usable.
type Options struct {
	Logf      func(format string, args ...any) // progress lines; nil discards them
	Getenv    func(string) string              // CI environment; nil reads nothing
	Now       func() time.Time
	UserAgent string
	Retry     publish.RetryPolicy // zero: publish's defaults

	// IDToken returns the CI's OIDC token for an audience (GitHub Actions);
	// nil elsewhere. Used by auth: ecr with role-to-assume.
	IDToken func(ctx context.Context, audience string) (string, error)
	// Mask is called with every secret obtained during the run (OIDC token,
	// STS keys, ECR password) before anything can print it. nil: no-op.
	Mask func(secret string)
	// Timeouts bound each registry, token, STS and ECR request; zero: the
	// registry package's defaults.
	Timeouts registry.Timeouts
	// Progress is called when a phase starts (Done 0) and each time a pack
	// finishes it; the front end groups its log and counts [n/N]. nil: no-op.
	Progress func(Progress)
	// Notice is called with each notice, redacted, when it arises (so that
	// "publishing every pack" comes before the packs, not after them);
	// Result.Notices holds them all as well. nil: no-op.
	Notice func(msg string)
}

// Progress tells where a run is: Phase is "detect", "validate" or
// "publish"; Done of Total packs have finished it.
type Progress struct {
	Phase       string
	Done, Total int
}

func (o *Options) defaults() {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	// Packs are processed in parallel: serialise their log lines.
	var mu sync.Mutex
	logf := o.Logf
	o.Logf = func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logf(format, args...)
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Mask == nil {
		o.Mask = func(string) {}
	}
	if o.Progress == nil {
		o.Progress = func(Progress) {}
	} else {
		progress := o.Progress
		o.Progress = func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			progress(p)
		}
	}
	if o.Notice == nil {
		o.Notice = func(string) {}
	}
	if o.UserAgent == "" {
		o.UserAgent = "pack-publish"
	}
}

// Run selects, validates, archives and publishes packs as cfg says, and
// returns the result of every selected pack. Per-pack problems end up in the
// pack's status; an error (wrapping ErrConfig) is returned only when nothing
// could be attempted: the configuration is unusable, or the pre-flight check
// of the destination failed. An interrupt (ctx) or the timeout input ends
// the run early: packs not finished are StatusCancelled and
// Result.Interrupted says why.
func Run(ctx context.Context, cfg *config.Config, opts Options) (*Result, error) {
	opts.defaults()
	start := opts.Now()
	res := &Result{Destination: destination(cfg)}
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.Timeout, &runTimeout{cfg.Timeout})
		defer cancel()
	}

	// Packs are read through an os.Root of the workspace: the kernel keeps
	// every open inside it, whatever symlinks the repository holds.
	ws, err := os.OpenRoot(cfg.Workspace)
	if err != nil {
		return nil, fmt.Errorf("%w: opening the workspace %s: %w", ErrConfig, cfg.Workspace, err)
	}
	defer ws.Close()
	r := &run{cfg: cfg, opts: opts, ws: ws, git: git.Runner{Dir: cfg.Workspace}, retry: opts.Retry,
		ecrCalls: make(chan struct{}, cfg.Concurrency), answered: make(chan struct{}),
		secrets: &redact.Secrets{}, res: res}
	// The configured secrets are masked by the front end already; every
	// secret obtained from now on is masked as it is added.
	r.secrets.Add(cfg.Secrets()...)
	r.secrets.Mask = opts.Mask

	opts.Progress(Progress{Phase: "detect"})
	dirs, err := r.selectPacks(ctx, ws)
	if err != nil {
		return nil, err
	}
	res.Selected = dirs
	defer r.redactResult()
	if r.tmp, err = os.MkdirTemp("", "pack-publish-"); err != nil {
		return nil, fmt.Errorf("creating a temporary folder: %w", err)
	}
	defer os.RemoveAll(r.tmp)

	items := make([]*item, len(dirs))
	for i, d := range dirs {
		items[i] = &item{dir: d, res: PackResult{Path: d, Findings: []pack.Finding{}}}
	}
	defer func() {
		for _, it := range items {
			it.closeRoot()
		}
	}()
	finish := func() *Result {
		if ctx.Err() != nil {
			res.Interrupted = interrupted(ctx, r.waitingFor)
			for _, it := range items {
				if it.res.Status == "" {
					it.cancelled()
				}
			}
		}
		r.basePathRestored(items)
		for _, it := range items {
			res.Packs = append(res.Packs, it.res)
		}
		if ctx.Err() == nil {
			res.Palette = r.syncPalette(ctx, res.Packs)
		}
		res.Timings.TotalMS = opts.Now().Sub(start).Milliseconds()
		return res
	}

	// Pre-flight: the login (ECR), then the base path, checked (and pushed
	// when missing) while the packs are validated: reachability, TLS,
	// credentials and the right to push there, once for the whole run.
	if err := r.openDestination(ctx); err != nil {
		if ctx.Err() != nil && !errors.Is(err, ErrConfig) {
			return finish(), nil
		}
		// A dry run that cannot read the registry still validates and
		// builds; an unusable configuration stops it all the same.
		if !cfg.DryRun || errors.Is(err, ErrConfig) {
			return nil, r.preflightError(err)
		}
		r.notChecked(err.Error())
	}
	basePath := make(chan error, 1)
	if len(items) > 0 {
		r.waitingFor = r.cfg.Registry
		go func() { basePath <- r.pushBasePath(ctx) }()
	} else {
		basePath <- nil
	}
	r.each(ctx, items, r.counted("validate", len(items), r.validate))
	r.checkSet(items)
	checkFolderNames(items)
	if r.cfg.CheckVersionIncrement && res.BaseSHA != "" {
		r.each(ctx, items, func(ctx context.Context, it *item) { r.checkBump(ctx, it, res.BaseSHA) })
	}
	// No tag is looked up before the base path has answered: wrong
	// credentials then meet the registry once, not once per pack.
	if err := <-basePath; err != nil {
		if ctx.Err() != nil {
			return finish(), nil
		}
		if !cfg.DryRun {
			return nil, r.preflightError(err)
		}
		r.notChecked(err.Error())
	}
	r.waitingFor = ""
	lookCtx, stopLookups := context.WithCancel(ctx)
	defer stopLookups()
	waitLookups := r.lookAhead(lookCtx, items)
	defer waitLookups()
	r.commitTimes(ctx, items)
	var toPublish []*item
	for _, it := range items {
		if it.valid() && it.res.Status == "" {
			toPublish = append(toPublish, it)
		}
	}
	r.each(ctx, toPublish, r.counted("publish", len(toPublish), r.publish))
	return finish(), nil
}

// runTimeout is the cause of the context when the timeout input expires.
type runTimeout struct{ d time.Duration }

func (e *runTimeout) Error() string {
	return fmt.Sprintf("the run timed out after %s (input timeout)", e.d)
}

// interrupted says why ctx ended, for Result.Interrupted.
func interrupted(ctx context.Context, waitingFor string) string {
	var msg string
	var rt *runTimeout
	if errors.As(context.Cause(ctx), &rt) {
		msg = rt.Error()
	} else {
		msg = "the run was interrupted"
	}
	if waitingFor != "" {
		msg += fmt.Sprintf(" while waiting for the registry %s to answer its first request", waitingFor)
	}
	return msg + "; packs not finished are cancelled: nothing points at partial content, run again to finish"
}

// counted announces a phase of total packs to opts.Progress and wraps fn
// to count each pack that finishes it.
func (r *run) counted(phase string, total int, fn func(context.Context, *item)) func(context.Context, *item) {
	r.opts.Progress(Progress{Phase: phase, Total: total})
	var done atomic.Int64
	return func(ctx context.Context, it *item) {
		fn(ctx, it)
		r.opts.Progress(Progress{Phase: phase, Done: int(done.Add(1)), Total: total})
	}
}

// redactResult removes every secret of the run from the packs' messages,
// whichever way an error reached them. Notices need not be: notice
// redacts each one before it is recorded or handed on.
func (r *run) redactResult() {
	for i := range r.res.Packs {
		r.res.Packs[i].Message = r.secrets.String(r.res.Packs[i].Message)
	}
}

// run holds what the packs of one run share.
type run struct {
	cfg    *config.Config
	opts   Options
	res    *Result // the run's result, filled in by its steps
	noteMu sync.Mutex
	ws     *os.Root // the workspace
	git    git.Runner
	tmp    string
	client *auth.Client // registry mode
	layout *oci.Store   // oci-layout mode
	ecr    *ecr.Session // auth: ecr
	// secrets holds every secret of the run (basic password, OIDC token,
	// STS keys, ECR token and password): messages are redacted with it.
	secrets *redact.Secrets
	retry   publish.RetryPolicy
	times   map[string]time.Time // last commit time per pack folder
	// ecrCalls bounds the ECR API calls in flight to cfg.Concurrency.
	ecrCalls chan struct{}
	// mountFrom is the base-path repository once its artifact is there:
	// packs mount the config blob from it.
	mountFrom string
	// configs puts the config blob into each pack repository once, however
	// many versions of the pack go there.
	configs publish.Configs
	// answered is closed once the registry has answered a first request.
	answered     chan struct{}
	answeredOnce sync.Once
	// waitingFor is the registry host while the pre-flight request is out.
	waitingFor string
	// credentials: the client sends credentials (for hints).
	credentials bool
}

// each runs fn on every item, cfg.Concurrency at a time.
func (r *run) each(ctx context.Context, items []*item, fn func(context.Context, *item)) {
	var g errgroup.Group
	g.SetLimit(r.cfg.Concurrency)
	for _, it := range items {
		g.Go(func() error { fn(ctx, it); return nil })
	}
	_ = g.Wait()
}

// notice records a notice in the result and hands it to Options.Notice at
// once, both redacted.
func (r *run) notice(msg string) {
	msg = r.secrets.String(msg)
	r.noteMu.Lock()
	defer r.noteMu.Unlock()
	r.res.Notices = append(r.res.Notices, msg)
	r.opts.Notice(msg)
}
