package palette

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// syncStatus is v1RegistrySyncStatus. Its status values are not a
// documented contract: see phaseOf.
type syncStatus struct {
	Status          string    `json:"status"`
	Message         string    `json:"message"`
	LastRunTime     time.Time `json:"lastRunTime"`
	LastSyncedTime  time.Time `json:"lastSyncedTime"`
	IsSyncSupported *bool     `json:"isSyncSupported"`
}

type phase int

const (
	phaseUnknown phase = iota // anything else: keep waiting
	phaseRunning
	phaseDone
	phaseFailed
)

// phaseOf reads a status word the way Spectro's own Terraform provider and
// observed scripts do, case-insensitively: Success/Completed are done,
// InProgress/Running/Syncing (and pending-like words) are running,
// Failed/Error are failed.
func phaseOf(s string) phase {
	l := strings.ToLower(s)
	for _, w := range []string{"fail", "error", "abort"} {
		if strings.Contains(l, w) {
			return phaseFailed
		}
	}
	switch l {
	case "success", "successful", "succeeded", "completed", "complete", "synced", "done":
		return phaseDone
	}
	for _, w := range []string{"progress", "running", "syncing", "pending", "queued", "started", "start"} {
		if strings.Contains(l, w) {
			return phaseRunning
		}
	}
	return phaseUnknown
}

// syncer triggers one registry's sync and waits for its packs.
type syncer struct {
	c     *client
	opts  Options
	res   *Result
	uid   string
	name  string
	syncs int // asked for so far
}

func (s *syncer) path(suffix string) string {
	return "/v1/registries/oci/" + url.PathEscape(s.uid) + "/" + string(s.opts.Kind) + "/sync" + suffix
}

func (s *syncer) status(ctx context.Context) (syncStatus, error) {
	var st syncStatus
	err := s.c.call(ctx, fmt.Sprintf("reading the sync status of registry %q", s.name), http.MethodGet, s.path("/status"), nil, &st)
	return st, err
}

// syncOff is the error for a registry whose synchronization is turned off,
// as its spec or its sync status may say.
func syncOff(name string) error {
	return fmt.Errorf("synchronization is turned off for registry %q in Palette, so it never lists new packs; turn it on (Tenant Settings > Registries > OCI Registries > Edit > Synchronization)", name)
}

// maxSyncs bounds how many syncs one step asks for: another is asked for
// when one ends without the packs, as a sync that was already running when
// they were pushed does.
const maxSyncs = 3

func (s *syncer) run(ctx context.Context) error {
	// The sync is asynchronous and returns no job: a sync is told from an
	// earlier one by its times (or by having been seen running).
	before, err := s.status(ctx)
	if err != nil {
		return err
	}
	if before.IsSyncSupported != nil && !*before.IsSyncSupported {
		return syncOff(s.name)
	}
	start := s.opts.Now()
	if err := s.trigger(ctx); err != nil {
		return err
	}
	s.opts.Logf("palette: asked Palette to sync registry %q (%s); waiting for %d pack(s) to appear", s.name, s.uid, len(s.res.Packs))
	defer func() { s.res.SyncMS = s.opts.Now().Sub(start).Milliseconds() }()

	sawRunning := false
	for round := 1; ; round++ {
		if !s.c.sleep(ctx, s.c.backoff(round)) {
			return s.timedOut(ctx)
		}
		st, err := s.status(ctx)
		if err != nil {
			return s.orTimedOut(ctx, err)
		}
		s.res.SyncStatus, s.res.SyncMessage = s.c.clean(st.Status), truncate(s.c.clean(st.Message), maxAnswer)
		ph := phaseOf(st.Status)
		ours := sawRunning || st.LastRunTime.After(before.LastRunTime) || st.LastSyncedTime.After(before.LastSyncedTime)
		if ph == phaseRunning {
			sawRunning = true
		}
		// The pack lookup says when the packs are there, whatever the
		// status says: the first pack not yet visible stops each round.
		all, err := s.lookup(ctx)
		if err != nil {
			return s.orTimedOut(ctx, err)
		}
		if all {
			s.opts.Logf("palette: all %d pack(s) visible in registry %q after %s (sync status %q)", len(s.res.Packs), s.name, s.opts.Now().Sub(start).Round(time.Millisecond), st.Status)
			return nil
		}
		switch {
		case ph == phaseFailed && ours:
			msg := ""
			if s.res.SyncMessage != "" {
				msg = fmt.Sprintf(", %q", s.res.SyncMessage)
			}
			return fmt.Errorf("the sync of registry %q failed in Palette (status %q%s) and %s not visible; see the registry under Tenant Settings > Registries in Palette, fix what it reports, then run again (the packs stay pushed)",
				s.name, s.res.SyncStatus, msg, s.missing())
		case ph == phaseDone && ours && s.syncs < maxSyncs:
			s.opts.Logf("palette: the sync of registry %q ended (%q) before %s listed; asking for another", s.name, st.Status, s.missing())
			if err := s.trigger(ctx); err != nil {
				return s.orTimedOut(ctx, err)
			}
			before, sawRunning, round = st, false, 0
		case ph == phaseDone && ours:
			s.opts.Logf("palette: sync of registry %q reports %q; %s not visible yet", s.name, st.Status, s.missing())
		}
	}
}

