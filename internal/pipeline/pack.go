package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/pack-publish/pack-publish/internal/archive"
	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/publish"
	"github.com/pack-publish/pack-publish/internal/registry"
	"github.com/pack-publish/pack-publish/internal/textsafe"
)

// item is one selected pack on its way through the pipeline.
type item struct {
	dir     string // workspace-relative, slash-separated
	res     PackResult
	pack    *pack.Pack
	fsys    fs.FS    // root.FS(): reads stay inside the pack folder
	root    *os.Root // the pack folder; closed when the run ends
	entries []archive.Entry
	ahead   chan ahead         // set by lookAhead
	existed bool               // its tag was in the registry before this run
	repo    *remote.Repository // set by openRepositories, sharing a token with its group
}

func (it *item) valid() bool {
	return it.res.Status != StatusInvalid && it.res.Status != StatusCancelled
}

// cancelledMessage is the message of every pack the run did not finish;
// Result.Interrupted says why, once.
const cancelledMessage = "not finished: the run was interrupted or timed out; nothing points at partial content, run again to finish"

// cancelled marks the pack as not finished.
func (it *item) cancelled() {
	it.res.Status, it.res.Message = StatusCancelled, cancelledMessage
}

// invalid marks the pack invalid, summing up the findings that make it so
// in the message.
func (it *item) invalid(strict bool) {
	it.res.Status = StatusInvalid
	var failing []pack.Finding
	for _, f := range it.res.Findings {
		if pack.HasErrors([]pack.Finding{f}, strict) {
			failing = append(failing, f)
		}
	}
	if len(failing) == 0 { // no pack.json: Load reported why
		failing = it.res.Findings
	}
	if len(failing) == 0 {
		it.res.Message = "invalid"
		return
	}
	it.res.Message = fmt.Sprintf("%d problem(s); first: %s: %s", len(failing), failing[0].File, failing[0].Message)
}

// addFindings records findings of the pack and marks it invalid when they
// fail it.
func (it *item) addFindings(findings []pack.Finding, strict bool) {
	it.res.Findings = append(it.res.Findings, findings...)
	if it.valid() && pack.HasErrors(findings, strict) {
		it.invalid(strict)
	}
}

// validate loads pack.json and checks the pack and every file it would archive.
func (r *run) validate(ctx context.Context, it *item) {
	start := time.Now()
	defer func() { it.res.Timings.ValidateMS = time.Since(start).Milliseconds() }()

	root, err := openPack(r.ws, it.dir)
	if err != nil {
		it.res.Findings = append(it.res.Findings, pack.NewFinding("F1", it.dir, fmt.Sprintf("reading the pack folder: %v", err),
			"give (or commit) the real folder, not a link to it"))
		it.invalid(r.cfg.Strict)
		return
	}
	it.root, it.fsys = root, root.FS()
	p, findings := pack.Load(ctx, it.fsys, pack.Options{Ignore: r.cfg.IgnoreRules})
	entries, archFindings, err := archive.Scan(ctx, it.fsys, archive.Options{})
	findings = append(findings, r.cfg.IgnoreRules.Keep(archFindings)...)
	if err != nil && len(findings) == 0 {
		findings = append(findings, pack.NewFinding("F1", ".", fmt.Sprintf("reading the pack folder: %v", err), "check that the folder exists and is readable"))
	}
	for i := range findings {
		findings[i].File = path.Join(it.dir, findings[i].File)
	}
	it.pack, it.entries = p, entries
	if p != nil {
		it.res.Name, it.res.Version = p.Name, p.Version
	}
	if ctx.Err() != nil { // findings made of "context canceled" would mislead
		it.cancelled()
		return
	}
	it.res.Findings = append(it.res.Findings, findings...)
	if p == nil || pack.HasErrors(findings, r.cfg.Strict) {
		it.invalid(r.cfg.Strict)
	}
	if !it.valid() {
		it.closeRoot() // never archived
	}
}

// closeRoot closes the pack folder once it is no longer read.
func (it *item) closeRoot() {
	if it.root != nil {
		it.root.Close()
		it.root = nil
	}
}

