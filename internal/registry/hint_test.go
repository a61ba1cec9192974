package registry

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

func errResp(status int, scheme string, codes ...string) error {
	r := &errcode.ErrorResponse{Method: "PUT", StatusCode: status, URL: &url.URL{Scheme: scheme, Host: "h", Path: "/v2/x/manifests/1"}}
	for _, c := range codes {
		r.Errors = append(r.Errors, errcode.Error{Code: c})
	}
	return fmt.Errorf("pushing 1.0.0: %w", r)
}

func TestHint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string // substring; "" means no hint
	}{
		{"401", errResp(401, "https", "UNAUTHORIZED"), "check username and password"},
		{"403", errResp(403, "https", "DENIED"), "push permission"},
		{"404 name unknown", errResp(404, "https", "NAME_UNKNOWN"), "check base-path"},
		{"404 harbor project", errResp(404, "https", "NOT_FOUND"), "check base-path"},
		{"404 bare", errResp(404, "https"), "check base-path"},
		{"404 blob", errResp(404, "https", "BLOB_UNKNOWN"), ""},
		{"400 over http", errResp(400, "http"), "unset plain-http"},
		{"400 over https", errResp(400, "https", "MANIFEST_INVALID"), ""},
		{"429", errResp(429, "https"), "lower concurrency"},
		{"503", errResp(503, "https"), "run again later"},
		{"no credentials", fmt.Errorf("x: %w", auth.ErrBasicCredentialNotFound), "none were given"},
		{"unknown authority", errors.New(`Get "https://h/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority`), "set ca-file"},
		{"wrong host name", errors.New(`tls: failed to verify certificate: x509: certificate is valid for a.example, not b.example`), "does not name this host"},
		{"expired", errors.New(`tls: failed to verify certificate: x509: certificate has expired or is not yet valid`), "check the registry's certificate"},
		{"plain registry", errors.New(`Get "https://h/v2/": http: server gave HTTP response to HTTPS client`), "set plain-http: true"},
		{"refused", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), "check the registry input"},
		{"no such host", errors.New("dial tcp: lookup nope.invalid: no such host"), "check the registry input"},
		{"other", errors.New("something else"), ""},
		{"nil", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Hint(tc.err)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("Hint(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

// TestHint_live gets the errors from real connections.
func TestHint_live(t *testing.T) {
	t.Parallel()
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tests := []struct {
		name, host string
		want       string
	}{
		{"plain HTTP registry", strings.TrimPrefix(plain.URL, "http://"), "set plain-http: true"},
		{"nothing listening", closed, "check the registry input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client, err := NewClient(Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = ping(t, client, tc.host, false)
			if h := Hint(err); !strings.Contains(h, tc.want) {
				t.Errorf("Hint(%v) = %q, want %q", err, h, tc.want)
			}
		})
	}
}
