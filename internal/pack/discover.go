package pack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Discover returns the pack folders under roots: the outermost folders that
// hold an entry named pack.json (Load reports it when it is not a file). A pack.json deeper inside a pack (for
// example under its charts/) belongs to that pack. Paths are slash-separated,
// relative to fsys, sorted and unique. Symlinked folders are not followed and
// .git is skipped.
func Discover(ctx context.Context, fsys fs.FS, roots []string) ([]string, error) {
	seen := map[string]bool{}
	var packs []string
	for _, root := range roots {
		root = path.Clean(strings.TrimPrefix(root, "./"))
		if !fs.ValidPath(root) {
			return nil, fmt.Errorf("%q is not a folder inside the workspace; give a relative path", root)
		}
		info, err := fs.Stat(fsys, root)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("folder %q does not exist; check packs-dir (it is relative to the workspace)", root)
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", root, err)
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("%q is not a folder; check packs-dir", root)
		}
		err = fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("reading %s: %w", p, err)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if !d.IsDir() {
				return nil
			}
			if d.Name() == ".git" {
				return fs.SkipDir
			}
			// Any entry named pack.json marks a pack, even a directory or a
			// symlink: Load then reports what is wrong with it.
			if _, err := lstat(fsys, path.Join(p, "pack.json")); err == nil {
				if !seen[p] {
					seen[p] = true
					packs = append(packs, p)
				}
				return fs.SkipDir // pack.json files below belong to this pack
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	// A pack found from one root may lie inside a pack found from another.
	sort.Strings(packs)
	out := []string{}
	for _, p := range packs {
		if !insideAny(p, seen) {
			out = append(out, p)
		}
	}
	return out, nil
}

// insideAny reports whether a parent folder of p is a pack.
func insideAny(p string, packs map[string]bool) bool {
	if p == "." {
		return false
	}
	for d := path.Dir(p); ; d = path.Dir(d) {
		if packs[d] {
			return true
		}
		if d == "." || d == "/" {
			return false
		}
	}
}
