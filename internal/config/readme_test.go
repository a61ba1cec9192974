package config

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "update golden files (here: the README tables)")

// TestREADME_tables fails when the README's inputs or outputs tables drift
// from action.yml; run with -update to regenerate them.
func TestREADME_tables(t *testing.T) {
	spec := loadSpec(t)
	const readme = "../../README.md"
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	want := got
	for _, sec := range []struct{ name, table string }{{"inputs", spec.InputsTable()}, {"outputs", spec.OutputsTable()}} {
		re := regexp.MustCompile(`(?s)<!-- ` + sec.name + `:start -->\n.*?<!-- ` + sec.name + `:end -->`)
		if !re.MatchString(want) {
			t.Fatalf("README.md has no <!-- %s:start --> ... <!-- %s:end --> section", sec.name, sec.name)
		}
		want = re.ReplaceAllLiteralString(want, "<!-- "+sec.name+":start -->\n"+sec.table+"<!-- "+sec.name+":end -->")
	}
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(readme, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md tables differ from action.yml; run: go test ./internal/config -run TestREADME -update")
}

// TestSpec_inputsAreRead checks that every input declared in action.yml is
// read by Load, and Load reads no undeclared input (it panics on those).
func TestSpec_inputsAreRead(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	src, err := os.ReadFile("config.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range spec.Inputs {
		if !strings.Contains(string(src), `"`+in.Name+`"`) {
			t.Errorf("input %q is declared in action.yml but config.go never reads it", in.Name)
		}
	}
}

// The README tables, rendered from the spec.
// InputsTable renders the README's inputs table from the spec.
func (s Spec) InputsTable() string {
	var b strings.Builder
	b.WriteString("| input | default | description |\n|---|---|---|\n")
	for _, in := range s.Inputs {
		def := ""
		if in.Default != "" {
			def = "`" + in.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", in.Name, def, cell(in.Description))
	}
	return b.String()
}

// OutputsTable renders the README's outputs table from the spec.
func (s Spec) OutputsTable() string {
	var b strings.Builder
	b.WriteString("| output | description |\n|---|---|\n")
	for _, o := range s.Outputs {
		fmt.Fprintf(&b, "| `%s` | %s |\n", o.Name, cell(o.Description))
	}
	return b.String()
}

func cell(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(strings.ReplaceAll(s, "\n", " ")), "|", `\|`)
}
