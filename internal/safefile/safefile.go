// Package safefile creates the files pack-publish writes (the GitLab dotenv
// file, report-file, the oci-layout folder) so that repository content cannot
// redirect them: a symbolic link planted in the checkout, as the file itself
// or as a folder on its way, is refused with an error naming the path instead
// of being followed. Folders above the workspace (and the parents of an
// absolute path outside it) belong to the runner, not to the repository, and
// are not checked.
package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Check reports whether path could be written as a regular file: no
// symbolic link in its folders below root, and no symbolic link or special
// file at path itself. A path that does not exist yet is fine.
func Check(root, path string) error {
	if err := checkParents(root, filepath.Dir(path)); err != nil {
		return err
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link; pack-publish never writes through one: delete it or choose another path", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file (%s); choose another path", path, kind(fi.Mode()))
	}
	return nil
}

// WriteFile writes data to path (created with perm, or truncated) after
// Check, opening it with O_NOFOLLOW where the system has it.
func WriteFile(root, path string, data []byte, perm fs.FileMode) error {
	if err := Check(root, path); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|oNoFollow, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// CheckDir reports whether dir can hold files pack-publish writes: no
// symbolic link in dir or its folders below root and, when dir exists, no
// symbolic link or special file anywhere inside it (an OCI layout committed
// with index.json pointing elsewhere would otherwise be written through).
func CheckDir(root, dir string) error {
	if err := checkParents(root, dir); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a folder (%s); choose another path", dir, kind(fi.Mode()))
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch t := d.Type(); {
		case t&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link inside %s; pack-publish never writes through one: delete it or choose another folder", p, dir)
		case !t.IsDir() && !t.IsRegular():
			return fmt.Errorf("%s inside %s is not a regular file (%s); choose another folder", p, dir, kind(t))
		}
		return nil
	})
}

// checkParents refuses a symbolic link (or a file) among the existing
// folders from root down to dir. Nothing is checked when dir is not below
// root.
func checkParents(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return nil
	}
	cur := root
	for _, c := range strings.Split(rel, string(filepath.Separator)) {
		if c == "." || c == "" {
			continue
		}
		cur = filepath.Join(cur, c)
		fi, err := os.Lstat(cur)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil // the rest is created by us, or the write fails
		case err != nil:
			return err
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link; pack-publish never writes through one: delete it or choose another path", cur)
		case !fi.IsDir():
			return fmt.Errorf("%s is not a folder (%s); choose another path", cur, kind(fi.Mode()))
		}
	}
	return nil
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsRegular():
		return "a file"
	}
	return "a special file"
}
