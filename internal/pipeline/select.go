package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/pack-publish/pack-publish/internal/changes"
	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/spell"
)

// selectPacks decides which pack folders this run handles: the packs input,
// every pack (detect: all), or the packs changed between two commits.
func (r *run) selectPacks(ctx context.Context, ws *os.Root) ([]string, error) {
	cfg, opts, res := r.cfg, r.opts, r.res
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
			for _, n := range ch.Notices {
				r.notice(n)
			}
			if !ch.All {
				res.BaseSHA, res.HeadSHA, res.Deleted = ch.BaseSHA, ch.HeadSHA, ch.Deleted
				if ch.Changed == nil {
					return []string{}, nil
				}
				return ch.Changed, nil
			}
		} else {
			r.notice("publishing every pack: " + rng.AllReason)
		}
	}
	dirs, links, err := pack.DiscoverLinks(ctx, fsys, cfg.PacksDirs)
	if err != nil {
		return nil, fmt.Errorf("%w: input packs-dir: %w", ErrConfig, err)
	}
	if len(links) > 0 {
		r.notice(fmt.Sprintf("not following the symlink(s) %s to a pack or out of the workspace: a pack is read from its real folder only "+
			"(a link such as latest -> pack-1.2.0 is skipped, the folder it names is read under its own name); "+
			"to publish a pack that lies elsewhere, commit its folder", strings.Join(links, ", ")))
	}
	return dirs, nil
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
	if s := spell.Suggest(path.Base(d), names); s != "" {
		return path.Join(parent, s)
	}
	return ""
}
