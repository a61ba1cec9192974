package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pack-publish/pack-publish/internal/pack"
)

// maxLinks bounds the symlinks followed to resolve one link, as the kernel
// does (Linux MAXSYMLINKS is 40).
const maxLinks = 40

// Scan walks the pack rooted at fsys without following symlinks and returns
// the entries to archive, sorted by path, and findings for content that must
// not be archived (A3 escaping or absolute symlinks, A4 special files, A5
// size caps, A6 unprintable names). It reports every problem it can rather
// than stopping at the first; the error is for a pack that cannot be read.
//
// fsys should implement fs.ReadLinkFS (os.Root's FS, os.DirFS and
// fstest.MapFS do); otherwise symlinks are refused. Use an os.Root's FS for
// real folders: the kernel then refuses any open that a link would take
// outside, and checkLink's findings explain why.
func Scan(ctx context.Context, fsys fs.FS, opts Options) ([]Entry, []pack.Finding, error) {
	opts = opts.withDefaults()
	var (
		entries  []Entry
		findings []pack.Finding
		total    int64
	)
	bad := func(rule, p, msg, fix string) { // at the rule's level in the registry
		findings = append(findings, pack.NewFinding(rule, p, msg, fix))
	}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", quote(p), err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		if d.Name() == ".git" {
			return skip(d)
		}
		if msg := badName(p); msg != "" {
			bad("A6", quote(p), "the name "+msg, "rename it to printable UTF-8")
			return skip(d)
		}
		if len(entries) == opts.MaxEntries {
			bad("A5", ".", fmt.Sprintf("the pack has more than %d files, folders and links", opts.MaxEntries), "remove what the pack does not need")
			return fs.SkipAll
		}
		info, err := d.Info() // the entry itself, as walked: a link is not followed
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		switch m := info.Mode(); {
		case m.IsDir():
			entries = append(entries, Entry{Path: p, Type: Dir})
		case m.IsRegular():
			if info.Size() > opts.MaxFileSize {
				bad("A5", p, fmt.Sprintf("the file has %d bytes, more than the cap of %d", info.Size(), opts.MaxFileSize),
					"keep large artifacts out of the pack, or split them")
				return nil
			}
			total += info.Size()
			entries = append(entries, Entry{Path: p, Type: File, Exec: m.Perm()&0o111 != 0, Size: info.Size()})
		case m.Type() == fs.ModeSymlink:
			target, err := readLink(fsys, p)
			if err != nil {
				bad("A3", p, fmt.Sprintf("the symlink cannot be read: %v", err), "replace the link with a copy of what it points to")
				return nil
			}
			if msg := badName(target); msg != "" {
				bad("A6", p, "the symlink's target "+msg, "point the link at a printable UTF-8 name")
				return nil
			}
			if msg := checkLink(fsys, p, target); msg != "" {
				bad("A3", p, msg, "replace the link with a copy of what it points to, or with a relative link that stays inside the pack")
				return nil
			}
			entries = append(entries, Entry{Path: p, Type: Symlink, Link: target})
		default:
			bad("A4", p, fmt.Sprintf("special file (%s) cannot be archived", fileKind(m)), "remove it from the pack folder")
		}
		return nil
	})
	if err != nil {
		return nil, findings, err
	}
	if total > opts.MaxTotalSize {
		bad("A5", ".", fmt.Sprintf("the pack's files hold %d bytes, more than the cap of %d", total, opts.MaxTotalSize),
			"remove what the pack does not need")
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return entries, findings, nil
}

// skip leaves out a walked path, and all below it for a directory.
func skip(d fs.DirEntry) error {
	if d.IsDir() {
		return fs.SkipDir
	}
	return nil
}

// checkLink explains why the symlink at p, whose target is target, must not
// be archived, or returns "". It resolves the target the way the kernel does,
// one name at a time, following each link on the way (chains and directory
// links), and refuses absolute targets and any step above the pack folder.
// Resolving lexically first would be wrong: with d -> ../../top, "d/../.."
// is "." as text but the folder above "top" on disk. A name that does not
// exist (or is not a directory) is stepped into as text, so a dangling link
// is judged by what it says and is kept when that stays inside. Only real
// directories of the pack are looked up, so nothing outside it is touched.
func checkLink(fsys fs.FS, p, target string) string {
	if isAbs(target) {
		return fmt.Sprintf("symlink to the absolute path %q: absolute links point into the machine, not the pack", target)
	}
	if strings.Contains(target, `\`) {
		return fmt.Sprintf("symlink to %q holds a backslash, which Windows extractors read as a path separator (%q could climb out of the pack there)", target, strings.ReplaceAll(target, `\`, "/"))
	}
	var dir []string // the resolved, link-free folder reached so far
	if d := path.Dir(p); d != "." {
		dir = strings.Split(d, "/")
	}
	todo := strings.Split(target, "/")
	via, links := "", 0
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			if len(dir) == 0 {
				if via != "" {
					return fmt.Sprintf("symlink to %q leaves the pack folder (through the link %s)", target, via)
				}
				return fmt.Sprintf("symlink to %q leaves the pack folder", target)
			}
			dir = dir[:len(dir)-1]
			continue
		}
		next := path.Join(path.Join(dir...), name)
		info, err := lstat(fsys, next)
		if err != nil || info.Mode().Type() != fs.ModeSymlink {
			dir = append(dir, name)
			continue
		}
		if links++; links > maxLinks {
			return fmt.Sprintf("symlink to %q starts a chain of more than %d links (a loop?)", target, maxLinks)
		}
		t, err := readLink(fsys, next)
		if err != nil {
			return fmt.Sprintf("symlink to %q goes through %s, which cannot be read: %v", target, next, err)
		}
		if isAbs(t) {
			return fmt.Sprintf("symlink to %q goes through %s, a link to the absolute path %q", target, next, t)
		}
		if strings.Contains(t, `\`) {
			return fmt.Sprintf("symlink to %q goes through %s, a link to %q, which holds a backslash", target, next, t)
		}
		via = next
		todo = append(strings.Split(t, "/"), todo...)
	}
	return ""
}

// isAbs reports absolute targets, including Windows-style ones.
func isAbs(target string) bool { return path.IsAbs(target) || strings.HasPrefix(target, `\`) }

func lstat(fsys fs.FS, p string) (fs.FileInfo, error) {
	if rl, ok := fsys.(fs.ReadLinkFS); ok {
		return rl.Lstat(p)
	}
	return nil, errors.ErrUnsupported
}

func readLink(fsys fs.FS, p string) (string, error) {
	if rl, ok := fsys.(fs.ReadLinkFS); ok {
		return rl.ReadLink(p)
	}
	return "", fmt.Errorf("the file system cannot read links: %w", errors.ErrUnsupported)
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

// badName explains why a name cannot be archived portably, or returns "".
func badName(p string) string {
	if !utf8.ValidString(p) {
		return "is not valid UTF-8"
	}
	if strings.ContainsFunc(p, unicode.IsControl) {
		return "holds a control character"
	}
	return ""
}

// quote makes a name safe to show in a log line: names with control
// characters or invalid UTF-8 are escaped Go-style, others are left as is.
func quote(p string) string {
	if badName(p) == "" {
		return p
	}
	return strings.Trim(strconv.Quote(p), `"`)
}
