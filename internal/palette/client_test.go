package palette

import (
	"strings"
	"testing"
	"time"
	"unicode"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"Fri, 02 Jan 2026 03:04:35 GMT", 30 * time.Second, true},
		{"Fri, 02 Jan 2026 03:00:00 GMT", 0, true}, // in the past: at once
	} {
		got, ok := retryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %s, %v; want %s, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPhaseOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]phase{
		"Completed": phaseDone, "success": phaseDone, "SUCCESS": phaseDone,
		"InProgress": phaseRunning, "Running": phaseRunning, "syncing": phaseRunning, "Queued": phaseRunning,
		"Failed": phaseFailed, "Error": phaseFailed, "aborted": phaseFailed, "PartialFailure": phaseFailed,
		"": phaseUnknown, "Active": phaseUnknown,
	} {
		if got := phaseOf(in); got != want {
			t.Errorf("phaseOf(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestSplitEndpoint(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]string{
		"https://harbor.example.com":                   {"harbor.example.com", ""},
		"https://Harbor.Example.com:443/":              {"harbor.example.com", ""},
		"harbor.example.com:8443/team-a/":              {"harbor.example.com:8443", "team-a"},
		"123456789012.dkr.ecr.us-east-1.amazonaws.com": {"123456789012.dkr.ecr.us-east-1.amazonaws.com", ""},
		" http://10.0.0.5:5000//a/../b ":               {"10.0.0.5:5000", "b"},
	} {
		h, p := splitEndpoint(in)
		if h != want[0] || p != want[1] {
			t.Errorf("splitEndpoint(%q) = %q, %q; want %q, %q", in, h, p, want[0], want[1])
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	c := &client{poll: 500 * time.Millisecond, maxPoll: 10 * time.Second}
	for n, base := range map[int]time.Duration{1: 500 * time.Millisecond, 2: time.Second, 3: 2 * time.Second, 6: 10 * time.Second, 40: 10 * time.Second} {
		for range 20 {
			if d := c.backoff(n); d < base*8/10 || d > base*12/10 {
				t.Errorf("backoff(%d) = %s, want %s ±20%%", n, d, base)
			}
		}
	}
}

// FuzzAnswer: whatever Palette answers, the quoted text is one bounded line
// without control characters or the key.
func FuzzAnswer(f *testing.F) {
	const key = "pk-0123456789abcdef"
	for _, s := range []string{`{"code":"Unauthorized","message":"bad key pk-0123456789abcdef"}`, "plain\ntext\x1b[31m", `{"code":""}`, "::error::x", ""} {
		f.Add(s)
	}
	c := &client{redact: func(s string) string { return strings.ReplaceAll(s, key, "REDACTED") }}
	f.Fuzz(func(t *testing.T, body string) {
		got := c.answer([]byte(body))
		if strings.Contains(got, key) {
			t.Fatalf("answer(%q) = %q holds the key", body, got)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return unicode.IsControl(r) }) {
			t.Fatalf("answer(%q) = %q holds a control character", body, got)
		}
		if len(got) > 3*maxAnswer {
			t.Fatalf("answer(%q) is %d bytes long", body, len(got))
		}
	})
}

// FuzzParseURL: an accepted palette-url is https (or http to a loopback
// address), has a host and carries no credentials, query or fragment.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"https://api.spectrocloud.com", "palette.example.com", "http://127.0.0.1:1", "https://u:p@h", "http://h", "https://h/p?q#f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURL(s)
		if err != nil {
			return
		}
		if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
			!(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())) {
			t.Fatalf("ParseURL(%q) accepted %q", s, u)
		}
	})
}
