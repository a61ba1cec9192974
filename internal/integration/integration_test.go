package integration

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSkip runs a child test with and without PACK_PUBLISH_REQUIRE_INTEGRATION
// and checks that Skip skips in the first case and fails in the second.
func TestSkip(t *testing.T) {
	if os.Getenv("INTEGRATION_CHILD") != "" {
		Skip(t, "tool %s missing", "x")
		return
	}
	t.Parallel()
	for _, tc := range []struct {
		require  string
		wantFail bool
		want     string
	}{
		{"", false, "--- SKIP: TestSkip"},
		{"1", true, "integration test cannot run (PACK_PUBLISH_REQUIRE_INTEGRATION is set): tool x missing"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSkip$", "-test.v")
		cmd.Env = append(os.Environ(), "INTEGRATION_CHILD=1", "PACK_PUBLISH_REQUIRE_INTEGRATION="+tc.require)
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != tc.wantFail {
			t.Errorf("require=%q: failed = %v, want %v\n%s", tc.require, failed, tc.wantFail, out)
		}
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("require=%q: output lacks %q:\n%s", tc.require, tc.want, out)
		}
	}
}
