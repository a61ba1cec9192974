package pipeline

import (
	"strings"
	"testing"

	"github.com/pack-publish/pack-publish/internal/redact"
)

// TestRun_noticeRedacted: a notice is redacted before it is recorded and
// before Options.Notice sees it; redactResult relies on it and leaves
// notices alone.
func TestRun_noticeRedacted(t *testing.T) {
	t.Parallel()
	var handed []string
	r := &run{res: &Result{}, secrets: &redact.Secrets{}, opts: Options{Notice: func(m string) { handed = append(handed, m) }}}
	r.secrets.Add("hunter2")
	r.notice("the registry said: password hunter2 is wrong, see https://u:p@h/x?token=t")
	r.res.Packs = []PackResult{{Message: "denied for hunter2"}}
	r.redactResult()
	for _, got := range append(append([]string{}, handed...), r.res.Notices[0], r.res.Packs[0].Message) {
		if strings.Contains(got, "hunter2") || strings.Contains(got, "u:p@") || strings.Contains(got, "token=t") {
			t.Errorf("message %q holds a secret", got)
		}
	}
	if len(handed) != 1 || handed[0] != r.res.Notices[0] {
		t.Errorf("Options.Notice got %q, Result.Notices %q: want the same one redacted notice", handed, r.res.Notices)
	}
}