// checkSet applies the rules across the selected packs (pack.CheckSet: N6,
// N7, N8).
func (r *run) checkSet(items []*item) {
	members := make([]pack.Member, len(items))
	for i, it := range items {
		members[i] = pack.Member{Dir: it.dir, Pack: it.pack, Valid: it.valid()}
	}
	for i, findings := range pack.CheckSet(members, r.cfg.IgnoreRules) {
		items[i].addFindings(findings, r.cfg.Strict)
	}
}

// ensureRepository creates an ECR repository when it is missing and the
// create-repositories input allows it.
func (r *run) ensureRepository(ctx context.Context, name string) error {
	if !r.cfg.CreateRepositories {
		return nil
	}
	// ECR's API is rate-limited per account: concurrency calls at a time,
	// even while the tag lookups run wider.
	select {
	case r.ecrCalls <- struct{}{}:
		defer func() { <-r.ecrCalls }()
	case <-ctx.Done():
		return ctx.Err()
	}
	created, err := r.ecr.EnsureRepositories(ctx, []string{name})
	if err != nil {
		return err
	}
	for _, c := range created {
		r.opts.Logf("created the ECR repository %s", c)
	}
	return nil
}

// checkFolderNames makes a pack invalid (A6) when a folder in its path has
// a comma or leading or trailing white space: the packs input, which a
// fan-out job fills from the matrix output, splits on commas and trims, so
// it could not name the folder (security.md I5).
// Control characters and invalid UTF-8 are refused as in the names inside
// a pack.
func checkFolderNames(items []*item) {
	for _, it := range items {
		for _, seg := range strings.Split(it.dir, "/") {
			var msg string
			switch {
			case textsafe.Line(seg) != seg:
				msg = fmt.Sprintf("the folder name %q has control characters or invalid UTF-8", seg)
			case strings.Contains(seg, ",") || strings.TrimSpace(seg) != seg:
				msg = fmt.Sprintf("the folder name %q has a comma or leading or trailing spaces, which the packs input (and so a fan-out matrix) cannot pass", seg)
			default:
				continue
			}
			it.addFindings([]pack.Finding{{Rule: "A6", Severity: pack.SeverityError, File: it.dir, Message: msg,
				Fix: "rename the folder to printable UTF-8 without commas and surrounding spaces"}}, false)
			break
		}
	}
}

// checkBump enforces check-version-increment (pack.CheckBump: B1, B2): a
// pack whose content changed since base must carry a higher version than
// it had there.
func (r *run) checkBump(ctx context.Context, it *item, base string) {
	if !it.valid() || it.pack == nil {
		return
	}
	old, ok, err := r.git.Show(ctx, base, path.Join(it.dir, "pack.json"))
	if err != nil {
		if ctx.Err() == nil {
			it.addFindings(r.cfg.IgnoreRules.Keep([]pack.Finding{pack.NewFinding("B2", path.Join(it.dir, "pack.json"),
				fmt.Sprintf("the version at %.12s cannot be read (%v), so the increment is not checked", base, err),
				"check that the base commit is in the clone (fetch-depth: 0)")}), r.cfg.Strict)
		}
		return
	}
	if !ok {
		return // a new pack (or one moved here) passes
	}
	it.addFindings(pack.CheckBump(it.dir, it.pack, old, base, r.cfg.IgnoreRules), r.cfg.Strict)
}