// trigger asks for a sync. A 409 (Palette's answer to a sync already
// running is not documented) is taken as that: the running sync is waited
// for, and another asked for if it ends without the packs.
func (s *syncer) trigger(ctx context.Context) error {
	s.syncs++
	err := s.c.call(ctx, fmt.Sprintf("asking Palette to sync registry %q", s.name), http.MethodPost, s.path(""), url.Values{"forceSync": {"false"}}, nil)
	var herr *HTTPError
	if errors.As(err, &herr) && herr.Status == http.StatusConflict {
		s.opts.Logf("palette: Palette answered 409 %s: a sync of registry %q is already running; waiting for it", herr.Answer, s.name)
		return nil
	}
	return err
}

// lookup asks for each pack not yet confirmed, in order, until one is not
// visible; it reports whether all are.
func (s *syncer) lookup(ctx context.Context) (bool, error) {
	for i := range s.res.Packs {
		p := &s.res.Packs[i]
		if p.Visible {
			continue
		}
		uid, ok, err := s.visible(ctx, p.Name, p.Version)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, nil
		}
		p.Visible, p.PackUID = true, s.c.redact(uid)
	}
	return true, nil
}

// visible looks a version up with GET /v1/packs/{name}/registries/{uid}
// (v1PackTagEntity): a 404 or a tag list without it means not yet.
func (s *syncer) visible(ctx context.Context, name, version string) (string, bool, error) {
	var pack struct {
		Tags []struct {
			Tag     string `json:"tag"`
			Version string `json:"version"`
			PackUID string `json:"packUid"`
		} `json:"tags"`
	}
	err := s.c.call(ctx, fmt.Sprintf("looking up pack %s:%s in registry %q", name, version, s.name), http.MethodGet,
		"/v1/packs/"+url.PathEscape(name)+"/registries/"+url.PathEscape(s.uid), url.Values{"cloudType": {"all"}}, &pack)
	var herr *HTTPError
	if errors.As(err, &herr) && herr.Status == http.StatusNotFound {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	for _, t := range pack.Tags {
		if t.Version == version || (t.Version == "" && t.Tag == version) {
			return t.PackUID, true, nil
		}
	}
	return "", false, nil
}

func (s *syncer) missing() string {
	var names []string
	for _, p := range s.res.Packs {
		if !p.Visible {
			names = append(names, p.Name+":"+p.Version)
		}
	}
	verb := "are"
	if len(names) == 1 {
		verb = "is"
	}
	if len(names) > 10 {
		names = append(names[:10], fmt.Sprintf("and %d more", len(names)-10))
	}
	return strings.Join(names, ", ") + " " + verb
}

// orTimedOut prefers the timeout's explanation when the step's time is up.
func (s *syncer) orTimedOut(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return s.timedOut(ctx)
	}
	return err
}

func (s *syncer) timedOut(ctx context.Context) error {
	last := ""
	if s.res.SyncStatus != "" {
		last = fmt.Sprintf(" (last sync status %q", s.res.SyncStatus)
		if s.res.SyncMessage != "" {
			last += fmt.Sprintf(", %q", s.res.SyncMessage)
		}
		last += ")"
	}
	cause := context.Cause(ctx)
	if errors.Is(cause, errTimeout) {
		return fmt.Errorf("%s still not visible in registry %q when palette-timeout (%s) expired%s; the packs are pushed: raise palette-timeout if Palette's sync takes longer, or check the registry's sync in Palette (Tenant Settings > Registries)",
			s.missing(), s.name, s.opts.Timeout, last)
	}
	return fmt.Errorf("waiting for registry %q to list %s: %w%s", s.name, strings.TrimSuffix(strings.TrimSuffix(s.missing(), " are"), " is"), cause, last)
}
