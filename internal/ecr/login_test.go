package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pack-publish/pack-publish/internal/ecr/ecrtest"
	"github.com/pack-publish/pack-publish/internal/goldentest"
	"github.com/pack-publish/pack-publish/internal/redact"
)

var update = flag.Bool("update", false, "update golden files")

// The tests below drive the real AWS SDK against ecrtest through
// AWS_ENDPOINT_URL_STS/_ECR. The SDK reads the process environment, so they
// use t.Setenv and cannot run in parallel.

const (
	host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
	role = "arn:aws:iam::123456789012:role/publisher"
)

// scenario is one Login setup.
type scenario struct {
	srv        ecrtest.Options
	env        map[string]string // process environment (the SDK reads it)
	oidc       bool              // the job has `id-token: write`
	badRequest bool              // ... but a wrong ACTIONS_ID_TOKEN_REQUEST_TOKEN
	tokenFile  string            // web-identity-token-file content
	ambient    bool              // the token file goes to AWS_WEB_IDENTITY_TOKEN_FILE instead
	opts       Options
}

// fixture is a scenario made real.
type fixture struct {
	srv       *ecrtest.Server
	oidc      *ecrtest.OIDC
	tokenFile string
	mu        sync.Mutex
	masked    []string
}

func (sc scenario) setup(t *testing.T) (*fixture, Options) {
	t.Helper()
	f := &fixture{srv: ecrtest.New(t, sc.srv)}
	f.srv.Setenv(t)
	for k, v := range sc.env {
		t.Setenv(k, v)
	}
	opts := sc.opts
	getenv := map[string]string{}
	if sc.oidc {
		f.oidc = ecrtest.NewOIDC(t, nil)
		getenv = f.oidc.Env()
		if sc.badRequest {
			getenv["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "wrong"
		}
	}
	if sc.tokenFile != "" {
		f.tokenFile = filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(f.tokenFile, []byte(sc.tokenFile), 0o600); err != nil {
			t.Fatal(err)
		}
		if sc.ambient {
			t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", f.tokenFile)
		} else {
			opts.WebIdentityTokenFile = f.tokenFile
		}
	}
	if opts.WebIdentityTokenFile == "<missing>" {
		opts.WebIdentityTokenFile = filepath.Join(t.TempDir(), "missing")
	}
	opts.Getenv = func(k string) string { return getenv[k] }
	opts.IDToken = ecrtest.IDToken(opts.Getenv)
	opts.Secrets = &redact.Secrets{Mask: func(s string) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.masked = append(f.masked, s)
	}}
	return f, opts
}

// secrets returns every secret the scenario could leak, by kind.
func (f *fixture) secrets(sc scenario) map[string][]string {
	o := f.srv.Options()
	s := map[string][]string{
		"keys":     {o.AccessKeyID, o.SecretAccessKey, o.SessionToken},
		"password": {o.Password, base64.StdEncoding.EncodeToString([]byte(o.Username + ":" + o.Password))},
	}
	if f.oidc != nil {
		s["token"] = f.oidc.Tokens()
	}
	if sc.tokenFile != "" {
		s["token"] = append(s["token"], strings.TrimSpace(sc.tokenFile))
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if v := sc.env[k]; v != "" {
			s["env keys"] = append(s["env keys"], v)
		}
	}
	return s
}

// checkSecrets fails when text holds a secret, or when a secret of the
// wanted kinds was not masked.
func (f *fixture) checkSecrets(t *testing.T, sc scenario, text string, maskedKinds ...string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for kind, values := range f.secrets(sc) {
		for _, v := range values {
			if v == "" {
				continue
			}
			if strings.Contains(text, v) {
				t.Errorf("%s secret %q leaked into %q", kind, v, text)
			}
			if slices.Contains(maskedKinds, kind) && !slices.Contains(f.masked, v) {
				t.Errorf("%s secret %q was not masked", kind, v)
			}
		}
	}
	for _, v := range f.masked {
		if strings.Contains(text, v) {
			t.Errorf("masked secret %q leaked into %q", v, text)
		}
	}
}

// gitlabToken is a GitLab-style token for the token file tests.
var gitlabToken = ecrtest.JWT(map[string]any{"iss": "https://gitlab.com", "sub": "project_path:group/packs:ref_type:branch:ref:main",
	"aud": "sts.amazonaws.com", "ref": "main", "jti": "gitlab-1"}) + "\n"

