package action

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pack-publish/pack-publish/internal/pipeline"
	"github.com/pack-publish/pack-publish/internal/safefile"
)

// dotenvLimit is GitLab's default dotenv_size plan limit: a larger dotenv
// report is refused and fails the job.
const dotenvLimit = 5 << 10

// gitlab prints like a terminal and writes the outputs to a dotenv file as
// PACK_PUBLISH_<NAME>=<value>, for `artifacts: reports: dotenv`.
type gitlab struct {
	terminal
	dotenv    string
	workspace string
}

func (g *gitlab) finish(res *pipeline.Result) error {
	if err := g.terminal.finish(res); err != nil {
		return err
	}
	if g.dotenv == "" {
		return nil
	}
	env, kept, total := dotenvFile(res, dotenvLimit)
	if kept < total {
		g.notice(fmt.Sprintf("the dotenv file holds %d of %d packs (GitLab refuses more than %d bytes) and PACK_PUBLISH_TRUNCATED=true; the full report is in report-file", kept, total, dotenvLimit))
	}
	if err := safefile.WriteFile(g.workspace, g.dotenv, []byte(env), 0o644); err != nil {
		return fmt.Errorf("writing dotenv-file %s: %w", filepath.Base(g.dotenv), err)
	}
	return nil
}

// dotenvFile renders the outputs as a dotenv file of at most limit bytes.
// When all packs do not fit, every list is cut to its first n entries, the
// largest n that fits, and PACK_PUBLISH_TRUNCATED=true is added. It returns
// the file, n and the number of packs.
func dotenvFile(res *pipeline.Result, limit int) (string, int, int) {
	total := max(len(res.Packs), len(res.Selected))
	if s := renderDotenv(outputsN(res, -1), false); len(s) <= limit {
		return s, total, total
	}
	// The size grows with n: binary search for the largest n that fits.
	n := sort.Search(total+1, func(n int) bool {
		return len(renderDotenv(outputsN(res, n+1), true)) > limit
	})
	return renderDotenv(outputsN(res, n), true), n, total
}

func renderDotenv(outs []output, truncated bool) string {
	var b strings.Builder
	for _, o := range outs {
		fmt.Fprintf(&b, "PACK_PUBLISH_%s=%s\n", strings.ToUpper(strings.ReplaceAll(o.Name, "-", "_")), o.Value)
	}
	if truncated {
		b.WriteString("PACK_PUBLISH_TRUNCATED=true\n")
	}
	return b.String()
}
