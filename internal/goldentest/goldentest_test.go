package goldentest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing; its
// Fatal ends the goroutine, as testing's does.
type recorder struct {
	testing.TB
	errors, fatals []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, format)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, format)
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) { r.Fatalf("fatal") }

// check runs Check on its own goroutine, which a Fatal ends.
func check(r *recorder, file, got string, update bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		Check(r, file, got, update)
	}()
	<-done
}

func TestCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "x.golden.txt")
	if err := os.WriteFile(file, []byte("same\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, got string
		update          bool
		errs, fatals    int
	}{
		{"equal", file, "same\n", false, 0, 0},
		{"different", file, "other\n", false, 1, 0},
		{"missing", filepath.Join(dir, "missing.txt"), "x", false, 0, 1},
	} {
		r := &recorder{TB: t}
		check(r, tc.file, tc.got, tc.update)
		if len(r.errors) != tc.errs || len(r.fatals) != tc.fatals {
			t.Errorf("%s: %d errors and %d fatals, want %d and %d", tc.name, len(r.errors), len(r.fatals), tc.errs, tc.fatals)
		}
	}
}

func TestCheck_update(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "new.golden.txt")
	r := &recorder{TB: t}
	check(r, file, "fresh\n", true)
	b, err := os.ReadFile(file)
	if err != nil || string(b) != "fresh\n" || len(r.errors)+len(r.fatals) > 0 {
		t.Fatalf("after update: %q, %v, %v %v", b, err, r.errors, r.fatals)
	}
	check(r, file, "fresh\n", false)
	if len(r.errors)+len(r.fatals) > 0 {
		t.Errorf("the rewritten file does not match: %v", r.errors)
	}
}
