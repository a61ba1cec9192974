// Package integration decides what a test does when something it needs from
// the machine (a tool on PATH, root, CAP_MKNOD) is missing: on a developer's
// machine it skips, in CI (PACK_PUBLISH_REQUIRE_INTEGRATION=1, set by
// .ci/run) it fails, so that no integration test passes by skipping.
package integration

import (
	"os"
	"testing"
)

// Required reports whether CI demands every integration test to run.
func Required() bool { return os.Getenv("PACK_PUBLISH_REQUIRE_INTEGRATION") != "" }

// Skip skips the test with the reason, or fails it when Required.
func Skip(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if Required() {
		tb.Fatalf("integration test cannot run (PACK_PUBLISH_REQUIRE_INTEGRATION is set): "+format, args...)
	}
	tb.Skipf(format, args...)
}
