package ecrtest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOIDC_IDToken(t *testing.T) {
	t.Parallel()
	o := NewOIDC(t, map[string]any{"sub": "repo:o/r:environment:prod"})
	env := o.Env()
	token, err := IDToken(func(k string) string { return env[k] })(context.Background(), "sts.amazonaws.com")
	if err != nil {
		t.Fatalf("IDToken() = %v", err)
	}
	if c := claimsOf(token); c != (tokenClaims{Sub: "repo:o/r:environment:prod", Aud: "sts.amazonaws.com"}) {
		t.Errorf("claims = %+v", c)
	}
	if diff := cmp.Diff([]string{token}, o.Tokens()); diff != "" {
		t.Errorf("Tokens() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"sts.amazonaws.com"}, o.Audiences()); diff != "" {
		t.Errorf("Audiences() (-want +got):\n%s", diff)
	}
	env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "wrong"
	if _, err := IDToken(func(k string) string { return env[k] })(context.Background(), "x"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("IDToken(wrong request token) = %v, want a 401 error", err)
	}
}

func TestServer_rejects(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	tests := []struct {
		name, method, target, body string
		wantStatus                 int
		wantBody                   string
	}{
		{"GET", http.MethodGet, "", "", http.StatusBadRequest, "bad request"},
		{"neither service", http.MethodPost, "", "x=1", http.StatusNotFound, "neither"},
		{"unsigned ECR", http.MethodPost, "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", "{}", http.StatusBadRequest, "MissingAuthenticationTokenException"},
		{"other STS action", http.MethodPost, "", "Action=GetCallerIdentity", http.StatusBadRequest, "InvalidAction"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(tc.method, s.URL, strings.NewReader(tc.body))
			if tc.target != "" {
				req.Header.Set("X-Amz-Target", tc.target)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(string(b), tc.wantBody) {
				t.Errorf("%s = %d %s, want %d with %q", tc.name, resp.StatusCode, b, tc.wantStatus, tc.wantBody)
			}
		})
	}
}
