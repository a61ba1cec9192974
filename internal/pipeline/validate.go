package pipeline

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/pack-publish/pack-publish/internal/archive"
	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/textsafe"
)

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

// checkFolderNames makes a pack invalid (A6) when a folder in its path has
// a comma or leading or trailing white space: the packs input, which a
// fan-out job fills from the matrix output, splits on commas and trims, so
// it could not name the folder.
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
			it.addFindings([]pack.Finding{pack.NewFinding("A6", it.dir, msg,
				"rename the folder to printable UTF-8 without commas and surrounding spaces")}, false)
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
