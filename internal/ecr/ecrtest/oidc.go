package ecrtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// GitHub's OIDC issuer.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// OIDC fakes GitHub's ID token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL).
type OIDC struct {
	URL          string // ACTIONS_ID_TOKEN_REQUEST_URL
	RequestToken string // ACTIONS_ID_TOKEN_REQUEST_TOKEN

	claims    map[string]any
	mu        sync.Mutex
	audiences []string
	tokens    []string
}

// NewOIDC starts the endpoint. Its tokens carry claims over GitHub-like
// defaults (iss, sub, ref for octo-org/packs on main), aud set to the
// requested audience and a random jti, so every token is a distinct secret.
func NewOIDC(t testing.TB, claims map[string]any) *OIDC {
	t.Helper()
	o := &OIDC{RequestToken: "gh-request-token-" + random(), claims: map[string]any{
		"iss": GitHubIssuer,
		"sub": "repo:octo-org/packs:ref:refs/heads/main",
		"ref": "refs/heads/main",
	}}
	maps.Copy(o.claims, claims)
	srv := httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(srv.Close)
	o.URL = srv.URL + "/token?api-version=2.0" // query kept, as on GitHub
	return o
}

// Env returns the variables a GitHub job with `id-token: write` has.
func (o *OIDC) Env() map[string]string {
	return map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": o.URL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": o.RequestToken}
}

// Audiences returns the audience of every token request, in order.
func (o *OIDC) Audiences() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.audiences)
}

// Tokens returns every token issued, in order.
func (o *OIDC) Tokens() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.tokens)
}

func (o *OIDC) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.Header.Get("Authorization") != "Bearer "+o.RequestToken {
		http.Error(w, `{"message":"Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	aud := r.URL.Query().Get("audience")
	c := maps.Clone(o.claims)
	c["jti"] = random()
	if aud != "" {
		c["aud"] = aud
	}
	token := JWT(c)
	o.mu.Lock()
	o.audiences = append(o.audiences, aud)
	o.tokens = append(o.tokens, token)
	o.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]string{"value": token})
}

// JWT returns an unsigned-looking JWT (RS256 header, fake signature)
// carrying claims.
func JWT(claims map[string]any) string {
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(claims)
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(payload) + "." + enc([]byte("sig-"+random()))
}

// IDToken requests an ID token with the ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN
// protocol that go-githubactions' GetIDToken implements, reading the
// variables through getenv: a stand-in for packages that may not import
// go-githubactions.
func IDToken(getenv func(string) string) func(ctx context.Context, audience string) (string, error) {
	return func(ctx context.Context, audience string) (string, error) {
		u, err := url.Parse(getenv("ACTIONS_ID_TOKEN_REQUEST_URL"))
		if err != nil {
			return "", err
		}
		q := u.Query()
		q.Set("audience", audience)
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "Bearer "+getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("ID token request: %s: %s", resp.Status, strings.TrimSpace(string(body)))
		}
		var v struct{ Value string }
		if err := json.Unmarshal(body, &v); err != nil {
			return "", err
		}
		return v.Value, nil
	}
}

type tokenClaims struct {
	Sub string `json:"sub"`
	Aud string `json:"aud"`
}

// claimsOf decodes the sub and (single) aud claims of a JWT, ignoring errors.
func claimsOf(token string) tokenClaims {
	var c tokenClaims
	if parts := strings.Split(token, "."); len(parts) == 3 {
		b, _ := base64.RawURLEncoding.DecodeString(parts[1])
		json.Unmarshal(b, &c)
	}
	return c
}

func random() string {
	b := make([]byte, 12)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseQuery decodes a form body, keeping the first value of each key.
func parseQuery(body string) (map[string]string, error) {
	v, err := url.ParseQuery(body)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(v))
	for k := range v {
		m[k] = v.Get(k)
	}
	return m, nil
}
