package changes

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/pack-publish/pack-publish/internal/git"
)

// ErrNoHistory is returned when the commits to compare are not in the clone
// and cannot be fetched.
var ErrNoHistory = errors.New("commit history is missing")

// Options for Detect.
type Options struct {
	Dir   string   // the repository (workspace) root
	Roots []string // packs-dir entries, slash-separated, relative to Dir
	Range Range
	Fetch bool // fetch missing history from origin (shallow clones)
	// MaxDeepen bounds how many commits are fetched while looking for a
	// merge base before the whole history is fetched; 0 means 1024.
	MaxDeepen int
}

// Result of Detect.
type Result struct {
	Changed []string // pack folders changed between base and head, sorted
	Deleted []string // pack folders removed between base and head
	BaseSHA string   // the commits actually compared (the merge base for PRs)
	HeadSHA string
	Notices []string // what was fetched, or why every pack is taken
	All     bool     // select every pack instead (see Notices)
}

// Detect finds the pack folders that changed between the range's commits.
// Each changed path belongs to the outermost folder above it that holds a
// pack.json at head; paths outside Roots are ignored; packs whose pack.json
// existed at base but not at head are reported as deleted.
func Detect(ctx context.Context, opts Options) (Result, error) {
	if opts.MaxDeepen <= 0 {
		opts.MaxDeepen = 1024
	}
	g := git.Runner{Dir: opts.Dir}
	d := &detector{g: g, opts: opts}
	for _, r := range []string{opts.Range.Base, opts.Range.Head} {
		if r == "" || strings.HasPrefix(r, "-") {
			return Result{}, fmt.Errorf("%q is not a commit; set base and head to commit SHAs or refs", r)
		}
	}
	// One call checks the repository and resolves both commits in the common
	// case; missing commits are then looked for one by one, and fetched.
	out, err := g.Run(ctx, "rev-parse", "--show-prefix", opts.Range.Head+"^{commit}", opts.Range.Base+"^{commit}")
	var head, base string
	if lines := strings.Split(strings.TrimRight(out, "\n"), "\n"); err == nil && len(lines) == 3 {
		if lines[0] != "" {
			return Result{}, fmt.Errorf("the workspace %s is not the top of its git repository; run from the repository root", opts.Dir)
		}
		head, base = lines[1], lines[2]
	} else {
		prefix, err := g.Run(ctx, "rev-parse", "--show-prefix")
		if err != nil {
			return Result{}, fmt.Errorf("%s is not a git repository (%w); check out the repository, or set detect: all", opts.Dir, err)
		}
		if strings.TrimSpace(prefix) != "" {
			return Result{}, fmt.Errorf("the workspace %s is not the top of its git repository; run from the repository root", opts.Dir)
		}
		if head, err = d.commit(ctx, opts.Range.Head); err != nil {
			var missing *missingError
			if errors.As(err, &missing) {
				return Result{}, fmt.Errorf("the head commit %s of %s is neither in the clone nor on origin (%s): %w; check the commits given as head, or the event",
					short(opts.Range.Head), source(opts.Range), missing.cause(), ErrNoHistory)
			}
			return Result{}, err
		}
		base, err = d.commit(ctx, opts.Range.Base)
		var missing *missingError
		if errors.As(err, &missing) {
			// origin answered and lacks it: history was rewritten.
			d.notes = append(d.notes, fmt.Sprintf("publishing every pack: the base commit %s of %s is neither in the clone nor on origin (%s; a force push?)",
				short(opts.Range.Base), source(opts.Range), missing.cause()))
			return Result{All: true, Notices: d.notes}, nil
		}
		if err != nil {
			return Result{}, err
		}
	}
	if opts.Range.MergeBase {
		mb, err := d.mergeBase(ctx, base, head)
		if err != nil {
			return Result{}, err
		}
		if mb == "" {
			d.notes = append(d.notes, fmt.Sprintf("publishing every pack: %s and %s have no common ancestor", short(base), short(head)))
			return Result{All: true, Notices: d.notes}, nil
		}
		base = mb
	}

	res := Result{BaseSHA: base, HeadSHA: head}
	res.Changed, res.Deleted, err = d.mapChanges(ctx, base, head)
	res.Notices = d.notes
	return res, err
}

