package registrytest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestHarbor_insufficientScope: a token that does not cover a request is
// answered as distribution answers it: 401, the scope and
// error="insufficient_scope" in the challenge, the access list in the body.
func TestHarbor_insufficientScope(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{Auth: Harbor})
	srv.SetAccess(func(repo string) string { return "pull" }) // a pull-only robot
	c := srv.Client()
	get := func(method, url, token string) *http.Response {
		req, _ := http.NewRequest(method, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	const repo = "team/spectro-packs/archive/p"
	tokReq, _ := http.NewRequest("GET", "https://"+srv.Host+"/service/token?service=harbor-registry&scope=repository:"+repo+":pull,push", nil)
	tokReq.SetBasicAuth(srv.Username, srv.Password)
	resp, err := c.Do(tokReq)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %v %v", resp, err)
	}
	var tok struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	// Without a token: the plain challenge.
	resp = get("POST", "https://"+srv.Host+"/v2/"+repo+"/blobs/uploads/", "")
	resp.Body.Close()
	if ch := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || strings.Contains(ch, "insufficient_scope") || !strings.Contains(ch, `scope="repository:`+repo+`:pull,push"`) {
		t.Errorf("no token: %d %q", resp.StatusCode, ch)
	}
	// Pulling is granted.
	resp = get("GET", "https://"+srv.Host+"/v2/"+repo+"/tags/list", tok.Token)
	resp.Body.Close()
	if resp.StatusCode == 401 {
		t.Errorf("pull with a pull token: 401")
	}
	// Pushing is not.
	resp = get("POST", "https://"+srv.Host+"/v2/"+repo+"/blobs/uploads/", tok.Token)
	defer resp.Body.Close()
	ch := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != 401 || !strings.Contains(ch, `error="insufficient_scope"`) || !strings.Contains(ch, `scope="repository:`+repo+`:pull,push"`) {
		t.Errorf("push with a pull token: %d %q", resp.StatusCode, ch)
	}
	var body struct {
		Errors []struct {
			Code   string
			Detail []map[string]string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Errors) != 1 || body.Errors[0].Code != "UNAUTHORIZED" ||
		len(body.Errors[0].Detail) != 2 || body.Errors[0].Detail[1]["Action"] != "push" || body.Errors[0].Detail[1]["Name"] != repo {
		t.Errorf("body %+v, %v; want distribution's access list", body, err)
	}
}
