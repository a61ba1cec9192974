package pack

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	link := func(target string) *fstest.MapFile {
		return &fstest.MapFile{Mode: fs.ModeSymlink, Data: []byte(target)}
	}
	fsys := fstest.MapFS{
		"a/sub/deep/f": {Data: []byte("x")},
		"a/sub/x":      {Data: []byte("x")},
		"a/link":       link("sub/deep"),
		"a/abs":        link("/etc"),
		"a/up":         link("../.."),
		"a/chain":      link("link"),
		"a/loop1":      link("loop2"),
		"a/loop2":      link("loop1"),
		"a/file-link":  link("sub/x"),
		"top":          link("a/sub/x"),
	}
	tests := []struct {
		name string
		want string
		err  error
	}{
		{"a/sub/x", "a/sub/x", nil},
		{"a/link/f", "a/sub/deep/f", nil},
		{"a/chain/f", "a/sub/deep/f", nil},
		{"a/link/../x", "a/sub/x", nil}, // .. after a link is the link target's parent, as in the kernel
		{"a/file-link", "a/sub/x", nil},
		{"top", "a/sub/x", nil},
		{"a/abs/passwd", "", errLinkOutside},
		{"a/up/x", "", errLinkOutside},
		{"a/loop1", "", errLinkLoop},
		{"a/sub/x/y", "", errNotDir},
		{"a/nothing", "", fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, info, err := resolve(fsys, tc.name)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("resolve(%q) = %q, %v; want error %v", tc.name, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want || info.Mode()&fs.ModeSymlink != 0 {
				t.Errorf("resolve(%q) = %q, %v, %v; want %q", tc.name, got, info, err, tc.want)
			}
		})
	}
}
