package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// commitTimes reads, in one pass over the history, when each valid pack
// folder was last committed, and says in a notice which packs get
// another created time, and why: their digests are then not reproducible
// from the commit alone.
func (r *run) commitTimes(ctx context.Context, items []*item) {
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
			r.notice(fmt.Sprintf("the packs' created times cannot be read from git (%v), so they are %s; "+
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
		r.notice(fmt.Sprintf("no commit touches %s (not committed, or a shallow clone?), so the created time is %s; commit the pack to make its digest reproducible",
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
