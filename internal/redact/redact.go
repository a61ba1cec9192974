package redact

import (
	"cmp"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Marker replaces every secret.
const Marker = "REDACTED"

// Secrets is the list of secrets of one run. The zero value is usable; it
// is safe for concurrent use.
type Secrets struct {
	// Mask, when set, is called once with every secret as it is added, before
	// anything can print it (GitHub's ::add-mask::).
	Mask func(secret string)

	mu   sync.Mutex
	list []string // longest first
}

// Add puts secrets on the list (empty strings and repeats are ignored) and
// masks each new one.
func (s *Secrets) Add(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range secrets {
		if v == "" || slices.Contains(s.list, v) {
			continue
		}
		if s.Mask != nil {
			s.Mask(v)
		}
		s.list = append(s.list, v)
	}
	// Longest first, so that a secret containing another is replaced whole.
	slices.SortStableFunc(s.list, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
}

func (s *Secrets) snapshot() []string {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.list)
}

// String returns text with every listed secret and everything the rules
// recognise replaced by Marker. A nil *Secrets applies the rules only.
func (s *Secrets) String(text string) string {
	return String(text, s.snapshot()...)
}

// Error returns err with its message redacted like String; see [Error].
func (s *Secrets) Error(err error) error {
	return Error(err, s.snapshot()...)
}

// Error returns err with secrets removed from its message: every non-empty
// string in secrets, and what the rules recognise (see [String]). The result
// still unwraps to err, so errors.Is and errors.As work, and the URLs held by
// *url.Error and *errcode.ErrorResponse in the chain are redacted in place.
// Error(nil) is nil.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	redactChain(err)
	msg := String(err.Error(), secrets...)
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactChain redacts URLs held by the errors of the chain (a tree).
func redactChain(err error) {
	for err != nil {
		switch e := err.(type) {
		case *url.Error:
			e.URL = URL(e.URL)
		case *errcode.ErrorResponse:
			if e.URL != nil {
				e.URL, _ = url.Parse(URL(e.URL.String()))
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				redactChain(e)
			}
			return
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		default:
			return
		}
	}
}

var (
	urlPattern  = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)
	authHeader  = regexp.MustCompile(`(?i)(authorization"?\s*[:=]\s*"?)[^"\n]+`)
	schemeToken = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/-]{16,}=*`)
	secretField = regexp.MustCompile(`(?i)("(?:access_token|refresh_token|id_token|token|password|secret)"\s*:\s*"?|\b(?:access_token|refresh_token|id_token|token|password|secret)=)[^\s"&,;}]+`)
)

// String returns text with every non-empty string in secrets replaced by
// Marker, and with these rules applied: URLs lose their userinfo and
// fragment and have their query values replaced ([URL]); Authorization
// header values, bearer and basic tokens, and token, password and secret
// fields (JSON or key=value) become Marker.
func String(text string, secrets ...string) string {
	secrets = slices.Clone(secrets)
	slices.SortStableFunc(secrets, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, secret := range secrets {
		if secret != "" {
			text = strings.ReplaceAll(text, secret, Marker)
		}
	}
	text = urlPattern.ReplaceAllStringFunc(text, func(u string) string {
		trimmed := strings.TrimRight(u, ".,:;)")
		return URL(trimmed) + u[len(trimmed):]
	})
	text = authHeader.ReplaceAllString(text, "${1}"+Marker)
	text = schemeToken.ReplaceAllString(text, "${1}${2}"+Marker)
	text = secretField.ReplaceAllStringFunc(text, func(m string) string {
		key := secretField.FindStringSubmatch(m)[1]
		value := m[len(key):]
		trimmed := strings.TrimRight(value, ".,:;)")
		return key + Marker + value[len(trimmed):]
	})
	// Once more: re-encoding a URL's query decodes what was percent-encoded,
	// which may spell a secret.
	for _, secret := range secrets {
		if secret != "" {
			text = strings.ReplaceAll(text, secret, Marker)
		}
	}
	return text
}

// URL drops the userinfo and fragment of a URL and replaces its query
// values by Marker; what cannot be parsed keeps only its scheme.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.Index(raw, "://"); i >= 0 {
			return raw[:i+3] + Marker
		}
		return Marker
	}
	if u.User == nil && u.RawQuery == "" && u.Fragment == "" {
		return raw
	}
	u.User, u.Fragment, u.RawFragment = nil, "", ""
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{Marker}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
