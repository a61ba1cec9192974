package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLoad_typos: a misspelt flag or variable, a repeated flag or a boolean
// written the wrong way never falls back to a default.
func TestLoad_typos(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    []string // substrings of the error; none: no error
	}{
		{"misspelt flag", []string{"--packsdir", "p"}, nil, []string{"unknown flag --packsdir; did you mean --packs-dir?"}},
		{"single dash flag", []string{"-dryrun"}, nil, []string{"unknown flag --dryrun; did you mean --dry-run?"}},
		{"far-off flag", []string{"--frobnicate"}, nil, []string{"unknown flag --frobnicate; run pack-publish --help"}},
		{"flag twice", []string{"--packs-dir", "a", "--packs-dir", "b"}, nil, []string{"--packs-dir is given twice"}},
		{"bool flag twice", []string{"--dry-run", "--dry-run=false"}, nil, []string{"--dry-run is given twice"}},
		{"misspelt variable", nil, []string{"PACK_PUBLISH_DRYRUN=true"}, []string{"PACK_PUBLISH_DRYRUN names no input; did you mean PACK_PUBLISH_DRY_RUN?"}},
		{"variable with a typo", nil, []string{"PACK_PUBLISH_PACKSDIR=x"}, []string{"did you mean PACK_PUBLISH_PACKS_DIR?"}},
		{"far-off variable", nil, []string{"PACK_PUBLISH_COLOUR=red"}, []string{"PACK_PUBLISH_COLOUR names no input; inputs are PACK_PUBLISH_<NAME>"}},
		{"bool space form, not a bool", []string{"--strict", "yes"}, nil, []string{`input strict: "yes" is not true or false; write --strict, --strict=true or --strict false`}},
		{"dry-run yes, reported once", []string{"--dry-run=yes"}, []string{"PACK_PUBLISH_DRY_RUN="}, []string{`input dry-run: "yes" is not true or false`}},
		{"bad timeout", []string{"--timeout", "30"}, nil, []string{`input timeout: "30" is not a positive Go duration`}},
		{"negative timeout", []string{"--timeout", "-5m"}, nil, []string{"input timeout:"}},
		{"inherited outputs", nil, []string{"PACK_PUBLISH_PUBLISHED=[]", "PACK_PUBLISH_ANY_CHANGED=false", "PACK_PUBLISH_TRUNCATED=true", "PACK_PUBLISH_DRY_RUN=true"}, nil},
		{"unrelated variables", nil, []string{"PACK_PUBLISHED=1", "HOME=/root"}, nil},
		// .ci/run and the workflows export these; the binaries the tests start inherit them
		{"CI settings", nil, []string{"PACK_PUBLISH_REQUIRE_INTEGRATION=1", "PACK_PUBLISH_COVERAGE=/x", "PACK_PUBLISH_IMAGE_TEST=0"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			environ := append([]string{"PACK_PUBLISH_DRY_RUN=true"}, tc.environ...)
			getenv := func(k string) string {
				for _, kv := range environ {
					if key, v, _ := strings.Cut(kv, "="); key == k {
						return v
					}
				}
				return ""
			}
			_, err := Load(spec, Source{Args: tc.args, Getenv: getenv, Environ: environ, Dir: "/work"})
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Load() = %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Load() = nil error, want one")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load() error = %q, want it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "input registry: required") {
				t.Errorf("Load() error = %q: a follow-on error", err)
			}
		})
	}
}

func TestLoad_flagForms(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	tests := []struct {
		name string
		args []string
		want func(*Config) bool
	}{
		{"bool space form true", []string{"--dry-run", "--strict", "true"}, func(c *Config) bool { return c.Strict }},
		{"bool space form False", []string{"--dry-run", "--strict", "False", "--detect", "all"}, func(c *Config) bool { return !c.Strict && c.Detect == "all" }},
		{"value that looks like a flag", []string{"--dry-run", "--base", "--x"}, func(c *Config) bool { return c.Base == "--x" }},
		{"timeout default", []string{"--dry-run"}, func(c *Config) bool { return c.Timeout == 30*time.Minute }},
		{"timeout", []string{"--dry-run", "--timeout", "90s"}, func(c *Config) bool { return c.Timeout == 90*time.Second }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(spec, Source{Args: tc.args, Dir: "/work"})
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			if !tc.want(c) {
				t.Errorf("Load(%q) = %+v", tc.args, c)
			}
		})
	}
}

func TestLoad_githubWarnings(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	environ := []string{"GITHUB_ACTIONS=true", "INPUT_DRY-RUN=true", "INPUT_PACKS_DIR=p", "INPUT_PACKSDIR=x", "INPUT_COLOUR=red"}
	getenv := func(k string) string {
		for _, kv := range environ {
			if key, v, _ := strings.Cut(kv, "="); key == k {
				return v
			}
		}
		return ""
	}
	c, err := Load(spec, Source{Getenv: getenv, Environ: environ, Dir: "/work"})
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	want := []string{
		`INPUT_PACKSDIR: pack-publish has no input "packsdir"; it is ignored (did you mean packs-dir?)`,
		`INPUT_COLOUR: pack-publish has no input "colour"; it is ignored`,
	}
	if strings.Join(c.Warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("Warnings = %q, want %q", c.Warnings, want)
	}
}

func TestLoad_versionAndPasswordStdin(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	if _, err := Load(spec, Source{Args: []string{"--version"}, Dir: "/work"}); !errors.Is(err, ErrVersion) {
		t.Errorf("Load(--version) = %v, want ErrVersion", err)
	}
	tests := []struct {
		name, stdin string
		args        []string
		want        string // password, or an error substring
		wantErr     bool
	}{
		{"line break dropped", "s3 cret\n", nil, "s3 cret", false},
		{"crlf dropped", "pw\r\n", nil, "pw", false},
		{"empty", "\n", nil, "standard input is empty", true},
		{"both", "pw", []string{"--password", "x"}, "--password and --password-stdin are both given", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--dry-run", "--username", "u", "--password-stdin"}, tc.args...)
			c, err := Load(spec, Source{Args: args, Stdin: strings.NewReader(tc.stdin), Dir: "/work"})
			switch {
			case tc.wantErr && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Load() = %v, want an error containing %q", err, tc.want)
			case !tc.wantErr && err != nil:
				t.Errorf("Load() = %v", err)
			case !tc.wantErr && c.Password != tc.want:
				t.Errorf("Password = %q, want %q", c.Password, tc.want)
			}
		})
	}
}

// TestOtherVariables: every PACK_PUBLISH_* name the repository's CI,
// scripts and examples use is an input, an output or in otherVariables, so
// that a binary started under them does not stop as if it met a typo.
func TestOtherVariables(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	known := map[string]bool{}
	for _, in := range spec.Inputs {
		known[envName(in.Name)] = true
	}
	for _, out := range spec.Outputs {
		known[envName(out.Name)] = true
	}
	for _, n := range otherVariables {
		known[n] = true
	}
	re := regexp.MustCompile(`PACK_PUBLISH_([A-Z0-9_]+)`)
	for _, root := range []string{"../../.ci", "../../.github", "../../scripts", "../../examples"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				if !known[m[1]] {
					t.Errorf("%s uses PACK_PUBLISH_%s, which pack-publish would reject: add it to otherVariables or rename it", p, m[1])
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
}