func TestLogin(t *testing.T) {
	sts, gat := "sts:AssumeRoleWithWebIdentity", "ecr:GetAuthorizationToken"
	tests := []struct {
		name string
		scenario
		wantActions  []string
		wantSTS      map[string]any // AssumeRoleWithWebIdentity parameters
		wantAudience string         // requested from GitHub
		wantECR      ecrtest.Call   // GetAuthorizationToken: key id, region, parameters
		wantRegistry string
		masked       []string
	}{
		{
			name:         "github oidc",
			scenario:     scenario{oidc: true, srv: ecrtest.Options{RoleARN: role}, opts: Options{Registry: host, RoleToAssume: role}},
			wantActions:  []string{sts, gat},
			wantSTS:      map[string]any{"RoleArn": role, "RoleSessionName": "pack-publish"},
			wantAudience: "sts.amazonaws.com",
			wantECR:      ecrtest.Call{KeyID: ecrtest.DefaultAccessKeyID, Region: "eu-west-1", Params: map[string]any{"registryIds": []any{"123456789012"}}},
			wantRegistry: "123456789012",
			masked:       []string{"token", "keys", "password"},
		},
		{
			name: "china host, custom audience and session name",
			scenario: scenario{oidc: true, srv: ecrtest.Options{Account: "210987654321", Region: "cn-north-1", Audience: "sts.amazonaws.com.cn"},
				opts: Options{Registry: "210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn", RoleToAssume: "arn:aws-cn:iam::210987654321:role/p",
					RoleSessionName: "run-42", Audience: "sts.amazonaws.com.cn"}},
			wantActions:  []string{sts, gat},
			wantSTS:      map[string]any{"RoleArn": "arn:aws-cn:iam::210987654321:role/p", "RoleSessionName": "run-42"},
			wantAudience: "sts.amazonaws.com.cn",
			wantECR:      ecrtest.Call{KeyID: ecrtest.DefaultAccessKeyID, Region: "cn-north-1", Params: map[string]any{"registryIds": []any{"210987654321"}}},
			wantRegistry: "210987654321",
			masked:       []string{"token", "keys", "password"},
		},
		{
			name: "gitlab token file, host region over AWS_REGION",
			scenario: scenario{tokenFile: gitlabToken, env: map[string]string{"AWS_REGION": "us-east-1"},
				opts: Options{Registry: host, RoleToAssume: role}},
			wantActions:  []string{sts, gat},
			wantSTS:      map[string]any{"RoleArn": role, "WebIdentityToken": strings.TrimSpace(gitlabToken)},
			wantECR:      ecrtest.Call{KeyID: ecrtest.DefaultAccessKeyID, Region: "eu-west-1", Params: map[string]any{"registryIds": []any{"123456789012"}}},
			wantRegistry: "123456789012",
			masked:       []string{"token", "keys", "password"},
		},
		{
			name: "ambient static keys",
			scenario: scenario{env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIASTATICKEY0000001", "AWS_SECRET_ACCESS_KEY": "static-secret-5ecret"},
				opts: Options{Registry: host}},
			wantActions:  []string{gat},
			wantECR:      ecrtest.Call{KeyID: "AKIASTATICKEY0000001", Region: "eu-west-1", Params: map[string]any{"registryIds": []any{"123456789012"}}},
			wantRegistry: "123456789012",
			masked:       []string{"env keys", "password"},
		},
		{
			name:         "ambient web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE)",
			scenario:     scenario{tokenFile: gitlabToken, ambient: true, env: map[string]string{"AWS_ROLE_ARN": role}, opts: Options{Registry: host}},
			wantActions:  []string{sts, gat},
			wantSTS:      map[string]any{"RoleArn": role, "WebIdentityToken": gitlabToken}, // the SDK sends the file as is
			wantECR:      ecrtest.Call{KeyID: ecrtest.DefaultAccessKeyID, Region: "eu-west-1", Params: map[string]any{"registryIds": []any{"123456789012"}}},
			wantRegistry: "123456789012",
			masked:       []string{"keys", "password"},
		},
		{
			name: "registry named by the proxy endpoint, with aws-region",
			scenario: scenario{oidc: true, srv: ecrtest.Options{ProxyEndpoint: "https://proxy.example.com:5000"},
				opts: Options{Registry: "proxy.example.com:5000", Region: "eu-west-1", RoleToAssume: role}},
			wantActions:  []string{sts, gat},
			wantSTS:      map[string]any{"RoleArn": role},
			wantAudience: "sts.amazonaws.com",
			wantECR:      ecrtest.Call{KeyID: ecrtest.DefaultAccessKeyID, Region: "eu-west-1", Params: map[string]any{}},
			wantRegistry: "", // not an ECR host name
			masked:       []string{"token", "keys", "password"},
		},
		{
			name: "ECR host with the default port, region from AWS_DEFAULT_REGION",
			scenario: scenario{oidc: true, env: map[string]string{"AWS_DEFAULT_REGION": "eu-west-1"},
				opts: Options{Registry: "123456789012.DKR.ECR.eu-west-1.amazonaws.com:443", RoleToAssume: role}},
			wantActions:  []string{sts, gat},
			wantSTS:      map[string]any{"RoleArn": role},
			wantAudience: "sts.amazonaws.com",
			wantECR:      ecrtest.Call{KeyID: ecrtest.DefaultAccessKeyID, Region: "eu-west-1", Params: map[string]any{"registryIds": []any{"123456789012"}}},
			wantRegistry: "123456789012",
			masked:       []string{"token", "keys", "password"},
		},
		{
			name: "loopback test registry over plain HTTP",
			scenario: scenario{env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIASTATICKEY0000001", "AWS_SECRET_ACCESS_KEY": "static-secret-5ecret"},
				srv: ecrtest.Options{ProxyEndpoint: "http://127.0.0.1:5000"}, opts: Options{Registry: "127.0.0.1:5000", Region: "eu-west-1"}},
			wantActions:  []string{gat},
			wantECR:      ecrtest.Call{KeyID: "AKIASTATICKEY0000001", Region: "eu-west-1", Params: map[string]any{}},
			wantRegistry: "",
			masked:       []string{"env keys", "password"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, opts := tc.setup(t)
			s, err := Login(context.Background(), opts)
			if err != nil {
				t.Fatalf("Login() = %v", err)
			}
			if diff := cmp.Diff(tc.wantActions, f.srv.Actions()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			calls := f.srv.Calls()
			if tc.wantSTS != nil {
				c := calls[0]
				if c.KeyID != "" {
					t.Errorf("AssumeRoleWithWebIdentity signed with %q, want unsigned", c.KeyID)
				}
				token, _ := c.Params["WebIdentityToken"].(string)
				if f.oidc != nil && !slices.Contains(f.oidc.Tokens(), token) {
					t.Errorf("STS got token %q, not one GitHub issued", token)
				}
				for k, want := range tc.wantSTS {
					if c.Params[k] != want {
						t.Errorf("AssumeRoleWithWebIdentity %s = %q, want %q", k, c.Params[k], want)
					}
				}
			}
			if f.oidc != nil {
				if diff := cmp.Diff([]string{tc.wantAudience}, f.oidc.Audiences()); diff != "" {
					t.Errorf("OIDC audiences (-want +got):\n%s", diff)
				}
			}
			got := calls[len(calls)-1]
			got.Action = ""
			if diff := cmp.Diff(tc.wantECR, got); diff != "" {
				t.Errorf("GetAuthorizationToken call (-want +got):\n%s", diff)
			}
			o := f.srv.Options()
			if s.Username != "AWS" || s.Password != o.Password || s.RegistryID != tc.wantRegistry || s.Region != tc.wantECR.Region ||
				s.ExpiresAt.IsZero() || !sameHost(opts.Registry, s.ProxyEndpoint[strings.Index(s.ProxyEndpoint, "://")+3:], "https") && tc.srv.ProxyEndpoint == "" {
				t.Errorf("Login() = %+v, want AWS / %s in %s for %s", *s, o.Password, tc.wantECR.Region, tc.wantRegistry)
			}
			f.checkSecrets(t, tc.scenario, "", tc.masked...)
		})
	}
}

func TestLogin_errors(t *testing.T) {
	denySubject := ecrtest.Options{Subject: "repo:octo-org/packs:environment:production"}
	tests := []struct {
		name string
		scenario
		wantIs      error
		want        []string // substrings of the message
		wantActions []string
		masked      []string
	}{
		// The token goes only to the registry it was issued for, over HTTPS
		// (security review F3): role-to-assume made auth ecr for another host.
		{
			name:        "registry is not the proxy endpoint",
			scenario:    scenario{oidc: true, opts: Options{Registry: "127.0.0.1:57101", Region: "us-east-1", RoleToAssume: role}},
			wantIs:      ErrWrongRegistry,
			want:        []string{"registry 127.0.0.1:57101 is not 123456789012.dkr.ecr.eu-west-1.amazonaws.com", "the token is not sent to it", "set auth to basic, docker-config or none"},
			wantActions: []string{"sts:AssumeRoleWithWebIdentity", "ecr:GetAuthorizationToken"},
			masked:      []string{"token", "keys", "password"},
		},
		{
			name:        "look-alike ECR host",
			scenario:    scenario{oidc: true, opts: Options{Registry: host + ".evil.example", Region: "eu-west-1", RoleToAssume: role}},
			wantIs:      ErrWrongRegistry,
			want:        []string{"registry " + host + ".evil.example is not " + host},
			wantActions: []string{"sts:AssumeRoleWithWebIdentity", "ecr:GetAuthorizationToken"},
			masked:      []string{"token", "keys", "password"},
		},
		{
			name:        "another port of the proxy endpoint",
			scenario:    scenario{oidc: true, opts: Options{Registry: host + ":5000", RoleToAssume: role}},
			wantIs:      ErrWrongRegistry,
			want:        []string{"registry " + host + ":5000 is not " + host},
			wantActions: []string{"sts:AssumeRoleWithWebIdentity", "ecr:GetAuthorizationToken"},
			masked:      []string{"token", "keys", "password"},
		},
		{
			name: "plain HTTP proxy endpoint off loopback",
			scenario: scenario{oidc: true, srv: ecrtest.Options{ProxyEndpoint: "http://proxy.example.com"},
				opts: Options{Registry: "proxy.example.com", Region: "eu-west-1", RoleToAssume: role}},
			wantIs:      ErrWrongRegistry,
			want:        []string{"ECR issued the token for http://proxy.example.com, which is not an HTTPS URL"},
			wantActions: []string{"sts:AssumeRoleWithWebIdentity", "ecr:GetAuthorizationToken"},
			masked:      []string{"token", "keys", "password"},
		},
		{
			name:     "role without OIDC (no id-token permission, or act)",
			scenario: scenario{opts: Options{Registry: host, RoleToAssume: role}},
			wantIs:   ErrNoIDToken,
			want:     []string{"ACTIONS_ID_TOKEN_REQUEST_URL", "`permissions: id-token: write`", "web-identity-token-file", "act", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", "leave role-to-assume empty"},
		},
		{
			name:     "OIDC request refused",
			scenario: scenario{oidc: true, badRequest: true, opts: Options{Registry: host, RoleToAssume: role}},
			want:     []string{`requesting a GitHub OIDC token for audience "sts.amazonaws.com"`, "id-token: write", "401"},
		},
		{
			name:        "trust policy refuses the subject",
			scenario:    scenario{oidc: true, srv: denySubject, opts: Options{Registry: host, RoleToAssume: role}},
			wantIs:      ErrAssumeRoleDenied,
			wantActions: []string{"sts:AssumeRoleWithWebIdentity"},
			want: []string{"assuming role " + role, `iss="https://token.actions.githubusercontent.com"`, `sub="repo:octo-org/packs:ref:refs/heads/main"`,
				`aud="sts.amazonaws.com"`, `ref="refs/heads/main"`, `{"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}`,
				`"token.actions.githubusercontent.com:sub": "repo:octo-org/packs:ref:refs/heads/main"`, `"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"`,
				"api error AccessDenied"},
			masked: []string{"token"},
		},
		{
			name:        "trust policy refuses a GitLab token, which the server echoes",
			scenario:    scenario{tokenFile: gitlabToken, srv: ecrtest.Options{RoleARN: "arn:aws:iam::123456789012:role/other", EchoSecrets: true}, opts: Options{Registry: host, RoleToAssume: role}},
			wantIs:      ErrAssumeRoleDenied,
			wantActions: []string{"sts:AssumeRoleWithWebIdentity"},
			want:        []string{`iss="https://gitlab.com"`, `sub="project_path:group/packs:ref_type:branch:ref:main"`, `ref="main"`, `"gitlab.com:sub"`, "(token REDACTED)"},
			masked:      []string{"token"},
		},
		{
			name:        "OIDC provider refuses the audience",
			scenario:    scenario{oidc: true, srv: ecrtest.Options{Audience: "sts.amazonaws.com"}, opts: Options{Registry: host, RoleToAssume: role, Audience: "other"}},
			wantIs:      ErrAssumeRoleDenied,
			wantActions: []string{"sts:AssumeRoleWithWebIdentity"},
			want:        []string{"the token was rejected", `aud="other"`, "IAM OIDC identity provider arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", "InvalidIdentityToken"},
			masked:      []string{"token"},
		},
		{
			name:     "aws-region differs from the host",
			scenario: scenario{oidc: true, opts: Options{Registry: host, Region: "us-east-1", RoleToAssume: role}},
			wantIs:   ErrWrongRegion,
			want:     []string{`aws-region is "us-east-1"`, `is in "eu-west-1"`, `set aws-region to "eu-west-1" or leave it empty`},
		},
		{
			name:     "malformed aws-region",
			scenario: scenario{oidc: true, opts: Options{Registry: "proxy.example.com", Region: "eu-west", RoleToAssume: role}},
			wantIs:   ErrWrongRegion,
			want:     []string{`"eu-west" is not an AWS region name`, "aws-region"},
		},
		{
			name:     "no region for a non-ECR registry",
			scenario: scenario{oidc: true, opts: Options{Registry: "proxy.example.com", RoleToAssume: role}},
			wantIs:   ErrNoRegion,
			want:     []string{`"proxy.example.com" is not an ECR host name`, "set aws-region (or AWS_REGION)"},
		},
		{
			name:        "credentials not valid in the region",
			scenario:    scenario{oidc: true, srv: ecrtest.Options{Errors: map[string]string{"ecr:GetAuthorizationToken": "UnrecognizedClientException"}}, opts: Options{Registry: host, RoleToAssume: role}},
			wantIs:      ErrWrongRegion,
			wantActions: []string{"sts:AssumeRoleWithWebIdentity", "ecr:GetAuthorizationToken"},
			want:        []string{"not accepted in eu-west-1", "opt-in region"},
			masked:      []string{"token", "keys"},
		},
		{
			name: "GetAuthorizationToken denied, session token echoed",
			scenario: scenario{oidc: true, srv: ecrtest.Options{EchoSecrets: true, Errors: map[string]string{"ecr:GetAuthorizationToken": "AccessDeniedException"}},
				opts: Options{Registry: host, RoleToAssume: role}},
			wantIs:      ErrAccessDenied,
			wantActions: []string{"sts:AssumeRoleWithWebIdentity", "ecr:GetAuthorizationToken"},
			want:        []string{"getting an ECR authorization token", "may not call ecr:GetAuthorizationToken; allow ecr:GetAuthorizationToken on *", "assumed-role/publisher/pack-publish", "(session token REDACTED)"},
			masked:      []string{"token", "keys"},
		},
		{
			name:     "no credentials at all",
			scenario: scenario{opts: Options{Registry: host}},
			wantIs:   ErrNoCredentials,
			want:     []string{"set role-to-assume", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", "AWS_WEB_IDENTITY_TOKEN_FILE"},
		},
		{
			name:     "token file without a role",
			scenario: scenario{tokenFile: gitlabToken, opts: Options{Registry: host}},
			wantIs:   ErrInvalidOption,
			want:     []string{"web-identity-token-file is set but role-to-assume is empty"},
		},
		{
			name:     "missing token file",
			scenario: scenario{opts: Options{Registry: host, RoleToAssume: role, WebIdentityTokenFile: "<missing>"}},
			wantIs:   os.ErrNotExist,
			want:     []string{"reading web-identity-token-file"},
		},
		{
			name:     "empty token file",
			scenario: scenario{tokenFile: " \n", opts: Options{Registry: host, RoleToAssume: role}},
			wantIs:   ErrNoIDToken,
			want:     []string{"is empty"},
		},
		{
			name:     "bad session name",
			scenario: scenario{oidc: true, opts: Options{Registry: host, RoleToAssume: role, RoleSessionName: "a b"}},
			wantIs:   ErrInvalidOption,
			want:     []string{`role-session-name "a b"`},
		},
	}
	var golden strings.Builder
	ran := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, opts := tc.setup(t)
			s, err := Login(context.Background(), opts)
			if err == nil {
				t.Fatalf("Login() = %v, want an error", s)
			}
			msg := err.Error()
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("Login() = %v, want errors.Is %v", err, tc.wantIs)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Login() = %v\nwant it to contain %q", msg, w)
				}
			}
			if diff := cmp.Diff(tc.wantActions, f.srv.Actions()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			f.checkSecrets(t, tc.scenario, msg, tc.masked...)
			if f.tokenFile != "" {
				msg = strings.ReplaceAll(msg, filepath.Dir(f.tokenFile), "$TMP")
			}
			if opts.WebIdentityTokenFile != "" {
				msg = strings.ReplaceAll(msg, filepath.Dir(opts.WebIdentityTokenFile), "$TMP")
			}
			if f.oidc != nil {
				msg = strings.ReplaceAll(msg, f.oidc.RequestToken, "$REQUEST_TOKEN")
			}
			golden.WriteString("# " + tc.name + "\n" + msg + "\n\n")
			ran++
		})
	}
	if ran < len(tests) || t.Failed() {
		return // -run selected some cases only, or a case failed already
	}
	goldentest.Check(t, "testdata/login-errors.golden.txt", golden.String(), *update)
}
