package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/pack-publish/pack-publish/internal/changes"
	"github.com/pack-publish/pack-publish/internal/config"
	"github.com/pack-publish/pack-publish/internal/ecr"
	"github.com/pack-publish/pack-publish/internal/git"
	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/publish"
	"github.com/pack-publish/pack-publish/internal/redact"
	"github.com/pack-publish/pack-publish/internal/registry"
	"github.com/pack-publish/pack-publish/internal/safefile"
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
	opts.Progress(Progress{Phase: "detect"})
	dirs, err := selectPacks(ctx, cfg, opts, ws, res)
	if err != nil {
		return nil, err
	}
	res.Selected = dirs

	r := &run{cfg: cfg, opts: opts, ws: ws, git: git.Runner{Dir: cfg.Workspace}, retry: opts.Retry,
		ecrCalls: make(chan struct{}, cfg.Concurrency), answered: make(chan struct{}),
		secrets: &redact.Secrets{}}
	// The configured secrets are masked by the front end already; every
	// secret obtained from now on is masked as it is added.
	r.secrets.Add(cfg.Secrets()...)
	r.secrets.Mask = opts.Mask
	defer r.redactResult(res)
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
		r.basePathRestored(res, items)
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
		r.notChecked(res, r.secrets.Error(err).Error())
	}
	basePath := make(chan error, 1)
	if len(items) > 0 {
		r.waitingFor = r.cfg.Registry
		go func() { basePath <- r.pushBasePath(ctx, res) }()
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
		r.notChecked(res, r.secrets.Error(err).Error())
	}
	r.waitingFor = ""
	lookCtx, stopLookups := context.WithCancel(ctx)
	defer stopLookups()
	waitLookups := r.lookAhead(lookCtx, items)
	defer waitLookups()
	r.commitTimes(ctx, items, res)
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

// PreflightError is a failed pre-flight check of the destination: nothing
// was pushed. It is a configuration error (errors.Is(err, ErrConfig), exit
// 2) with one message that names the destination, the cause and the fix.
type PreflightError struct {
	Destination string
	Err         error
}

func (e *PreflightError) Error() string {
	return fmt.Sprintf("the pre-flight check of %s failed, nothing was pushed: %v", e.Destination, e.Err)
}
func (e *PreflightError) Unwrap() error        { return e.Err }
func (e *PreflightError) Is(target error) bool { return target == ErrConfig }

