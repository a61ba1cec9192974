package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDepcheck keeps the shape of the code: only internal/action talks to
// GitHub (go-githubactions), and no core package imports a front end.
func TestDepcheck(t *testing.T) {
	t.Parallel()
	const gha = "github.com/sethvargo/go-githubactions"
	err := filepath.WalkDir("internal", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(p))
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case path == gha && pkg != "internal/action":
				t.Errorf("%s imports %s; only internal/action may", p, gha)
			case strings.HasSuffix(path, "/internal/action") && pkg != "internal/action":
				t.Errorf("%s imports the front end internal/action", p)
			case strings.HasSuffix(path, "test") && strings.Contains(path, "/internal/"):
				t.Errorf("%s imports the test helper %s outside tests", p, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
