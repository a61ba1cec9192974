package palette

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// maxBody bounds what is read of one answer: a pack lookup carries the
// values and README of every version of the pack, the registry list one
// entry per registry.
const maxBody = 64 << 20

// errTooLarge: an answer beyond maxBody; asking again would not help.
var errTooLarge = fmt.Errorf("answer larger than %d MiB", maxBody>>20)

// maxAnswer bounds how much of Palette's answer an error quotes.
const maxAnswer = 300

// transientAttempts is how many times a request that met a network error or
// a 5xx answer is sent before giving up. 429 answers are retried until the
// step's deadline instead.
const transientAttempts = 4

// HTTPError is an answer from Palette that is not a success.
type HTTPError struct {
	Op     string // what was being done: "listing OCI registries"
	Method string
	Path   string // without query
	Status int
	Answer string // Palette's answer, quoted, redacted, single line
	Hint   string // what to do next
}

func (e *HTTPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s: HTTP %d %s", e.Op, e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Answer != "" {
		fmt.Fprintf(&b, ", Palette answered %s", e.Answer)
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}

// client sends the API calls: one base URL, the key, retries and timeouts.
type client struct {
	base       *url.URL
	key        string
	ua         string
	hc         *http.Client
	reqTimeout time.Duration
	poll       time.Duration // first backoff step
	maxPoll    time.Duration
	redact     func(string) string
	logf       func(string, ...any)
}

// call sends one API call, retrying 429 (after Retry-After), 5xx and
// network errors, and decodes a successful JSON answer into out (nil: the
// body is ignored). A 404 is returned as an *HTTPError like any other
// refusal. It is not oras-go's retry.Transport, which caps every wait at
// MaxWait and counts 429s against MaxRetry: Palette's rate limit is waited
// out (Retry-After in seconds or as a date) until palette-timeout, and said
// so in the log and in the error when it lasts beyond.
func (c *client) call(ctx context.Context, op, method, path string, query url.Values, out any) error {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = query.Encode()
	transient := 0
	var last error
	for {
		status, header, body, err := c.once(ctx, method, u.String())
		switch {
		case errors.Is(err, errTooLarge):
			return fmt.Errorf("%s: %s %s: %w; check palette-url", op, method, path, err)
		case err != nil:
			if ctx.Err() != nil {
				return c.expired(ctx, op, last)
			}
			transient++
			if errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("Palette did not answer within %s (%w); check palette-url and that this runner can reach it", c.reqTimeout, err)
			}
			last = fmt.Errorf("%s: %s %s: %w", op, method, path, c.cleanErr(err))
			if transient >= transientAttempts {
				return last
			}
			if !c.sleep(ctx, c.backoff(transient)) {
				return c.expired(ctx, op, last)
			}
			continue
		case status >= 200 && status < 300:
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(body, out); err != nil {
				return fmt.Errorf("%s: %s %s: Palette's answer is not the JSON expected: %w; check palette-url (the API root, e.g. https://api.spectrocloud.com)", op, method, path, err)
			}
			return nil
		}
		herr := &HTTPError{Op: op, Method: method, Path: path, Status: status, Answer: c.answer(body)}
		switch {
		case status == http.StatusTooManyRequests:
			last = herr
			wait, ok := retryAfter(header.Get("Retry-After"), time.Now())
			if !ok {
				transient++
				wait = c.backoff(transient)
			}
			if dl, has := ctx.Deadline(); has && time.Until(dl) < wait {
				herr.Hint = fmt.Sprintf("Palette asks to wait %s before the next request, beyond palette-timeout; many jobs behind one IP address share Palette's rate limit: retry later", wait.Round(time.Second))
				return herr
			}
			c.logf("palette: Palette is rate limiting (429): waiting %s", wait.Round(10*time.Millisecond))
			if !c.sleep(ctx, wait) {
				return c.expired(ctx, op, herr)
			}
			continue
		case status >= 500 && status != http.StatusNotImplemented:
			transient++
			herr.Hint = "Palette failed to answer; retry later, and check Palette's status page"
			last = herr
			if transient >= transientAttempts {
				return herr
			}
			if !c.sleep(ctx, c.backoff(transient)) {
				return c.expired(ctx, op, herr)
			}
			continue
		}
		herr.Hint = hintFor(status)
		return herr
	}
}

// once sends one request with its own timeout and reads the answer.
func (c *client) once(ctx context.Context, method, u string) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.reqTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("ApiKey", c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, nil, nil, err
	}
	if len(body) > maxBody {
		return 0, nil, nil, errTooLarge
	}
	return resp.StatusCode, resp.Header, body, nil
}

// errTimeout is the cause of the step's context when palette-timeout
// expires.
var errTimeout = errors.New("palette-timeout expired")

// expired explains a context that ended: the step's palette-timeout, or the
// run being interrupted or timing out.
func (c *client) expired(ctx context.Context, op string, last error) error {
	cause := context.Cause(ctx)
	if last != nil {
		return fmt.Errorf("%s: %w (last answer: %s)", op, cause, c.redact(last.Error()))
	}
	return fmt.Errorf("%s: %w", op, cause)
}

// cleanErr keeps a transport error's text but never the key (the key is
// not in URLs, but an error may quote anything).
func (c *client) cleanErr(err error) error {
	if s := c.redact(err.Error()); s != err.Error() {
		return errors.New(s)
	}
	return err
}

// answer renders Palette's error body ({code, message, ...} per the spec,
// anything else quoted as it came) on one line, redacted and bounded.
func (c *client) answer(body []byte) string {
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	s := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &e) == nil && (e.Code != "" || e.Message != "") {
		s = strings.TrimPrefix(e.Code+": "+e.Message, ": ")
		s = strings.TrimSuffix(s, ": ")
	}
	s = c.clean(s)
	if s == "" {
		return ""
	}
	return strconv.Quote(truncate(s, maxAnswer))
}

// clean makes server text safe to quote: one line, then redacted (in that
// order: dropping characters could join the pieces of a secret).
func (c *client) clean(s string) string { return c.redact(oneLine(s)) }

// oneLine drops control characters and collapses white space, so that a
// server's text cannot forge log lines or workflow commands.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r) || r == unicode.ReplacementChar:
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// hintFor says what to do about a refusal.
func hintFor(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "Palette refused the API key: set palette-api-key to a valid, unexpired key of this tenant (Palette: user menu > My API Keys), and check palette-url"
	case http.StatusForbidden:
		return "the API key's user may not do this: syncing a registry needs a key of a tenant admin (Tenant Settings > Users, role Tenant Admin, or a role with the packRegistry get, list and update permissions)"
	case http.StatusNotFound:
		return "not found: check palette-registry (the name or UID shown in Palette under Tenant Settings > Registries > OCI Registries) and palette-url (self-hosted Palette: https://<palette-host>)"
	}
	return "check palette-url and that it is Palette's API (https://api.spectrocloud.com, or https://<palette-host> when self-hosted)"
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// backoff is the wait before attempt n (1, 2, ...): c.poll doubled n-1
// times, at most c.maxPoll, with ±20% jitter so that parallel jobs spread
// out.
func (c *client) backoff(n int) time.Duration {
	d := c.poll
	for i := 1; i < n && d < c.maxPoll; i++ {
		d *= 2
	}
	d = min(d, c.maxPoll)
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(d))
	return d + jitter
}

// sleep waits d or until ctx ends; false when ctx ended.
func (c *client) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