// pushBasePath pushes the base-path empty artifact once, before any pack,
// when a registry (not ECR, not a layout, not a dry run) gets packs.
func (r *run) pushBasePath(ctx context.Context, res *Result) error {
	if r.client == nil {
		return nil
	}
	repoPath, err := registry.BasePath(r.cfg.BasePath)
	if err != nil {
		return err
	}
	if r.ecr != nil { // ECR: the repositories are created instead
		if r.cfg.DryRun { // the login was the check; nothing is created
			return nil
		}
		return r.ensureRepository(ctx, repoPath)
	}
	repo, err := registry.Repository(r.client, r.cfg.Registry, repoPath, r.cfg.PlainHTTP)
	if err != nil {
		return err
	}
	if r.cfg.DryRun { // read only: a missing artifact is what a real run would push
		_, err = r.retry.Do(ctx, func(ctx context.Context) error {
			_, _, err := publish.HasBasePath(ctx, repo, BasePathCreated)
			r.registryAnswered()
			return err
		})
		if err != nil {
			return r.withHint(fmt.Errorf("reading the base-path artifact of %s/%s: %w", r.cfg.Registry, repoPath, err))
		}
		return nil
	}
	var (
		desc   ocispec.Descriptor
		pushed bool
	)
	_, err = r.retry.Do(ctx, func(ctx context.Context) error {
		var err error
		desc, pushed, err = publish.BasePath(ctx, repo, BasePathCreated)
		r.registryAnswered()
		return err
	})
	if err != nil {
		return r.withHint(fmt.Errorf("pushing the base-path artifact to %s/%s: %w", r.cfg.Registry, repoPath, err))
	}
	res.BasePath = &Pushed{Reference: r.cfg.Registry + "/" + repoPath, Digest: desc.Digest.String(), Pushed: pushed}
	r.mountFrom = repoPath // it holds the config blob every pack's manifest names
	if pushed {
		r.opts.Logf("pushed the base-path artifact %s@%s", res.BasePath.Reference, desc.Digest)
	}
	return nil
}

// publish archives one valid pack and pushes it (or, in a dry run, looks
// its tag up and reports what a real run would do; without the registry,
// computes the manifest it would push).
func (r *run) publish(ctx context.Context, it *item) {
	name, version := it.res.Name, it.res.Version
	it.res.Reference = r.reference(name, version)
	if ctx.Err() != nil {
		it.cancelled()
		return
	}
	start := time.Now()
	layer, err := r.build(ctx, it)
	it.res.Timings.ArchiveMS = time.Since(start).Milliseconds()
	if err != nil {
		if ctx.Err() != nil {
			it.cancelled()
			return
		}
		it.res.Status, it.res.Message = StatusFailed, err.Error()
		return
	}
	it.res.Size, it.res.LayerDigest = layer.Size, layer.Digest.String()
	it.res.Created = r.created(it.dir)
	// The tag lookup, started by lookAhead, has overlapped the archiving.
	var a ahead
	if it.ahead != nil {
		a = <-it.ahead
	} else {
		a.dst, a.tag, a.destErr = r.destination(ctx, it)
		a.lookupErr = errNotLookedUp
	}
	dst, tag := a.dst, a.tag
	if err := a.destErr; err != nil {
		if ctx.Err() != nil {
			it.cancelled()
			return
		}
		it.res.Status, it.res.Message = StatusFailed, r.withHint(err).Error()
		return
	}

	start = time.Now()
	defer func() {
		it.res.Timings.PublishMS = time.Since(start).Milliseconds()
		r.opts.Logf("%s: %s %s %s", it.dir, it.res.Status, it.res.Reference, it.res.Digest)
	}()

	opts := publish.Options{
		Title:           archive.FileName(name, version),
		Created:         it.res.Created,
		Overwrite:       r.cfg.Overwrite,
		MountConfigFrom: r.mountFrom,
		Configs:         &r.configs,
		DryRun:          r.cfg.DryRun,
		// Only when the digests differ: our files are read back from our own
		// archive then, rather than hashed while every archive is written.
		SameFiles: func(ctx context.Context, existing io.Reader) ([]string, error) {
			theirs, err := archive.ReadContents(existing, archive.Options{})
			if err != nil {
				return nil, fmt.Errorf("reading the published archive: %w", err)
			}
			rc, err := layer.Open()
			if err != nil {
				return nil, fmt.Errorf("reading our archive: %w", err)
			}
			defer rc.Close()
			ours, err := archive.ReadContents(rc, archive.Options{})
			if err != nil {
				return nil, fmt.Errorf("reading our archive: %w", err)
			}
			return archive.Diff(ours, theirs), nil
		},
	}
	if dst == nil { // a dry run that does not read the registry
		_, desc, err := publish.Manifest(ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: layer.Digest, Size: layer.Size,
			Annotations: map[string]string{ocispec.AnnotationTitle: opts.Title}}, opts.Created)
		if err != nil {
			it.res.Status, it.res.Message = StatusFailed, err.Error()
			return
		}
		it.res.Status, it.res.Digest, it.res.Message = StatusDryRun, desc.Digest.String(), "built and validated, not pushed (dry run)"
		return
	}

	var out publish.Outcome
	first := true
	attempts, err := r.retry.Do(ctx, func(ctx context.Context) error {
		o := opts
		if first && a.lookupErr == nil { // later attempts look again
			o.Published, o.LookedUp = a.published, true
		}
		first = false
		var err error
		out, err = publish.Pack(ctx, dst, tag, layer, o)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			it.cancelled()
			return
		}
		var conflict *publish.ConflictError
		if errors.As(err, &conflict) {
			it.existed = true
			it.res.Status, it.res.Message = StatusConflict, conflict.Error()+r.immutableNote(ctx, dst)
			it.res.Digest, it.res.BuiltDigest = conflict.Existing.String(), conflict.Ours.String()
			return
		}
		if attempts > 1 {
			err = fmt.Errorf("%w (after %d attempts)", err, attempts)
		}
		it.res.Status, it.res.Message = StatusFailed, r.withHint(err).Error()
		return
	}
	it.res.Status, it.res.Digest, it.res.Message = Status(out.Status), out.Digest.String(), out.Message
	it.existed = out.Status == publish.Unchanged || out.Replaced
}

