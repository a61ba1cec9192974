package safefile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// setup makes a workspace and a victim file outside it; plant runs in the
// workspace. It returns the workspace and the victim.
func setup(t *testing.T, plant func(ws, victim string)) (string, string) {
	t.Helper()
	dir := t.TempDir()
	ws, outside := filepath.Join(dir, "ws"), filepath.Join(dir, "outside")
	for _, d := range []string{ws, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	victim := filepath.Join(outside, ".profile")
	if err := os.WriteFile(victim, []byte("# original\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plant(ws, victim)
	return ws, victim
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestWriteFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		plant   func(t *testing.T, ws, victim string)
		file    string // relative to ws, or absolute when it starts with "/"
		wantErr string // "" when the write must succeed
	}{
		{"new file", func(*testing.T, string, string) {}, "pack-publish.env", ""},
		{"existing file is replaced", func(t *testing.T, ws, _ string) {
			if err := os.WriteFile(filepath.Join(ws, "report.json"), []byte("old old old old"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "report.json", ""},
		{"symlink to a file outside", func(t *testing.T, ws, victim string) {
			symlink(t, victim, filepath.Join(ws, "pack-publish.env"))
		}, "pack-publish.env", "pack-publish.env is a symbolic link"},
		{"relative symlink inside the workspace", func(t *testing.T, ws, _ string) {
			if err := os.WriteFile(filepath.Join(ws, "config"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			symlink(t, "config", filepath.Join(ws, "report.json"))
		}, "report.json", "report.json is a symbolic link"},
		{"dangling symlink", func(t *testing.T, ws, victim string) {
			symlink(t, victim+".new", filepath.Join(ws, "report.json"))
		}, "report.json", "is a symbolic link"},
		{"symlinked parent folder", func(t *testing.T, ws, victim string) {
			symlink(t, filepath.Dir(victim), filepath.Join(ws, "out"))
		}, "out/.profile", "out is a symbolic link"},
		{"symlinked grandparent folder", func(t *testing.T, ws, victim string) {
			symlink(t, filepath.Dir(filepath.Dir(victim)), filepath.Join(ws, "a"))
		}, "a/outside/.profile", "/a is a symbolic link"},
		{"a folder in the way", func(t *testing.T, ws, _ string) {
			if err := os.Mkdir(filepath.Join(ws, "report.json"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, "report.json", "not a regular file (a folder)"},
		{"a named pipe", func(t *testing.T, ws, _ string) {
			if err := syscall.Mkfifo(filepath.Join(ws, "report.json"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "report.json", "not a regular file (a named pipe)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws, victim := setup(t, func(ws, victim string) { tc.plant(t, ws, victim) })
			file := filepath.Join(ws, tc.file)
			err := WriteFile(ws, file, []byte("PACK_PUBLISH_X=1\n"), 0o644)
			if b, _ := os.ReadFile(victim); string(b) != "# original\n" {
				t.Errorf("the file outside the workspace was overwritten: %q", b)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("WriteFile() = %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("WriteFile() = %v", err)
			}
			if b, _ := os.ReadFile(file); string(b) != "PACK_PUBLISH_X=1\n" {
				t.Errorf("file holds %q", b)
			}
		})
	}
}

// An absolute path outside the workspace is the user's choice: its folders
// are not the repository's and may be links (macOS's /tmp is one).
func TestWriteFile_absoluteOutsideWorkspace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, real, filepath.Join(dir, "tmp"))
	ws := filepath.Join(dir, "ws")
	if err := os.Mkdir(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(ws, filepath.Join(dir, "tmp", "report.json"), []byte("{}"), 0o644); err != nil {
		t.Fatalf("WriteFile() = %v", err)
	}
	if _, err := os.Stat(filepath.Join(real, "report.json")); err != nil {
		t.Fatal(err)
	}
}

func TestCheckDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		plant   func(t *testing.T, ws, victim string)
		dir     string
		wantErr string
	}{
		{"missing folder", func(*testing.T, string, string) {}, "out/oci", ""},
		{"existing layout", func(t *testing.T, ws, _ string) {
			if err := os.MkdirAll(filepath.Join(ws, "out/oci/blobs/sha256"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(ws, "out/oci/index.json"), []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "out/oci", ""},
		{"symlinked parent", func(t *testing.T, ws, victim string) {
			symlink(t, filepath.Dir(victim), filepath.Join(ws, "out"))
		}, "out/oci", "out is a symbolic link"},
		{"symlinked layout folder", func(t *testing.T, ws, victim string) {
			symlink(t, filepath.Dir(victim), filepath.Join(ws, "out/oci"))
		}, "out/oci", "out/oci is a symbolic link"},
		{"symlinked index.json inside", func(t *testing.T, ws, victim string) {
			symlink(t, victim, filepath.Join(ws, "out/oci/index.json"))
		}, "out/oci", "index.json is a symbolic link inside"},
		{"symlinked blobs folder inside", func(t *testing.T, ws, victim string) {
			symlink(t, filepath.Dir(victim), filepath.Join(ws, "out/oci/blobs"))
		}, "out/oci", "blobs is a symbolic link inside"},
		{"a file in the way", func(t *testing.T, ws, _ string) {
			if err := os.WriteFile(filepath.Join(ws, "out"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "out/oci", "out is not a folder (a file)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws, _ := setup(t, func(ws, victim string) { tc.plant(t, ws, victim) })
			err := CheckDir(ws, filepath.Join(ws, tc.dir))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckDir() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("CheckDir() = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
