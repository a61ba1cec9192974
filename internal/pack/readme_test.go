package pack

import (
	"os"
	"regexp"
	"testing"
)

// TestREADME_rules fails when the README's table of validation rules drifts
// from the rule registry; run with -update to regenerate it.
func TestREADME_rules(t *testing.T) {
	const readme = "../../README.md"
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?s)<!-- rules:start -->\n.*?<!-- rules:end -->`)
	if !re.Match(b) {
		t.Fatal("README.md has no <!-- rules:start --> ... <!-- rules:end --> section")
	}
	want := re.ReplaceAllLiteral(b, []byte("<!-- rules:start -->\n"+RulesTable()+"<!-- rules:end -->"))
	if string(want) == string(b) {
		return
	}
	if *update {
		if err := os.WriteFile(readme, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's rule table differs from the registry (rules.go); run: go test ./internal/pack -run TestREADME -update")
}