// basePathRestored is the notice of a run that had to push the base-path
// artifact although packs were already published below it: something
// deleted it, most likely a garbage collection of untagged manifests.
func (r *run) basePathRestored(res *Result, items []*item) {
	if res.BasePath == nil || !res.BasePath.Pushed {
		return
	}
	for _, it := range items {
		if it.existed {
			res.Notices = append(res.Notices, fmt.Sprintf("the base-path artifact %s@%s was missing although packs were already published below it (%s), "+
				"and has been pushed again: Palette needs it to list the packs. A garbage collection that deletes untagged manifests removes it "+
				"(on zot it takes every pack below with it); keep it with the settings in README, \"Registry settings that keep packs\"",
				res.BasePath.Reference, res.BasePath.Digest, it.res.Reference))
			return
		}
	}
}

// immutableNote explains, on ECR, that a repository with IMMUTABLE tags
// cannot take the overwrite fix either.
func (r *run) immutableNote(ctx context.Context, dst oras.Target) string {
	repo, ok := dst.(*remote.Repository)
	if r.ecr == nil || !ok {
		return ""
	}
	if imm, err := r.ecr.TagImmutable(ctx, repo.Reference.Repository); err == nil && imm {
		return "; the ECR repository has IMMUTABLE tags, so overwrite cannot replace the tag either: bump version"
	}
	return ""
}

// ahead is where a pack goes and what its tag holds, found by lookAhead
// before the pack's turn comes.
type ahead struct {
	dst       oras.Target
	tag       string
	destErr   error
	published *publish.Published
	lookupErr error // publish.Pack looks again when set
}

var errNotLookedUp = errors.New("not looked up")

