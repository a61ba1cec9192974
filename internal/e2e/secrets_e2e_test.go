package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pack-publish/pack-publish/internal/action"
	"github.com/pack-publish/pack-publish/internal/ecr/ecrtest"
)

// echoingRegistry is a registry that answers /v2/ and tag lookups but
// refuses every upload with an error body quoting body: a careless (or
// hostile) server echoing the credentials it received.
func echoingRegistry(t *testing.T, body string) (host, caFile string) {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v2/" || r.URL.Path == "/v2":
			w.WriteHeader(http.StatusOK)
		case r.Method == http.MethodHead || r.Method == http.MethodGet:
			w.WriteHeader(http.StatusNotFound)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"errors":[{"code":"DENIED","message":%q}]}`, body)
		}
	}))
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	return strings.TrimPrefix(srv.URL, "https://"), caFile
}

// TestECR_echoedPasswordRedacted: a registry that quotes the ECR password
// and authorization token in its error body must not get them into the
// GitLab log, the dotenv file or the report (security review F5). GitLab
// mode: no ::add-mask:: hides anything there. Not parallel: the AWS SDK
// reads the process environment.
func TestECR_echoedPasswordRedacted(t *testing.T) {
	const password = "ECR-SENTINEL-PW-456"
	token := base64.StdEncoding.EncodeToString([]byte("AWS:" + password))
	host, caFile := echoingRegistry(t, "denied for credentials AWS:"+password+" (token "+token+")")
	aws := ecrtest.New(t, ecrtest.Options{Password: password, ProxyEndpoint: "https://" + host})
	aws.Setenv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIASTATICKEY0000001")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "static-secret-key-do-not-print")

	ws := workspace(t)
	report := filepath.Join(t.TempDir(), "report.json")
	vars := map[string]string{
		"GITLAB_CI": "true", "CI_PROJECT_DIR": ws, "HOME": t.TempDir(),
		"PACK_PUBLISH_REGISTRY": host, "PACK_PUBLISH_AUTH": "ecr", "PACK_PUBLISH_AWS_REGION": "eu-west-1",
		"PACK_PUBLISH_CA_FILE": caFile, "PACK_PUBLISH_DETECT": "all", "PACK_PUBLISH_PACKS_DIR": "packs",
		"PACK_PUBLISH_REPORT_FILE": report, "PACK_PUBLISH_CREATE_REPOSITORIES": "false",
	}
	var out, errb bytes.Buffer
	code := action.Main(context.Background(), actionYAML, action.Env{
		Getenv: func(k string) string { return vars[k] }, Dir: ws, Stdout: &out, Stderr: &errb,
	})
	if code != 1 {
		t.Fatalf("exit %d, want 1 (every push refused)\n%s\n%s", code, out.String(), errb.String())
	}
	dotenv, err := os.ReadFile(filepath.Join(ws, "pack-publish.env"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	streams := map[string]string{"stdout": out.String(), "stderr": errb.String(), "dotenv": string(dotenv), "report": string(rep)}
	if !strings.Contains(string(rep), "denied for credentials AWS:REDACTED (token REDACTED)") {
		t.Errorf("the report does not carry the redacted registry error:\n%s", rep)
	}
	for _, secret := range []string{password, token, "static-secret-key-do-not-print"} {
		for name, s := range streams {
			if strings.Contains(s, secret) {
				t.Errorf("secret %.10s... found in %s:\n%s", secret, name, s)
			}
		}
	}
}

// TestECR_tokenOnlyToItsRegistry: with role-to-assume set (so auth becomes
// ecr) and a registry that is not the host ECR issued the token for, here a
// plain-HTTP registry on loopback, the run is a configuration error (exit 2)
// that says why, and the registry never sees the ECR password (security
// review F3). Not parallel: the AWS SDK reads the process environment.
func TestECR_tokenOnlyToItsRegistry(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/pack-publisher"
	var (
		mu   sync.Mutex
		seen []string // Authorization headers the registry received
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	aws := ecrtest.New(t, ecrtest.Options{RoleARN: role}) // the token is for 123456789012.dkr.ecr.eu-west-1.amazonaws.com
	aws.Setenv(t)
	oidc := ecrtest.NewOIDC(t, nil)
	env := newGHEnv(t, workspace(t), map[string]string{
		"registry": strings.TrimPrefix(srv.URL, "http://"), "plain-http": "true", "role-to-assume": role, "aws-region": "eu-west-1",
		"detect": "all", "packs-dir": "packs",
	})
	maps.Copy(env.vars, oidc.Env())
	r := env.run(t)
	if r.code != 2 || !strings.Contains(r.stdout, "is not 123456789012.dkr.ecr.eu-west-1.amazonaws.com, the host ECR issued the authorization token for") {
		t.Errorf("exit %d, want 2 saying the registry is not the token's host:\n%s", r.code, r.stdout)
	}
	mu.Lock()
	defer mu.Unlock()
	auth := base64.StdEncoding.EncodeToString([]byte("AWS:" + ecrtest.DefaultPassword))
	for _, s := range seen {
		if strings.Contains(s, auth) || strings.Contains(s, ecrtest.DefaultPassword) {
			t.Errorf("the registry received the ECR password: %s", s)
		}
	}
	if len(seen) != 0 {
		t.Errorf("the registry was contacted %d times, want none: %q", len(seen), seen)
	}
	env.scanAll(t, ecrtest.DefaultPassword)
}
