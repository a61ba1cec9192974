package action

import (
	"strings"
	"testing"

	"github.com/pack-publish/pack-publish/internal/pack"
)

// TestGitHub_findingLevels: each validation level becomes its own
// annotation kind, so notices never show as errors.
func TestGitHub_findingLevels(t *testing.T) {
	t.Parallel()
	for sev, want := range map[pack.Severity]string{
		pack.SeverityError:   "::error file=packs/a/pack.json,title=F5::",
		pack.SeverityWarning: "::warning file=packs/a/pack.json,title=F5::",
		pack.SeverityNotice:  "::notice file=packs/a/pack.json,title=F5::",
	} {
		var out strings.Builder
		env := map[string]string{"GITHUB_ACTIONS": "true"}
		fe := newFrontend(frontendOptions{getenv: func(k string) string { return env[k] }, stdout: &out, stderr: &out})
		fe.problem(pack.Finding{Rule: "F5", Severity: sev, File: "packs/a/pack.json", Message: "m"})
		if !strings.HasPrefix(out.String(), want) {
			t.Errorf("%s finding printed %q, want it to start with %q", sev, out.String(), want)
		}
	}
}
