package registry

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"oras.land/oras-go/v2/registry/remote/errcode"
)

func response(method, rawURL string, status int, errs ...errcode.Error) error {
	u, _ := url.Parse(rawURL)
	return fmt.Errorf("pushing 1.0.0: %w", &errcode.ErrorResponse{Method: method, URL: u, StatusCode: status, Errors: errs})
}

// scopeDetail is distribution's insufficient_scope detail as oras-go
// decodes it.
func scopeDetail(name string, actions ...string) any {
	var d []any
	for _, a := range actions {
		d = append(d, map[string]any{"Type": "repository", "Class": "", "Name": name, "Action": a})
	}
	return d
}

func TestHintFor(t *testing.T) {
	t.Parallel()
	token := HintContext{Bearer: true, Credentials: true}
	const repo = "team/spectro-packs/archive/p"
	unauthorized := errcode.Error{Code: "UNAUTHORIZED", Message: "authentication required", Detail: scopeDetail(repo, "pull", "push")}
	tests := []struct {
		name string
		err  error
		c    HintContext
		want string // substring; "" means no hint
		not  string
	}{
		{"missing push on a token registry", response("POST", "https://h/v2/"+repo+"/blobs/uploads/", 401, unauthorized), token,
			"granted no pull,push on " + repo, "check username"},
		{"missing pull, no body (HEAD)", response("HEAD", "https://h/v2/other/spectro-packs/archive/manifests/sha256:00", 401), token,
			"granted no pull on other/spectro-packs/archive", "check username"},
		{"wrong password at the token service", response("GET", "https://auth.example/token?scope=x", 401), token,
			"check username and password", ""},
		{"quay-style realm under /v2/", response("GET", "https://quay.example/v2/auth?scope=x", 401), token,
			"check username and password", ""},
		{"basic auth 401", response("HEAD", "https://h/v2/"+repo+"/manifests/1", 401), HintContext{Credentials: true},
			"check username and password", ""},
		{"token registry without credentials", response("POST", "https://h/v2/"+repo+"/blobs/uploads/", 401), HintContext{Bearer: true},
			"needs a login for push on " + repo, ""},
		{"zot 403 on read", response("HEAD", "https://h/v2/other/spectro-packs/archive/manifests/sha256:00", 403), HintContext{Credentials: true},
			"may not read other/spectro-packs/archive", ""},
		{"zot 403 replacing a tag", response("PUT", "https://h/v2/"+repo+"/manifests/1.9.0", 403, errcode.Error{Code: "DENIED"}), HintContext{Credentials: true, Overwrite: true},
			"zot: update", ""},
		{"zot 403 on push", response("PUT", "https://h/v2/"+repo+"/manifests/1.9.0", 403, errcode.Error{Code: "DENIED"}), HintContext{Credentials: true},
			"may not push to " + repo, "update"},
		{"transient 400 over plain http", response("PUT", "http://h/v2/"+repo+"/manifests/1", 400, errcode.Error{Code: "DIGEST_INVALID"}), HintContext{},
			"", ""},
		{"https port answering plain http", response("HEAD", "http://h/v2/"+repo+"/manifests/1", 400), HintContext{},
			"unset plain-http", ""},
		{"stall", fmt.Errorf("HEAD: %w", &StallError{Host: "r.example:5000", Limit: time.Minute}), HintContext{},
			"sent nothing for 1m0s: check that r.example:5000 is the registry", ""},
		{"refused, typed", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, HintContext{},
			"connection refused", ""},
		{"dns, typed", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}}, HintContext{},
			"does not resolve", ""},
		{"dial timeout, typed", &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}, HintContext{},
			"did not answer in time", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := HintFor(tc.err, tc.c)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) || (tc.not != "" && strings.Contains(got, tc.not)) {
				t.Errorf("HintFor(%v) = %q, want %q (and not %q)", tc.err, got, tc.want, tc.not)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestReadable(t *testing.T) {
	t.Parallel()
	const repo = "team/spectro-packs/archive/p"
	tests := []struct {
		name string
		err  error
		want string // the whole message
	}{
		{"access list", response("POST", "https://h/v2/"+repo+"/blobs/uploads/", 401,
			errcode.Error{Code: "UNAUTHORIZED", Message: "authentication required", Detail: scopeDetail(repo, "pull", "push")}),
			`pushing 1.0.0: POST "https://h/v2/` + repo + `/blobs/uploads/": response status code 401: unauthorized: authentication required (needs pull,push on ` + repo + `)`},
		{"zot description", response("HEAD", "https://h/v2/x/manifests/1", 403,
			errcode.Error{Code: "DENIED", Message: "denied", Detail: map[string]any{"description": "The access controller denied access for the operation on a resource."}}),
			`pushing 1.0.0: HEAD "https://h/v2/x/manifests/1": response status code 403: denied: denied (The access controller denied access for the operation on a resource.)`},
		{"no detail", response("PUT", "https://h/v2/x/manifests/1", 400, errcode.Error{Code: "MANIFEST_INVALID", Message: "bad"}),
			`pushing 1.0.0: PUT "https://h/v2/x/manifests/1": response status code 400: manifest invalid: bad`},
		{"not a registry error", errors.New("plain"), "plain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Readable(tc.err)
			if got.Error() != tc.want {
				t.Errorf("Readable() = %q\nwant         %q", got, tc.want)
			}
			var resp *errcode.ErrorResponse
			if tc.name != "not a registry error" && !errors.As(got, &resp) {
				t.Error("Readable() no longer unwraps to the response")
			}
		})
	}
}
