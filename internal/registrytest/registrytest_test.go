package registrytest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
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
		{"harbor", Harbor, 1, []step{
			{method: "GET", path: "/v2/", wantStatus: 401, wantAuthz: `Bearer realm="https://HOST/service/token",service="harbor-registry"`},
			{method: "GET", path: "/v2/", user: "robot$ci", pass: "s3cret", wantStatus: 401},
			{method: "GET", path: "/service/token?service=harbor-registry", user: "robot$ci", pass: "wrong", wantStatus: 401},
			{method: "GET", path: "/service/token?service=harbor-registry", user: "robotci", pass: "s3cret", wantStatus: 401},
			{method: "GET", path: "/service/token?service=harbor-registry", user: "robot$ci", pass: "s3cret", wantStatus: 200},
			{method: "GET", path: "/v2/", bearer: true, wantStatus: 200},
			{method: "POST", path: "/v2/team-a/x/blobs/uploads/", bearer: true, wantStatus: 202},
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