type detector struct {
	g     git.Runner
	opts  Options
	notes []string
}

// missingError is a commit origin was asked for and does not have: origin
// answered, so this is not a network or credentials problem.
type missingError struct {
	rev   string
	fetch error // the failed fetch, or nil when it succeeded without the commit
}

func (e *missingError) Error() string {
	return fmt.Sprintf("commit %s not found: %s", short(e.rev), e.cause())
}

// cause says what origin answered.
func (e *missingError) cause() string {
	if e.fetch == nil {
		return "fetching it from origin brought no such commit"
	}
	return "fetching it from origin: " + e.fetch.Error()
}

// source names where the range came from, for messages.
func source(r Range) string {
	if r.Source == "" {
		return "the base and head inputs"
	}
	return r.Source
}

// commit resolves rev to a SHA, fetching it from origin when it is missing.
func (d *detector) commit(ctx context.Context, rev string) (string, error) {
	if sha, ok := d.resolve(ctx, rev); ok {
		return sha, nil
	}
	if !d.opts.Fetch {
		return "", fmt.Errorf("commit %s is not in the clone: %w; fetch more history (actions/checkout: fetch-depth: 0)", short(rev), ErrNoHistory)
	}
	if !d.hasOrigin(ctx) {
		return "", fmt.Errorf("commit %s is not in the clone and there is no remote origin to fetch it from: %w; check out with full history (actions/checkout: fetch-depth: 0, GitLab: GIT_DEPTH: 0)", short(rev), ErrNoHistory)
	}
	// Keep a shallow clone shallow; a full clone stays full.
	args := []string{"fetch", "--no-tags", "--no-recurse-submodules", "origin", rev}
	if d.shallow(ctx) {
		args = append(args[:3], "--depth=1", "origin", rev)
	}
	if _, err := d.g.Run(ctx, args...); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		// Tell "origin lacks it" (history rewritten) from "origin cannot
		// be reached", which must not pass for a force push.
		if _, lsErr := d.g.Run(ctx, "ls-remote", "origin", "HEAD"); lsErr != nil {
			return "", fmt.Errorf("commit %s is not in the clone, and origin cannot be reached to fetch it (%v): %w; "+
				"check origin's URL, the network and the credentials, or check out with full history (actions/checkout: fetch-depth: 0, GitLab: GIT_DEPTH: 0)",
				short(rev), err, ErrNoHistory)
		}
		return "", &missingError{rev: rev, fetch: err}
	}
	if sha, ok := d.resolve(ctx, rev); ok {
		d.notes = append(d.notes, fmt.Sprintf("fetched commit %s from origin (shallow clone)", short(sha)))
		return sha, nil
	}
	if sha, ok := d.resolve(ctx, "FETCH_HEAD"); ok && isSHA(rev) && strings.HasPrefix(sha, rev) {
		return sha, nil
	}
	return "", &missingError{rev: rev}
}

