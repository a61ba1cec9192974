package pipeline

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/pack-publish/pack-publish/internal/config"
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

// TestWithHint_redactsTheReadableDetail: the registry's error detail is
// made readable and then redacted, so that neither a secret the server
// echoes nor the rewrite can carry it into a message.
func TestWithHint_redactsTheReadableDetail(t *testing.T) {
	t.Parallel()
	r := &run{cfg: &config.Config{}, res: &Result{}, secrets: &redact.Secrets{}}
	r.secrets.Add("hunter2")
	err := fmt.Errorf("pushing: %w", &errcode.ErrorResponse{Method: "PUT", StatusCode: 401,
		URL:    &url.URL{Scheme: "https", Host: "h", Path: "/v2/p/manifests/1.0.0", RawQuery: "token=t0k3n"},
		Errors: errcode.Errors{{Code: "UNAUTHORIZED", Message: "authentication required", Detail: "password hunter2 is wrong"}}})
	got := r.withHint(err).Error()
	if strings.Contains(got, "hunter2") || strings.Contains(got, "t0k3n") {
		t.Errorf("withHint() = %q: holds a secret", got)
	}
	if !strings.Contains(got, "authentication required (password REDACTED is wrong)") {
		t.Errorf("withHint() = %q: want the detail rewritten for people, redacted", got)
	}
}