// lookAhead finds every valid pack's destination and starts its tag lookup,
// 4 x concurrency at a time, while the commit times are read and the packs
// are archived. On a re-run these lookups are the only registry requests,
// bound by latency rather than bandwidth, so they get more of them in
// flight than the uploads do; a pack's turn then rarely waits for one.
//
// On a registry the lookups wait for a first answer, to the base-path check
// (made while the packs were validated) or to the first lookup: it tells the
// client how the registry authenticates, so basic credentials are then sent
// up front rather than after a 401 each.
// On a token registry the repositories share a token per group of
// registry.TokenGroup (see openRepositories), and the rest of each group
// waits for its first lookup, which fetches the token: each group meets one
// 401.
//
// The returned wait blocks until every lookup has ended.
func (r *run) lookAhead(ctx context.Context, items []*item) (wait func()) {
	var wg sync.WaitGroup
	if r.client == nil && r.layout == nil { // a dry run that does not read the registry
		return wg.Wait
	}
	var valid []*item
	for _, it := range items {
		if it.valid() && it.res.Status == "" {
			valid = append(valid, it)
		}
	}
	groups := r.openRepositories(valid)
	sem := make(chan struct{}, 4*r.cfg.Concurrency)
	if r.client == nil {
		r.registryAnswered()
	}
	led := map[int]chan struct{}{} // per token group: closed when its first lookup has ended
	for i, it := range valid {
		it.ahead = make(chan ahead, 1)
		g := groups[i]
		groupLed, seen := led[g]
		leader := !seen
		if leader {
			groupLed = make(chan struct{})
			led[g] = groupLed
		}
		wg.Go(func() {
			if leader {
				defer close(groupLed)
			}
			if i > 0 {
				waitClosed(ctx, r.answered)
				if !leader && r.tokenAuth(ctx) {
					waitClosed(ctx, groupLed)
				}
			}
			var a ahead
			select {
			case <-ctx.Done():
				a.destErr = ctx.Err()
			case sem <- struct{}{}:
				defer func() { <-sem }()
				a.dst, a.tag, a.destErr = r.destination(ctx, it)
				a.lookupErr = errNotLookedUp
				if a.destErr == nil {
					a.published, a.lookupErr = publish.Lookup(ctx, a.dst, a.tag)
				}
			}
			it.ahead <- a
			if i == 0 {
				r.registryAnswered()
			}
		})
	}
	return wg.Wait
}

// registryAnswered records that the client has had an answer from the
// registry, and so knows how it authenticates.
func (r *run) registryAnswered() {
	r.answeredOnce.Do(func() { close(r.answered) })
}

