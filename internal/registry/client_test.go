package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/pack-publish/pack-publish/internal/registrytest"
)

// ping asks the registry for /v2/ through client.
func ping(t *testing.T, client *auth.Client, host string, plainHTTP bool) error {
	t.Helper()
	reg, err := remote.NewRegistry(host)
	if err != nil {
		t.Fatal(err)
	}
	reg.Client, reg.PlainHTTP = client, plainHTTP
	return reg.Ping(context.Background())
}

func TestNewClient_tls(t *testing.T) {
	t.Parallel()
	srv := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	garbage := write("garbage.pem", "not a certificate")
	emptyPEM := write("key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
	cred := auth.StaticCredential(srv.Host, auth.Credential{Username: srv.Username, Password: srv.Password})
	tests := []struct {
		name    string
		opts    Options
		newErr  string // NewClient error
		pingErr string // Ping error ("" for success)
		hint    string
	}{
		{"ca-file", Options{CAFile: srv.CAFile, Credential: cred}, "", "", ""},
		{"insecure", Options{Insecure: true, Credential: cred}, "", "", ""},
		{"system roots only", Options{Credential: cred}, "", "certificate signed by unknown authority", "set ca-file"},
		{"no credential", Options{CAFile: srv.CAFile}, "", "basic credential not found", "set username and password"},
		{"missing ca-file", Options{CAFile: filepath.Join(dir, "missing.pem")}, "input ca-file: opening", "", ""},
		{"ca-file is a folder", Options{CAFile: dir}, "input ca-file: reading", "", ""},
		{"garbage ca-file", Options{CAFile: garbage}, "input ca-file: " + garbage + " holds no PEM certificate", "", ""},
		{"ca-file without certificate", Options{CAFile: emptyPEM}, "holds no PEM certificate", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client, err := NewClient(tc.opts)
			if tc.newErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.newErr) {
					t.Fatalf("NewClient() error = %v, want %q", err, tc.newErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewClient() = %v", err)
			}
			err = ping(t, client, srv.Host, false)
			if tc.pingErr == "" {
				if err != nil {
					t.Fatalf("Ping() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.pingErr) {
				t.Fatalf("Ping() error = %v, want %q", err, tc.pingErr)
			}
			if h := Hint(err); !strings.Contains(h, tc.hint) {
				t.Errorf("Hint(%v) = %q, want %q", err, h, tc.hint)
			}
		})
	}
}

func TestNewClient_userAgent(t *testing.T) {
	t.Parallel()
	srv := registrytest.New(t, registrytest.Options{})
	for _, ua := range []string{"", "pack-publish/1.2.3"} {
		client, err := NewClient(Options{CAFile: srv.CAFile, UserAgent: ua})
		if err != nil {
			t.Fatal(err)
		}
		srv.Reset()
		if err := ping(t, client, srv.Host, false); err != nil {
			t.Fatal(err)
		}
		want := ua
		if want == "" {
			want = "pack-publish"
		}
		if got := srv.Requests()[0].UserAgent; got != want {
			t.Errorf("UserAgent %q sent %q, want %q", ua, got, want)
		}
	}
}

// TestNewClient_redirects: an https registry that redirects to http is not
// followed, unless the run is plain-http anyway.
func TestNewClient_redirects(t *testing.T) {
	t.Parallel()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(plain.Close)
	tls := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/v2/", http.StatusTemporaryRedirect))
	t.Cleanup(tls.Close)
	tests := []struct {
		name      string
		plainHTTP bool
		wantErr   string
	}{
		{"https", false, "refusing a redirect from https to http://"},
		{"plain-http", true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client, err := NewClient(Options{Insecure: true, PlainHTTP: tc.plainHTTP})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodGet, tls.URL+"/v2/", nil)
			resp, err := client.Do(req)
			if tc.wantErr == "" {
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("Do() = %v, %v; want the redirect followed", resp, err)
				}
				resp.Body.Close()
				return
			}
			if err == nil {
				resp.Body.Close()
				t.Fatalf("Do() followed the redirect to %s", resp.Request.URL)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Do() error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestRepository(t *testing.T) {
	t.Parallel()
	client, err := NewClient(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, host, path string
		plainHTTP        bool
		err              string
	}{
		{"host and port", "127.0.0.1:5000", "team-a/spectro-packs/archive/demo", true, ""},
		{"host", "harbor.example.com", "spectro-packs/archive", false, ""},
		{"scheme", "https://harbor.example.com", "a", false, "input registry"},
		{"userinfo", "user:pass@harbor.example.com", "a", false, "input registry"},
		{"empty host", "", "a", false, "input registry"},
		{"upper-case path", "harbor.example.com", "Team", false, "opening repository"},
		{"tag", "harbor.example.com", "a:1.0.0", false, "takes no tag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo, err := Repository(client, tc.host, tc.path, tc.plainHTTP)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Repository(%q, %q) error = %v, want %q", tc.host, tc.path, err, tc.err)
				}
				if strings.Contains(err.Error(), "pass@") {
					t.Errorf("Repository() error repeats the userinfo: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Repository(%q, %q) = %v", tc.host, tc.path, err)
			}
			scoped, ok := repo.Client.(pushScoped)
			if repo.Reference.Registry != tc.host || repo.Reference.Repository != tc.path || repo.PlainHTTP != tc.plainHTTP ||
				!ok || scoped.client != client || scoped.host != tc.host ||
				!slices.Equal(scoped.scopes, []string{"repository:" + tc.path + ":pull,push"}) {
				t.Errorf("Repository(%q, %q) = %+v", tc.host, tc.path, repo.Reference)
			}
		})
	}
}

// TestRepositories_tokenGroups: on Harbor's token flow, 20 repositories
// looked up and then pushed to cost one 401 and one token per group of
// TokenGroup, not per repository nor per action.
func TestRepositories_tokenGroups(t *testing.T) {
	t.Parallel()
	srv := registrytest.New(t, registrytest.Options{Auth: registrytest.Harbor})
	client, err := NewClient(Options{CAFile: srv.CAFile,
		Credential: auth.StaticCredential(srv.Host, auth.Credential{Username: srv.Username, Password: srv.Password})})
	if err != nil {
		t.Fatal(err)
	}
	paths := make([]string, 20)
	for i := range paths {
		paths[i] = fmt.Sprintf("team-a/spectro-packs/archive/p%02d", i)
	}
	repos, err := Repositories(client, srv.Host, paths, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	blob := []byte("{}")
	desc := content.NewDescriptorFromBytes("application/vnd.unknown.config.v1+json", blob)
	for _, repo := range repos { // pull, then push
		if _, err := repo.Resolve(ctx, "1.0.0"); !errors.Is(err, errdef.ErrNotFound) {
			t.Fatalf("Resolve(%s) = %v, want not found", repo.Reference, err)
		}
		if err := repo.Push(ctx, desc, bytes.NewReader(blob)); err != nil {
			t.Fatalf("Push(%s) = %v", repo.Reference, err)
		}
	}
	challenges, tokens := srv.AuthDetours()
	if want := 2; tokens != want || challenges != want { // 16 + 4
		t.Errorf("%d tokens and %d 401 answers for 20 repositories, want %d of each", tokens, challenges, want)
	}
}
