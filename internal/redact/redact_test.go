package redact

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

func TestError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		err     error
		secrets []string
		want    string
	}{
		{"query and userinfo",
			&url.Error{Op: "Get", URL: "https://user:hunter2@s3.example.com/blob?X-Amz-Signature=abc123&X-Amz-Security-Token=tok", Err: errors.New("EOF")},
			nil, `Get "https://s3.example.com/blob?X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED": EOF`},
		{"error response URL",
			fmt.Errorf("fetching: %w", &errcode.ErrorResponse{Method: "GET", StatusCode: 403, URL: &url.URL{Scheme: "https", Host: "h", Path: "/v2/x", RawQuery: "_state=secretstate"}}),
			nil, `fetching: GET "https://h/v2/x?_state=REDACTED": response status code 403: Forbidden`},
		{"bare URL with trailing colon", errors.New("put https://h/u?digest=sha256:1&token=t0k3n: reset"), nil, "put https://h/u?digest=REDACTED&token=REDACTED: reset"},
		{"authorization header", errors.New("sent Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"), nil, "sent Authorization: REDACTED"},
		{"bearer token", errors.New("token Bearer eyJhbGciOiJIUzI1NiJ9.e30.signature rejected"), nil, "token Bearer REDACTED rejected"},
		{"json token", errors.New(`decoding {"token":"abc.def","expires_in":60}`), nil, `decoding {"token":"REDACTED","expires_in":60}`},
		{"password field", errors.New("login password=hunter2 failed"), nil, "login password=REDACTED failed"},
		{"known secret", errors.New("robot$ci:s3cr3t-Pa55 refused"), []string{"s3cr3t-Pa55", ""}, "robot$ci:REDACTED refused"},
		{"longest secret first", errors.New("abcdef abc"), []string{"abc", "abcdef"}, "REDACTED REDACTED"},
		{"ECR password and token echoed", errors.New("denied for credentials AWS:ECR-SENTINEL-PW-456 (token QVdTOkVDUi1TRU5USU5FTC1QVy00NTY=)"),
			[]string{"ECR-SENTINEL-PW-456", "QVdTOkVDUi1TRU5USU5FTC1QVy00NTY="}, "denied for credentials AWS:REDACTED (token REDACTED)"},
		{"clean", errors.New("basic credential not found"), nil, "basic credential not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Error(tc.err, tc.secrets...)
			if got.Error() != tc.want {
				t.Errorf("Error() =\n%s\nwant\n%s", got, tc.want)
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("Error() does not wrap the original error")
			}
			var resp *errcode.ErrorResponse
			if errors.As(got, &resp) && strings.Contains(resp.Error(), "secretstate") {
				t.Errorf("the wrapped ErrorResponse still holds the query: %v", resp)
			}
		})
	}
	if Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	base := errors.New("base")
	tests := []struct {
		name    string
		secrets []string
		err     error
		want    string
	}{
		{"nil", []string{"s3cret"}, nil, ""},
		{"untouched", []string{"s3cret"}, fmt.Errorf("ctx: %w", base), "ctx: base"},
		{"replaced", []string{"s3cret", ""}, fmt.Errorf("got s3cret and s3cret: %w", base), "got REDACTED and REDACTED: base"},
		{"longest first", []string{"abc", "abcdef"}, fmt.Errorf("abcdef abc: %w", base), "REDACTED REDACTED: base"},
		{"rules too", []string{"s3cret"}, fmt.Errorf("GET https://u:p@h/x?sig=1: %w", base), "GET https://h/x?sig=REDACTED: base"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var masked []string
			s := &Secrets{Mask: func(v string) { masked = append(masked, v) }}
			s.Add(tc.secrets...)
			s.Add(tc.secrets...) // masked once only
			got := s.Error(tc.err)
			if tc.err == nil {
				if got != nil {
					t.Fatalf("Error(nil) = %v", got)
				}
				return
			}
			if got.Error() != tc.want || !errors.Is(got, base) {
				t.Errorf("Error() = %q (Is base %v), want %q wrapping base", got, errors.Is(got, base), tc.want)
			}
			if s := s.String(tc.err.Error()); s != tc.want {
				t.Errorf("String() = %q, want %q", s, tc.want)
			}
			var nonEmpty []string
			for _, v := range tc.secrets {
				if v != "" {
					nonEmpty = append(nonEmpty, v)
				}
			}
			if diff := cmp.Diff(nonEmpty, masked); diff != "" {
				t.Errorf("masked (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSecrets_concurrent adds and redacts from many goroutines (run with -race).
func TestSecrets_concurrent(t *testing.T) {
	t.Parallel()
	var s Secrets
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			secret := fmt.Sprintf("secret-number-%02d", i)
			s.Add(secret)
			if got := s.String("x " + secret + " y"); got != "x REDACTED y" {
				t.Errorf("String() = %q", got)
			}
		})
	}
	wg.Wait()
	var nilSecrets *Secrets
	if got := nilSecrets.String("password=x"); got != "password=REDACTED" {
		t.Errorf("nil Secrets: String() = %q", got)
	}
}

func TestURL(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://h/v2/":                      "https://h/v2/",
		"https://u:p@h/v2/?a=1&b=2#frag":     "https://h/v2/?a=REDACTED&b=REDACTED",
		"https://h/%zz?x=1":                  "https://REDACTED",
		"%zz":                                "REDACTED",
		"http://127.0.0.1:5000/token?scope=": "http://127.0.0.1:5000/token?scope=REDACTED",
	} {
		if got := URL(raw); got != want {
			t.Errorf("URL(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestString_encodedSecret: a secret percent-encoded in a URL's query is
// decoded when the query is rewritten, and must be caught then.
func TestString_encodedSecret(t *testing.T) {
	t.Parallel()
	got := String("GET https://h/x?%73%33%63%72%33%74pw=1 failed", "s3cr3tpw")
	if strings.Contains(got, "s3cr3tpw") {
		t.Errorf("String() = %q, holds the secret", got)
	}
}

// FuzzString: no text makes String return a listed secret. Secrets are
// lower-case letters and digits here, which the upper-case Marker cannot
// help spell.
func FuzzString(f *testing.F) {
	f.Add("denied for AWS:ecrpassword123 (token QVdTOmVjcnBhc3N3b3JkMTIz)", "ecrpassword123")
	f.Add("GET https://u:p@h/x?%65%63%72pass=1#f: EOF", "ecrpass1")
	f.Add(`{"token":"abc","password":"s3cr3tpw"} Authorization: Basic s3cr3tpws3cr3tpw`, "s3cr3tpw")
	f.Fuzz(func(t *testing.T, text, secret string) {
		if len(secret) < 8 || strings.ContainsFunc(secret, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
			return
		}
		if got := String(text, secret); strings.Contains(got, secret) {
			t.Errorf("String(%q, %q) = %q, holds the secret", text, secret, got)
		}
	})
}