func (d *detector) resolve(ctx context.Context, rev string) (string, bool) {
	out, err := d.g.Run(ctx, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(out), true
}

func (d *detector) hasOrigin(ctx context.Context) bool {
	_, err := d.g.Run(ctx, "remote", "get-url", "origin")
	return err == nil
}

// mergeBase finds the merge base, deepening a shallow clone (doubling) until
// one appears, then fetching the whole history as a last resort.
func (d *detector) mergeBase(ctx context.Context, base, head string) (string, error) {
	if mb, ok := d.tryMergeBase(ctx, base, head); ok {
		return mb, nil
	}
	if !d.shallow(ctx) {
		return "", nil // full history and no merge base: unrelated commits
	}
	if !d.opts.Fetch || !d.hasOrigin(ctx) {
		return "", fmt.Errorf("no merge base of %s and %s in this shallow clone, and it cannot be fetched: %w; check out with fetch-depth: 0", short(base), short(head), ErrNoHistory)
	}
	fetched := 0
	for depth := 16; depth <= d.opts.MaxDeepen; depth *= 2 {
		if _, err := d.g.Run(ctx, "fetch", "--no-tags", "--no-recurse-submodules", fmt.Sprintf("--deepen=%d", depth), "origin", base, head); err != nil {
			return "", fmt.Errorf("deepening the shallow clone: %w; check out with fetch-depth: 0", err)
		}
		fetched += depth
		if mb, ok := d.tryMergeBase(ctx, base, head); ok {
			d.notes = append(d.notes, fmt.Sprintf("deepened the shallow clone by %d commits to find the merge base %s", fetched, short(mb)))
			return mb, nil
		}
	}
	if _, err := d.g.Run(ctx, "fetch", "--no-tags", "--no-recurse-submodules", "--unshallow", "origin"); err != nil {
		return "", fmt.Errorf("fetching the full history: %w; check out with fetch-depth: 0", err)
	}
	d.notes = append(d.notes, "fetched the full history to find the merge base")
	mb, _ := d.tryMergeBase(ctx, base, head)
	return mb, nil
}

func (d *detector) tryMergeBase(ctx context.Context, base, head string) (string, bool) {
	out, err := d.g.Run(ctx, "merge-base", base, head)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(out), true
}

func (d *detector) shallow(ctx context.Context) bool {
	out, err := d.g.Run(ctx, "rev-parse", "--is-shallow-repository")
	return err == nil && strings.TrimSpace(out) == "true"
}

// pathspecs limits git to the roots.
func (d *detector) pathspecs() []string {
	if len(d.opts.Roots) == 0 {
		return []string{"."}
	}
	out := make([]string, len(d.opts.Roots))
	for i, r := range d.opts.Roots {
		out[i] = ":(literal)" + r // git runs in Dir, the workspace root
		if r == "." {
			out[i] = "."
		}
	}
	return out
}

// mapChanges maps the paths changed between base and head to pack folders.
// The diff and the list of packs at head are read at the same time.
func (d *detector) mapChanges(ctx context.Context, base, head string) (changed, deleted []string, err error) {
	var (
		headPacks map[string]bool
		packsErr  error
		done      = make(chan struct{})
	)
	go func() {
		defer close(done)
		headPacks, packsErr = d.packsAt(ctx, head)
	}()
	out, err := d.g.Run(ctx, append([]string{"diff", "--name-only", "--no-renames", "-z", base, head, "--"}, d.pathspecs()...)...)
	<-done
	if err != nil {
		return nil, nil, fmt.Errorf("listing changes between %s and %s: %w", short(base), short(head), err)
	}
	if packsErr != nil {
		return nil, nil, packsErr
	}
	paths := splitZ(out)
	if len(paths) == 0 {
		return []string{}, nil, nil
	}
	var basePacks map[string]bool
	seen, gone := map[string]bool{}, map[string]bool{}
	for _, p := range paths {
		if dir, ok := owner(p, headPacks); ok {
			seen[dir] = true
			continue
		}
		if basePacks == nil {
			if basePacks, err = d.packsAt(ctx, base); err != nil {
				return nil, nil, err
			}
		}
		if dir, ok := owner(p, basePacks); ok {
			gone[dir] = true
		}
	}
	changed, deleted = keys(seen), keys(gone)
	if changed == nil {
		changed = []string{}
	}
	return changed, deleted, nil
}

// packsAt lists the folders holding a pack.json at a commit.
func (d *detector) packsAt(ctx context.Context, commit string) (map[string]bool, error) {
	out, err := d.g.Run(ctx, append([]string{"ls-tree", "-r", "--name-only", "-z", commit, "--"}, d.pathspecs()...)...)
	if err != nil {
		return nil, fmt.Errorf("listing packs at %s: %w", short(commit), err)
	}
	packs := map[string]bool{}
	for _, p := range splitZ(out) {
		if path.Base(p) == "pack.json" {
			packs[path.Dir(p)] = true
		}
	}
	return packs, nil
}

// owner returns the outermost pack folder above p.
func owner(p string, packs map[string]bool) (string, bool) {
	if packs["."] {
		return ".", true
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && packs[p[:i]] {
			return p[:i], true
		}
	}
	return "", false
}

func splitZ(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\x00") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func keys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func isSHA(s string) bool { return len(s) >= 7 && strings.Trim(s, "0123456789abcdef") == "" }

func short(s string) string {
	if isSHA(s) && len(s) > 12 {
		return s[:12]
	}
	return s
}
