package pipeline

import (
	"context"
	"errors"
	"sync"

	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/pack-publish/pack-publish/internal/publish"
	"github.com/pack-publish/pack-publish/internal/registry"
)

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
	if r.client == nil {
		r.registryAnswered()
	}
	sched := &schedule{answered: r.answered, tokenAuth: r.tokenAuth}
	sem := make(chan struct{}, 4*r.cfg.Concurrency)
	for _, it := range valid {
		it.ahead = make(chan ahead, 1)
		g, grouped := groups[it]
		turn := sched.next(g, grouped)
		wg.Go(func() {
			defer turn.done()
			var a ahead
			if err := turn.wait(ctx); err != nil {
				a.destErr = err
				it.ahead <- a
				return
			}
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
			if turn.first {
				r.registryAnswered()
			}
		})
	}
	return wg.Wait
}

// schedule orders the look-ahead lookups of one run. The first lookup goes
// at once; every other one waits until the registry has answered a first
// request (answered closed), so that the client knows how the registry
// authenticates. On a token registry (tokenAuth) a lookup also waits for
// the first lookup of its token group, which fetches the group's token.
// Lookups without a group (an OCI layout, a name that cannot be a
// repository) wait for nothing more.
type schedule struct {
	answered  <-chan struct{}
	tokenAuth func(context.Context) bool
	n         int
	leaders   map[int]chan struct{} // per group: closed when its first lookup has ended
}

// turn is one lookup's place in a schedule.
type turn struct {
	first  bool // the run's first lookup
	leader bool // the first lookup of its group
	s      *schedule
	led    chan struct{} // the group's; nil without a group
}

// next gives the next lookup its turn, in the order the lookups are
// created; grouped says whether it belongs to token group g.
func (s *schedule) next(g int, grouped bool) *turn {
	t := &turn{first: s.n == 0, s: s}
	s.n++
	if grouped {
		if s.leaders == nil {
			s.leaders = map[int]chan struct{}{}
		}
		led, seen := s.leaders[g]
		if !seen {
			led = make(chan struct{})
			s.leaders[g] = led
			t.leader = true
		}
		t.led = led
	}
	return t
}

// wait blocks until the lookup may go, or ctx ends (its error).
func (t *turn) wait(ctx context.Context) error {
	if !t.first {
		waitClosed(ctx, t.s.answered)
		if t.led != nil && !t.leader && t.s.tokenAuth(ctx) {
			waitClosed(ctx, t.led)
		}
	}
	return ctx.Err()
}

// done ends the lookup: the rest of a leader's group may go.
func (t *turn) done() {
	if t.leader {
		close(t.led)
	}
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
// token per group of registry.TokenGroup, and returns each item's group. An
// item has none in an OCI layout, or when its name cannot be a repository
// (destination then reports it).
func (r *run) openRepositories(items []*item) (groups map[*item]int) {
	groups = map[*item]int{}
	if r.client == nil {
		return groups
	}
	var (
		paths []string
		owner []*item
	)
	for _, it := range items {
		if p, err := registry.PackPath(r.cfg.BasePath, it.res.Name); err == nil {
			paths, owner = append(paths, p), append(owner, it)
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
		owner[j].repo = repo
		groups[owner[j]] = j / registry.TokenGroup
	}
	return groups
}
