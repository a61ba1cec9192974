package registrytest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

func TestNew_auth(t *testing.T) {
	t.Parallel()
	type step struct {
		method, path string
		user, pass   string // basic auth when user != ""
		bearer       bool   // send the token from the last token response
		wantStatus   int
		wantAuthz    string // prefix of WWW-Authenticate
	}
	tests := []struct {
		name    string
		auth    Auth
		uploads int // requests that are part of blob uploads
		steps   []step
	}{
		{"none", None, 0, []step{{method: "GET", path: "/v2/", wantStatus: 200}}},
		{"basic", Basic, 0, []step{
			{method: "GET", path: "/v2/", wantStatus: 401, wantAuthz: `Basic realm=`},
			{method: "GET", path: "/v2/", user: "robot$ci", pass: "wrong", wantStatus: 401},
			{method: "GET", path: "/v2/", user: "robot$ci", pass: "s3cret", wantStatus: 200},
		}},
		{"harbor", Harbor, 3, []step{
			{method: "GET", path: "/v2/", wantStatus: 401, wantAuthz: `Bearer realm="https://HOST/service/token",service="harbor-registry"`},
			{method: "GET", path: "/v2/", user: "robot$ci", pass: "s3cret", wantStatus: 401},
			{method: "GET", path: "/service/token?service=harbor-registry", user: "robot$ci", pass: "wrong", wantStatus: 401},
			{method: "GET", path: "/service/token?service=harbor-registry", user: "robotci", pass: "s3cret", wantStatus: 401},
			{method: "GET", path: "/service/token?service=harbor-registry", user: "robot$ci", pass: "s3cret", wantStatus: 200},
			{method: "GET", path: "/v2/", bearer: true, wantStatus: 200},
			// a token grants only the scopes it was asked for
			{method: "POST", path: "/v2/team-a/x/blobs/uploads/", bearer: true, wantStatus: 401,
				wantAuthz: `Bearer realm="https://HOST/service/token",service="harbor-registry",scope="repository:team-a/x:pull,push"`},
			{method: "GET", path: "/service/token?service=harbor-registry&scope=repository:team-a/x:pull", user: "robot$ci", pass: "s3cret", wantStatus: 200},
			{method: "GET", path: "/v2/team-a/x/manifests/1.0.0", bearer: true, wantStatus: 404},
			{method: "POST", path: "/v2/team-a/x/blobs/uploads/", bearer: true, wantStatus: 401},
			{method: "GET", path: "/service/token?service=harbor-registry&scope=repository:team-a/x:pull,push&scope=repository:team-a/y:pull", user: "robot$ci", pass: "s3cret", wantStatus: 200},
			{method: "POST", path: "/v2/team-a/x/blobs/uploads/", bearer: true, wantStatus: 202},
			{method: "GET", path: "/v2/team-a/y/tags/list", bearer: true, wantStatus: 404},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := New(t, Options{Auth: tc.auth})
			token := ""
			for i, st := range tc.steps {
				req, err := http.NewRequest(st.method, "https://"+srv.Host+st.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				if st.user != "" {
					req.SetBasicAuth(st.user, st.pass)
				}
				if st.bearer {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if strings.HasPrefix(st.path, "/service/token") && resp.StatusCode == 200 {
					var body struct{ Token string }
					if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Token == "" {
						t.Fatalf("step %d: token response %v, %v", i, body, err)
					}
					token = body.Token
				}
				resp.Body.Close()
				if resp.StatusCode != st.wantStatus {
					t.Errorf("step %d: %s %s = %d, want %d", i, st.method, st.path, resp.StatusCode, st.wantStatus)
				}
				want := strings.ReplaceAll(st.wantAuthz, "HOST", srv.Host)
				if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, want) {
					t.Errorf("step %d: WWW-Authenticate = %q, want prefix %q", i, got, want)
				}
			}
			reqs := srv.Requests()
			if len(reqs) != len(tc.steps) {
				t.Fatalf("Requests() has %d entries, want %d", len(reqs), len(tc.steps))
			}
			for i, r := range reqs {
				if st := tc.steps[i]; r.Method != st.method || r.Path != strings.Split(st.path, "?")[0] || r.Status != st.wantStatus {
					t.Errorf("Requests()[%d] = %+v, want %s %s %d", i, r, st.method, st.path, st.wantStatus)
				}
			}
			if got := srv.BlobUploads(); got != tc.uploads {
				t.Errorf("BlobUploads() = %d, want %d", got, tc.uploads)
			}
			srv.Reset()
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("after Reset(), %d requests", n)
			}
		})
	}
}

// TestMount: a blob one repository holds is mounted into another in one
// request (201); a blob the source does not hold, or (on Harbor) a source
// the token may not pull from, starts an ordinary upload instead.
func TestMount(t *testing.T) {
	t.Parallel()
	for _, a := range []Auth{None, Harbor} {
		srv := New(t, Options{Auth: a})
		client := &auth.Client{Client: srv.Client(), Cache: auth.NewCache(),
			Credential: auth.StaticCredential(srv.Host, auth.Credential{Username: srv.Username, Password: srv.Password})}
		repo := func(name string) *remote.Repository {
			r, err := remote.NewRepository(srv.Host + "/team-a/" + name)
			if err != nil {
				t.Fatal(err)
			}
			r.Client = client
			return r
		}
		ctx := context.Background()
		blob := []byte("{}")
		desc := content.NewDescriptorFromBytes("application/vnd.unknown.config.v1+json", blob)
		if err := repo("a").Push(ctx, desc, bytes.NewReader(blob)); err != nil {
			t.Fatal(err)
		}
		srv.Reset()
		if err := repo("b").Mount(ctx, desc, "team-a/a", nil); err != nil {
			t.Fatalf("auth %d: Mount() = %v", a, err)
		}
		if n := srv.Mounts(); n != 1 {
			t.Errorf("auth %d: %d mounts, want 1", a, n)
		}
		if a == Harbor { // a token that may not pull from the source: an ordinary upload
			req, _ := http.NewRequest(http.MethodGet, "https://"+srv.Host+"/service/token?service=harbor-registry&scope=repository:team-a/d:pull,push", nil)
			req.SetBasicAuth(srv.Username, srv.Password)
			var body struct{ Token string }
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			req, _ = http.NewRequest(http.MethodPost, "https://"+srv.Host+"/v2/team-a/d/blobs/uploads/?mount="+desc.Digest.String()+"&from=team-a/a", nil)
			req.Header.Set("Authorization", "Bearer "+body.Token)
			srv.Reset()
			if resp, err = srv.Client().Do(req); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted || srv.Mounts() != 0 {
				t.Errorf("mount without pull on the source = %d, %d mounts; want 202 and none", resp.StatusCode, srv.Mounts())
			}
		}
		other := content.NewDescriptorFromBytes("application/octet-stream", []byte("other"))
		srv.Reset()
		err := repo("c").Mount(ctx, other, "team-a/a", func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader("other")), nil
		})
		uploaded := slices.ContainsFunc(srv.Requests(), func(r Request) bool {
			return r.Method == http.MethodPut && r.Upload && r.Status == http.StatusCreated
		})
		if err != nil || srv.Mounts() != 0 || !uploaded {
			t.Errorf("auth %d: mount of a blob the source lacks = %v, %d mounts, uploaded %v; want an ordinary upload", a, err, srv.Mounts(), uploaded)
		}
	}
}