// waitClosed blocks until ch is closed or ctx is done.
func waitClosed(ctx context.Context, ch <-chan struct{}) {
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// tokenAuth reports whether the registry has asked for bearer tokens.
func (r *run) tokenAuth(ctx context.Context) bool {
	if r.client == nil {
		return false
	}
	scheme, err := r.client.Cache.GetScheme(ctx, r.cfg.Registry)
	return err == nil && scheme == auth.SchemeBearer
}

// openRepositories opens the registry repositories of items, sharing a
// token per group of registry.TokenGroup, and returns each item's group
// (its own, -1 upwards, where it has none: an OCI layout, or a name that
// cannot be a repository, which destination then reports).
func (r *run) openRepositories(items []*item) (groups []int) {
	groups = make([]int, len(items))
	var (
		paths []string
		owner []int
	)
	for i := range groups {
		groups[i] = -1 - i
	}
	if r.client == nil {
		return groups
	}
	for i, it := range items {
		if p, err := registry.PackPath(r.cfg.BasePath, it.res.Name); err == nil {
			paths, owner = append(paths, p), append(owner, i)
		}
	}
	var shared []string // the base path, which the packs mount the config blob from
	if r.ecr == nil {
		if base, err := registry.BasePath(r.cfg.BasePath); err == nil {
			shared = append(shared, base)
		}
	}
	repos, err := registry.Repositories(r.client, r.cfg.Registry, paths, r.cfg.PlainHTTP, shared...)
	if err != nil {
		return groups
	}
	for j, repo := range repos {
		items[owner[j]].repo = repo
		groups[owner[j]] = j / registry.TokenGroup
	}
	return groups
}

// reference is where a pack is shown to go: REGISTRY/PATH:VERSION (also in
// a dry run, when a registry is given) or LAYOUT:NAME-VERSION; empty when
// its name cannot be a repository.
func (r *run) reference(name, version string) string {
	if r.cfg.OCILayout != "" && !r.cfg.DryRun {
		return displayPath(r.cfg, r.cfg.OCILayout) + ":" + name + "-" + version
	}
	repoPath, err := registry.PackPath(r.cfg.BasePath, name)
	if err != nil || r.cfg.Registry == "" {
		return ""
	}
	return r.cfg.Registry + "/" + repoPath + ":" + version
}

// destination returns where a pack goes and under which tag; a dry run has
// no destination. On ECR the repository is created first when it is
// missing.
func (r *run) destination(ctx context.Context, it *item) (oras.Target, string, error) {
	name, version := it.res.Name, it.res.Version
	switch {
	case r.client == nil && r.layout == nil: // a dry run that does not read the registry
		return nil, "", nil
	case r.layout != nil:
		return r.layout, name + "-" + version, nil
	}
	repoPath, err := registry.PackPath(r.cfg.BasePath, name)
	if err != nil {
		return nil, "", err
	}
	repo := it.repo
	if repo == nil {
		if repo, err = registry.Repository(r.client, r.cfg.Registry, repoPath, r.cfg.PlainHTTP); err != nil {
			return nil, "", err
		}
	}
	if r.ecr != nil && !r.cfg.DryRun { // a dry run creates nothing: a missing repository reads as an absent tag
		if err := r.ensureRepository(ctx, repoPath); err != nil {
			return nil, "", err
		}
	}
	return repo, version, nil
}

// memoryLimit is the archive size kept in memory; larger archives spill to
// a temporary file, so memory stays flat in pack size.
const memoryLimit = 2 << 20

// build archives the pack, hashing it on the way. Small archives stay in
// memory (their uploads can then be retried request by request); larger
// ones go to a temporary file. A dry run that does not read the registry
// keeps nothing but the digest (one that does may need the archive to
// compare it with the published one).
func (r *run) build(ctx context.Context, it *item) (publish.Layer, error) {
	h := sha256.New()
	sink := &spill{limit: memoryLimit, dir: r.tmp, name: archive.FileName(it.res.Name, it.res.Version), discard: r.client == nil && r.layout == nil}
	defer sink.closeFile()
	cw := &countWriter{w: io.MultiWriter(sink, h)}
	top := filepath.Base(filepath.Join(r.cfg.Workspace, filepath.FromSlash(it.dir)))
	defer it.closeRoot() // the archive is all that is read from now on
	if _, err := archive.Write(ctx, cw, it.fsys, top, it.entries, archive.Options{SkipContents: true}); err != nil {
		return publish.Layer{}, fmt.Errorf("archiving %s: %w", it.dir, err)
	}
	if err := sink.closeFile(); err != nil {
		return publish.Layer{}, fmt.Errorf("writing the archive: %w", err)
	}
	return publish.Layer{Digest: digest.NewDigest(digest.SHA256, h), Size: cw.n, Open: sink.open}, nil
}

// spill keeps written bytes in memory up to limit, then moves them to a file.
type spill struct {
	limit   int
	dir     string
	name    string
	discard bool
	buf     bytes.Buffer
	file    *os.File
	path    string
}

func (s *spill) Write(p []byte) (int, error) {
	switch {
	case s.discard:
		return len(p), nil
	case s.file != nil:
		return s.file.Write(p)
	case s.buf.Len()+len(p) <= s.limit:
		return s.buf.Write(p)
	}
	f, err := os.CreateTemp(s.dir, s.name+"-*")
	if err != nil {
		return 0, err
	}
	s.file, s.path = f, f.Name()
	if _, err := f.Write(s.buf.Bytes()); err != nil {
		return 0, err
	}
	s.buf = bytes.Buffer{}
	return f.Write(p)
}

func (s *spill) closeFile() error {
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	return err
}

func (s *spill) open() (io.ReadCloser, error) {
	if s.path != "" {
		return os.Open(s.path)
	}
	return io.NopCloser(bytes.NewReader(s.buf.Bytes())), nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// withHint appends advice for common registry failures, after removing
// every secret of the run from the error and rewriting the registry's
// Go-formatted error detail for people.
func (r *run) withHint(err error) error {
	err = registry.Readable(r.secrets.Error(err))
	h := registry.HintFor(err, registry.HintContext{
		Bearer: r.tokenAuth(context.Background()), Credentials: r.credentials, Overwrite: r.cfg.Overwrite,
	})
	if h != "" && !strings.Contains(err.Error(), h) {
		return fmt.Errorf("%w; %s", err, h)
	}
	return err
}
