package pack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"path"
	"sort"
)

// Discover returns the pack folders under roots: the outermost folders that
// hold an entry named pack.json. Any such entry counts, even a directory or
// a symlink, so that Load reports what is wrong with it rather than the pack
// being skipped silently. A pack.json deeper inside a pack (for example
// under its charts/) belongs to that pack. roots are slash-separated and
// relative to fsys ("." is its root). The result is slash-separated,
// relative to fsys, sorted and unique. Symlinked folders are not followed,
// a root may not be or go through a symlink, and .git is skipped.
func Discover(ctx context.Context, fsys fs.FS, roots []string) ([]string, error) {
	packs, _, err := DiscoverLinks(ctx, fsys, roots)
	return packs, err
}

// DiscoverLinks is Discover that also returns the symlinks under roots (not
// inside a pack) that lead to a pack folder, or outside fsys as far as can
// be told: they are not followed, and a caller should say so rather than
// skip a linked pack silently. The links are slash-separated, relative to fsys, in walk
// order.
func DiscoverLinks(ctx context.Context, fsys fs.FS, roots []string) (packs, links []string, err error) {
	seen := map[string]bool{}
	for _, root := range roots {
		root, err := checkRoot(fsys, root)
		if err != nil {
			return nil, nil, err
		}
		// A root inside a pack (say its charts/) stands for that pack.
		if p, ok := enclosingPack(fsys, root); ok {
			if !seen[p] {
				seen[p] = true
				packs = append(packs, p)
			}
			continue
		}
		err = fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("reading %s: %w", p, err)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.Type()&fs.ModeSymlink != 0 {
				// A link to a pack, or one an os.Root file system refuses
				// because it leads outside (any error but "missing").
				_, err := fs.Stat(fsys, path.Join(p, "pack.json"))
				if _, statErr := fs.Stat(fsys, p); err == nil || statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
					links = append(links, p)
				}
				return nil
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
			return nil, nil, err
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
	return out, links, nil
}

// checkRoot cleans root and checks that it names a folder inside fsys
// reached without symlinks.
func checkRoot(fsys fs.FS, root string) (string, error) {
	clean := path.Clean(root)
	if !fs.ValidPath(clean) {
		return "", fmt.Errorf("packs folder %q is not inside the workspace; give a path relative to the workspace without \"..\" segments", root)
	}
	for p := range pathPrefixes(clean) {
		info, err := lstat(fsys, p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("packs folder %q does not exist; check packs-dir (it is relative to the workspace)", root)
		case err != nil:
			return "", fmt.Errorf("reading packs folder %s: %w", root, err)
		case info.Mode()&fs.ModeSymlink != 0:
			return "", fmt.Errorf("packs folder %q goes through the symlink %s, which is not followed; give the real folder", root, p)
		case !info.IsDir():
			return "", fmt.Errorf("packs folder %q is not a folder; check packs-dir", root)
		}
	}
	return clean, nil
}

// enclosingPack returns the outermost strict parent of root that holds a
// pack.json.
func enclosingPack(fsys fs.FS, root string) (string, bool) {
	if root == "." {
		return "", false
	}
	for p := range pathPrefixes(path.Dir(root)) {
		if _, err := lstat(fsys, path.Join(p, "pack.json")); err == nil {
			return p, true
		}
	}
	return "", false
}

// pathPrefixes yields ".", then "a", "a/b", "a/b/c" for "a/b/c".
func pathPrefixes(p string) iter.Seq[string] {
	return func(yield func(string) bool) {
		if !yield(".") || p == "." {
			return
		}
		for i := 0; i <= len(p); i++ {
			if (i == len(p) || p[i] == '/') && !yield(p[:i]) {
				return
			}
		}
	}
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
		if d == "." {
			return false
		}
	}
}