// preflightError makes a failed pre-flight check a configuration error.
func (r *run) preflightError(err error) error {
	if errors.Is(err, ErrConfig) {
		return r.secrets.Error(err)
	}
	return &PreflightError{Destination: r.cfg.Registry, Err: r.secrets.Error(err)}
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

// redactResult removes every secret of the run from the messages and
// notices of res, whichever way an error reached them.
func (r *run) redactResult(res *Result) {
	for i := range res.Packs {
		res.Packs[i].Message = r.secrets.String(res.Packs[i].Message)
	}
	for i := range res.Notices {
		res.Notices[i] = r.secrets.String(res.Notices[i])
	}
}

// run holds what the packs of one run share.
type run struct {
	cfg    *config.Config
	opts   Options
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

// notChecked makes a dry run stop reading the registry, and says why: its
// packs are then dry-run whatever the registry holds.
func (r *run) notChecked(res *Result, why string) {
	r.client, r.ecr = nil, nil
	res.Destination = "dry run (nothing written; the registry was not checked)"
	res.Notices = append(res.Notices, "dry run: the registry was not checked ("+why+"), so a conflict with a published "+
		"version cannot show here; every valid pack is dry-run")
}

// openDestination opens the registry or the OCI layout. A dry run opens the
// registry too, to read it, when it can: with no registry, or with a
// username whose password is empty (secrets are withheld from pull requests
// from forks), it reads nothing, and a notice says so.
func (r *run) openDestination(ctx context.Context) error {
	cfg := r.cfg
	switch {
	case cfg.DryRun && cfg.Registry == "":
		return &notCheckedError{"no registry is set"}
	case cfg.DryRun && cfg.Username != "" && cfg.Password == "":
		return &notCheckedError{"username is set but password is empty, as in pull requests from forks, which get no secrets"}
	case cfg.DryRun && cfg.OCILayout != "":
		return &notCheckedError{"oci-layout is set"}
	case cfg.OCILayout != "":
		// Repository content cannot redirect the layout (contract, Safety).
		if err := safefile.CheckDir(cfg.Workspace, cfg.OCILayout); err != nil {
			return fmt.Errorf("%w: input oci-layout: %w", ErrConfig, err)
		}
		store, err := oci.New(cfg.OCILayout)
		if err != nil {
			return fmt.Errorf("%w: opening oci-layout %s: %w", ErrConfig, cfg.OCILayout, err)
		}
		r.layout = store
		return nil
	}
	var cred auth.CredentialFunc
	if cfg.Auth == "ecr" {
		var loginErr error
		r.ecr, loginErr = ecr.Login(ctx, ecr.Options{
			Registry: cfg.Registry, Region: cfg.AWSRegion, RoleToAssume: cfg.RoleToAssume, RoleSessionName: cfg.RoleSessionName,
			Audience: cfg.Audience, WebIdentityTokenFile: cfg.WebIdentityTokenFile,
			IDToken: r.opts.IDToken, Getenv: r.opts.Getenv, Secrets: r.secrets,
			HTTPClient: registry.NewHTTPClient(r.opts.Timeouts),
		})
		if loginErr == nil {
			cred = auth.StaticCredential(cfg.Registry, auth.Credential{Username: r.ecr.Username, Password: r.ecr.Password})
			r.opts.Logf("logged in to ECR %s as %s (account %s, region %s)", cfg.Registry, r.ecr.Username, r.ecr.RegistryID, r.ecr.Region)
		} else {
			r.ecr = nil
			// The login is the first step of the pre-flight check: nothing
			// is attempted (Run makes it a PreflightError).
			return fmt.Errorf("logging in to ECR %s: %w", cfg.Registry, loginErr)
		}
	} else {
		var err error
		cred, _, err = registry.Credentials(ctx, registry.AuthOptions{
			Mode: cfg.Auth, Host: cfg.Registry, Username: cfg.Username, Password: cfg.Password, DockerConfig: cfg.DockerConfig,
			Getenv: r.opts.Getenv,
		})
		if err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	r.credentials = cred != nil
	var err error
	r.client, err = registry.NewClient(registry.Options{
		PlainHTTP: cfg.PlainHTTP, Insecure: cfg.Insecure, Host: cfg.Registry, CAFile: cfg.CAFile, Credential: cred, UserAgent: r.opts.UserAgent,
		Timeouts: r.opts.Timeouts,
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// notCheckedError is why a dry run does not read the registry; it is not
// a failure.
type notCheckedError struct{ why string }

func (e *notCheckedError) Error() string { return e.why }

func destination(cfg *config.Config) string {
	switch {
	case cfg.DryRun && cfg.Registry != "":
		return "dry run against " + path.Join(cfg.Registry, cfg.BasePath) + " (read only, nothing written)"
	case cfg.DryRun:
		return "dry run (nothing written)"
	case cfg.OCILayout != "":
		return "OCI layout " + displayPath(cfg, cfg.OCILayout)
	}
	return path.Join(cfg.Registry, cfg.BasePath)
}

// displayPath shows p relative to the workspace when it lies inside it.
func displayPath(cfg *config.Config, p string) string {
	if rel, err := filepath.Rel(cfg.Workspace, p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return p
}

// selectPacks decides which pack folders this run handles: the packs input,
// every pack (detect: all), or the packs changed between two commits.
func selectPacks(ctx context.Context, cfg *config.Config, opts Options, ws *os.Root, res *Result) ([]string, error) {
	fsys := ws.FS()
	if len(cfg.Packs) > 0 {
		var errs []error
		for _, d := range cfg.Packs {
			if link := throughLink(ws, d); link != "" {
				errs = append(errs, fmt.Errorf("%w: input packs: %q goes through the symlink %s, which is not followed "+
					"(it could lead outside the workspace); give the real folder", ErrConfig, d, link))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		if err := checkFolders(fsys, "packs", cfg.Packs); err != nil {
			return nil, err
		}
		return cfg.Packs, nil
	}
	if err := checkFolders(fsys, "packs-dir", cfg.PacksDirs); err != nil {
		return nil, err
	}
	if cfg.Detect == "changed" {
		rng, err := changes.ResolveRange(opts.Getenv, cfg.Base, cfg.Head)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		if rng.AllReason == "" {
			ch, err := changes.Detect(ctx, changes.Options{Dir: cfg.Workspace, Roots: cfg.PacksDirs, Range: rng, Fetch: true})
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrConfig, err)
			}
			res.Notices = append(res.Notices, ch.Notices...)
			if !ch.All {
				res.BaseSHA, res.HeadSHA, res.Deleted = ch.BaseSHA, ch.HeadSHA, ch.Deleted
				if ch.Changed == nil {
					return []string{}, nil
				}
				return ch.Changed, nil
			}
		} else {
			res.Notices = append(res.Notices, "publishing every pack: "+rng.AllReason)
		}
	}
	dirs, links, err := pack.DiscoverLinks(ctx, fsys, cfg.PacksDirs)
	if err != nil {
		return nil, fmt.Errorf("%w: input packs-dir: %w", ErrConfig, err)
	}
	if len(links) > 0 {
		res.Notices = append(res.Notices, fmt.Sprintf("not following the symlink(s) %s to a pack or out of the workspace: symlinked folders are never read; "+
			"commit the real folder", strings.Join(links, ", ")))
	}
	return dirs, nil
}

// commitTimes reads, in one pass over the history, when each valid pack
// folder was last committed, and says in a notice of res which packs get
// another created time, and why: their digests are then not reproducible
// from the commit alone.
func (r *run) commitTimes(ctx context.Context, items []*item, res *Result) {
	var dirs []string
	for _, it := range items {
		if it.valid() {
			dirs = append(dirs, it.dir)
		}
	}
	if len(dirs) == 0 {
		return
	}
	times, err := r.git.LastCommitTimes(ctx, dirs)
	if err != nil {
		if ctx.Err() == nil {
			res.Notices = append(res.Notices, fmt.Sprintf("the packs' created times cannot be read from git (%v), so they are %s; "+
				"check out the repository with its history, owned by the user that runs pack-publish or trusted with git's safe.directory", err, r.fallbackTime()))
		}
		return
	}
	r.times = times
	var missing []string
	for _, d := range dirs {
		if _, ok := times[d]; !ok {
			missing = append(missing, d)
		}
	}
	if len(missing) > 0 {
		res.Notices = append(res.Notices, fmt.Sprintf("no commit touches %s (not committed, or a shallow clone?), so the created time is %s; commit the pack to make its digest reproducible",
			strings.Join(missing, ", "), r.fallbackTime()))
	}
}

// fallbackTime says what created is without a commit time.
func (r *run) fallbackTime() string {
	if s := r.opts.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return "SOURCE_DATE_EPOCH (" + s + ")"
		}
	}
	return "the time of this run, and the digests change on every run"
}

// created is the org.opencontainers.image.created of a pack: the committer
// time of the last commit that touched the pack folder, else
// SOURCE_DATE_EPOCH, else now.
func (r *run) created(dir string) string {
	if t, ok := r.times[dir]; ok {
		return t.UTC().Format(time.RFC3339)
	}
	if s := r.opts.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(sec, 0).UTC().Format(time.RFC3339)
		}
	}
	return r.opts.Now().UTC().Format(time.RFC3339)
}

// throughLink returns the first component of the workspace-relative folder
// dir that is a symlink, or "".
func throughLink(ws *os.Root, dir string) string {
	for i := 0; i <= len(dir); i++ {
		if i < len(dir) && dir[i] != '/' || dir[:i] == "." {
			continue
		}
		if info, err := ws.Lstat(dir[:i]); err == nil && info.Mode()&fs.ModeSymlink != 0 {
			return dir[:i]
		}
	}
	return ""
}

// openPack opens the pack folder dir (workspace-relative) as its own
// os.Root. A folder that goes through a symlink is refused: the packs input
// and change detection name folders, and a committed link must not make a
// folder outside the workspace (or another pack) the pack.
func openPack(ws *os.Root, dir string) (*os.Root, error) {
	if !fs.ValidPath(dir) {
		return nil, fmt.Errorf("%q is not a path inside the workspace", dir)
	}
	if link := throughLink(ws, dir); link != "" {
		return nil, fmt.Errorf("the pack folder goes through the symlink %s, which is not followed (it could lead outside the workspace)", link)
	}
	return ws.OpenRoot(dir)
}

// checkFolders fails with ErrConfig, naming the input, when a folder of
// dirs does not exist or is no folder: a typo must not turn into "pack.json
// is missing" or into a run that finds nothing. A near sibling is suggested.
func checkFolders(fsys fs.FS, input string, dirs []string) error {
	var errs []error
	for _, d := range dirs {
		info, err := fs.Stat(fsys, d)
		switch {
		case err == nil && info.IsDir():
			continue
		case err == nil:
			errs = append(errs, fmt.Errorf("%w: input %s: %q is a file, not a folder; give the folder that holds pack.json", ErrConfig, input, d))
			continue
		case !errors.Is(err, fs.ErrNotExist):
			errs = append(errs, fmt.Errorf("%w: input %s: reading %q: %w", ErrConfig, input, d, err))
			continue
		}
		msg := fmt.Sprintf("input %s: the folder %q does not exist (paths are relative to the workspace)", input, d)
		if strings.ContainsAny(d, "*?[") {
			msg += "; patterns are not expanded: list the folders"
		} else if near := nearSibling(fsys, d); near != "" {
			msg += fmt.Sprintf("; did you mean %q?", near)
		}
		errs = append(errs, fmt.Errorf("%w: %s", ErrConfig, msg))
	}
	return errors.Join(errs...)
}

// nearSibling returns the folder next to a missing path d whose name is
// closest to d's, or "".
func nearSibling(fsys fs.FS, d string) string {
	parent := path.Dir(d)
	entries, err := fs.ReadDir(fsys, parent)
	if err != nil {
		if parent == "." {
			return ""
		}
		if p := nearSibling(fsys, parent); p != "" {
			return path.Join(p, path.Base(d)) // the parent was misspelt
		}
		return ""
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if s := config.Suggest(path.Base(d), names); s != "" {
		return path.Join(parent, s)
	}
	return ""
}
