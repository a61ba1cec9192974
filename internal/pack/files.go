package pack

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// maxLinkHops bounds the symlinks followed while resolving one path.
const maxLinkHops = 40

var (
	errLinkOutside = errors.New("leads through a symlink to outside the pack folder")
	errLinkLoop    = fmt.Errorf("goes through more than %d symlinks", maxLinkHops)
	errNotDir      = errors.New("goes through a file as if it were a folder")
)

// resolve follows the symlinks of name (slash-separated, relative to the
// pack) one component at a time, as the kernel would, and returns the
// symlink-free path it leads to with its Lstat info. A link that is absolute
// or climbs above the pack root is an error, so nothing outside the pack is
// ever read. Without fs.ReadLinkFS links cannot be seen and name is stat'ed
// as it is.
func resolve(fsys fs.FS, name string) (string, fs.FileInfo, error) {
	rl, ok := fsys.(fs.ReadLinkFS)
	if !ok {
		info, err := fs.Stat(fsys, name)
		return name, info, err
	}
	done := "."
	info, err := rl.Lstat(done)
	if err != nil {
		return name, nil, err
	}
	todo := strings.Split(name, "/")
	for hops := 0; len(todo) > 0; {
		comp := todo[0]
		todo = todo[1:]
		switch comp {
		case "", ".":
			continue
		case "..":
			if done == "." {
				return name, nil, errLinkOutside
			}
			done = path.Dir(done)
			continue
		}
		if !info.IsDir() {
			return name, nil, errNotDir
		}
		next := path.Join(done, comp)
		if info, err = rl.Lstat(next); err != nil {
			return name, nil, err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		if hops++; hops > maxLinkHops {
			return name, nil, errLinkLoop
		}
		target, err := rl.ReadLink(next)
		if err != nil {
			return name, nil, err
		}
		if path.IsAbs(target) || strings.HasPrefix(target, `\`) {
			return name, nil, errLinkOutside
		}
		// The target is relative to the link's folder, which is done.
		todo = append(strings.Split(target, "/"), todo...)
		if info, err = rl.Lstat(done); err != nil {
			return name, nil, err
		}
	}
	return done, info, nil
}

// regular explains why name is not a regular file inside the pack, or
// returns "". A symlink is followed while it stays inside the pack.
func (c *checker) regular(name string) string {
	_, msg := c.regularPath(name)
	return msg
}

// regularPath is regular that also returns the symlink-free path to open.
func (c *checker) regularPath(name string) (string, string) {
	resolved, info, err := resolve(c.fsys, name)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, errNotDir):
		return "", name + " is missing"
	case errors.Is(err, errLinkOutside), errors.Is(err, errLinkLoop):
		return "", fmt.Sprintf("%s %v; only links that stay inside the pack are followed", name, err)
	case err != nil:
		return "", fmt.Sprintf("cannot read %s: %v", name, err)
	case info.IsDir():
		return "", name + " is a directory, not a file"
	case !info.Mode().IsRegular():
		return "", fmt.Sprintf("%s is %s, not a regular file", name, kind(info.Mode()))
	}
	return resolved, ""
}

// kind names the type of a file that is neither regular nor a folder.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return fmt.Sprintf("a special file (%v)", m.Type())
}

// read returns the bytes of a regular file of the pack, or why it cannot,
// refusing files over the size cap.
func (c *checker) read(name string) ([]byte, string) {
	resolved, msg := c.regularPath(name)
	if msg != "" {
		return nil, msg
	}
	f, err := c.fsys.Open(resolved)
	if err != nil {
		return nil, fmt.Sprintf("cannot read %s: %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, c.opts.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Sprintf("cannot read %s: %v", name, err)
	}
	if int64(len(b)) > c.opts.MaxFileSize {
		return nil, fmt.Sprintf("%s is larger than the cap of %d bytes", name, c.opts.MaxFileSize)
	}
	return b, ""
}

// lstat is fs.ReadLinkFS's Lstat where the file system has it, else Stat.
func lstat(fsys fs.FS, name string) (fs.FileInfo, error) {
	if rl, ok := fsys.(fs.ReadLinkFS); ok {
		return rl.Lstat(name)
	}
	return fs.Stat(fsys, name)
}
