package pack

import (
	"io/fs"
	"testing/fstest"
)

// mapFS is a one-level in-memory pack for fuzzing.
type mapFS map[string][]byte

func (m mapFS) Open(name string) (fs.File, error) {
	fsys := fstest.MapFS{}
	for k, v := range m {
		fsys[k] = &fstest.MapFile{Data: v}
	}
	return fsys.Open(name)
}
