//go:build unix

package pack

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoad_specialFiles: a FIFO (which would block a reader forever) or a
// socket where a file belongs is reported, never opened.
func TestLoad_specialFiles(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"pack.json", "values.yaml", "logo.png", "manifests/hello-universe.yaml"} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			must(t, os.CopyFS(dir, os.DirFS("../../testdata/packs/hello-universe")))
			must(t, os.Remove(filepath.Join(dir, file)))
			must(t, syscall.Mkfifo(filepath.Join(dir, file), 0o644))
			_, findings := Load(t.Context(), os.DirFS(dir), Options{})
			if len(findings) != 1 || !strings.Contains(findings[0].Message, file+" is a named pipe (FIFO), not a regular file") {
				t.Errorf("Load() findings = %v; want one saying %s is not a regular file", findings, file)
			}
		})
	}
}
