package ecrtest

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of Options.
const (
	DefaultAccount         = "123456789012"
	DefaultRegion          = "eu-west-1"
	DefaultPassword        = "ecr-password-f4k3-5ecret"
	DefaultAccessKeyID     = "ASIAFAKEKEYID0000001"
	DefaultSecretAccessKey = "fake-secret-access-key-5ecret"
	DefaultSessionToken    = "fake-session-token-5ecret"
	RequestID              = "fake-request-id"
)

// Options configure the fake. The zero value accepts every role and token.
type Options struct {
	Account  string // registry account; default DefaultAccount
	Region   string // region in ARNs and the proxy endpoint; default DefaultRegion
	Username string // in the authorization token; default "AWS"
	Password string // in the authorization token; default DefaultPassword
	// ProxyEndpoint is the registry URL the authorization token is issued
	// for; default https://<account>.dkr.ecr.<region>.amazonaws.com (.com.cn
	// in China). Tests
	// that push to a local registry set it to that registry's URL.
	ProxyEndpoint string

	// RoleARN, when set, is the only role STS lets assume (AccessDenied otherwise).
	RoleARN string
	// Subject, when set, is the only sub claim the role's trust policy
	// accepts (AccessDenied otherwise).
	Subject string
	// Audience, when set, is the only aud claim the OIDC provider accepts
	// (InvalidIdentityToken otherwise).
	Audience string
	// Credentials STS issues; defaults DefaultAccessKeyID, ... .
	AccessKeyID, SecretAccessKey, SessionToken string

	// Repositories exist from the start with MUTABLE tags, Immutable with
	// IMMUTABLE tags.
	Repositories, Immutable []string
	// Racing repositories are created by "someone else" right after
	// DescribeRepositories reported them missing, so CreateRepository
	// answers RepositoryAlreadyExistsException.
	Racing []string
	// Errors answers an action ("sts:AssumeRoleWithWebIdentity",
	// "ecr:CreateRepository", ...) with this error code instead, e.g.
	// "AccessDenied", "AccessDeniedException", "UnrecognizedClientException".
	Errors map[string]string
	// EchoSecrets makes error messages quote the web identity token and the
	// session token they received, as a careless server might.
	EchoSecrets bool
	// Delay holds every ECR answer back this long, so that concurrent
	// calls overlap (see [Server.MaxInFlight]).
	Delay time.Duration
}

// Call is one request the fake answered.
type Call struct {
	Action string // "sts:AssumeRoleWithWebIdentity", "ecr:CreateRepository", ...
	KeyID  string // access key id of the SigV4 signature; "" when unsigned
	Region string // signing region; "" when unsigned
	// Params: the form values of an STS call, the JSON body of an ECR call.
	Params map[string]any
}

// Server is the fake STS and ECR endpoint.
type Server struct {
	URL  string
	opts Options

	mu      sync.Mutex
	calls   []Call
	repos   map[string]string // name → tag mutability
	racing  []string
	created []string
	session string // principal of the last assumed role, for messages

	inFlight, maxInFlight int // ECR calls being answered
}

// New starts the fake; it is closed when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&opts.Account, DefaultAccount)
	def(&opts.Region, DefaultRegion)
	def(&opts.Username, "AWS")
	def(&opts.Password, DefaultPassword)
	def(&opts.AccessKeyID, DefaultAccessKeyID)
	def(&opts.SecretAccessKey, DefaultSecretAccessKey)
	def(&opts.SessionToken, DefaultSessionToken)
	s := &Server{opts: opts, repos: map[string]string{}, racing: slices.Clone(opts.Racing),
		session: "arn:aws:iam::" + opts.Account + ":user/ci"}
	for _, r := range opts.Repositories {
		s.repos[r] = "MUTABLE"
	}
	for _, r := range opts.Immutable {
		s.repos[r] = "IMMUTABLE"
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Options returns the options with their defaults filled in.
func (s *Server) Options() Options { return s.opts }

// Calls returns the calls answered so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Actions returns the Action of every call so far, in order.
func (s *Server) Actions() []string {
	var a []string
	for _, c := range s.Calls() {
		a = append(a, c.Action)
	}
	return a
}

// Created returns the repositories CreateRepository created, in order.
func (s *Server) Created() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.created)
}

// Repositories returns every existing repository, sorted.
func (s *Server) Repositories() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var r []string
	for n := range s.repos {
		r = append(r, n)
	}
	slices.Sort(r)
	return r
}

// Setenv isolates the test from the machine's AWS configuration (see
// Isolate) and points the SDK's STS and ECR clients at the fake.
func (s *Server) Setenv(t *testing.T) {
	t.Helper()
	Isolate(t)
	t.Setenv("AWS_ENDPOINT_URL_STS", s.URL)
	t.Setenv("AWS_ENDPOINT_URL_ECR", s.URL)
}

// Isolate unsets every AWS variable that could reach a real account or
// change the SDK's behaviour, points the shared config and credentials files
// at missing files and disables EC2 instance metadata.
func Isolate(t *testing.T) {
	t.Helper()
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_ECR", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
		"AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_CA_BUNDLE", "AWS_STS_REGIONAL_ENDPOINTS",
		"AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_SDK_LOAD_CONFIG",
	} {
		t.Setenv(k, "") // restores the old value after the test
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "missing-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "missing-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

var credential = regexp.MustCompile(`Credential=([^/,\s]+)/[0-9]+/([^/]+)/`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	call := Call{Params: map[string]any{}}
	if m := credential.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		call.KeyID, call.Region = m[1], m[2]
	}
	w.Header().Set("X-Amzn-Requestid", RequestID)
	if target, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonEC2ContainerRegistry_V20150921."); ok {
		call.Action = "ecr:" + target
		if err := json.Unmarshal(body, &call.Params); err != nil {
			ecrError(w, "SerializationException", err.Error())
			return
		}
		s.record(call)
		s.track(1)
		defer s.track(-1)
		time.Sleep(s.opts.Delay)
		s.ecr(w, r, call)
		return
	}
	form, err := parseQuery(string(body))
	if err != nil || form["Action"] == "" {
		http.Error(w, "neither an ECR nor an STS request", http.StatusNotFound)
		return
	}
	call.Action = "sts:" + form["Action"]
	for k, v := range form {
		call.Params[k] = v
	}
	s.record(call)
	s.sts(w, form)
}

func (s *Server) track(d int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight += d
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
}

// MaxInFlight is the most ECR calls the fake answered at once (STS calls
// are not counted).
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

func (s *Server) injected(action string) string {
	return s.opts.Errors[action]
}

// sts answers AssumeRoleWithWebIdentity in the AWS query protocol.
func (s *Server) sts(w http.ResponseWriter, form map[string]string) {
	o := s.opts
	token := form["WebIdentityToken"]
	echo := ""
	if o.EchoSecrets {
		echo = fmt.Sprintf(" (token %s)", token)
	}
	if form["Action"] != "AssumeRoleWithWebIdentity" {
		stsError(w, http.StatusBadRequest, "InvalidAction", "ecrtest answers AssumeRoleWithWebIdentity only")
		return
	}
	c := claimsOf(token)
	switch code := s.injected("sts:AssumeRoleWithWebIdentity"); {
	case code != "":
		stsError(w, http.StatusForbidden, code, "Injected "+code+echo)
		return
	case o.Audience != "" && c.Aud != o.Audience:
		stsError(w, http.StatusBadRequest, "InvalidIdentityToken", "Incorrect token audience"+echo)
		return
	case o.RoleARN != "" && form["RoleArn"] != o.RoleARN, o.Subject != "" && c.Sub != o.Subject:
		stsError(w, http.StatusForbidden, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"+echo)
		return
	}
	role := form["RoleArn"][strings.LastIndex(form["RoleArn"], "/")+1:]
	principal := fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", o.Account, role, form["RoleSessionName"])
	s.mu.Lock()
	s.session = principal
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>%s</AccessKeyId>
      <SecretAccessKey>%s</SecretAccessKey>
      <SessionToken>%s</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
    <SubjectFromWebIdentityToken>%s</SubjectFromWebIdentityToken>
    <AssumedRoleUser><Arn>%s</Arn><AssumedRoleId>AROAFAKE:%s</AssumedRoleId></AssumedRoleUser>
    <Audience>%s</Audience>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`,
		esc(o.AccessKeyID), esc(o.SecretAccessKey), esc(o.SessionToken), esc(c.Sub), esc(principal),
		esc(form["RoleSessionName"]), esc(c.Aud), RequestID)
}

func stsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		esc(code), esc(msg), RequestID)
}

// ecr answers the JSON 1.1 protocol.
func (s *Server) ecr(w http.ResponseWriter, r *http.Request, call Call) {
	o := s.opts
	echo := ""
	if o.EchoSecrets {
		echo = fmt.Sprintf(" (session token %s)", r.Header.Get("X-Amz-Security-Token"))
	}
	op := strings.TrimPrefix(call.Action, "ecr:")
	name, _ := call.Params["repositoryName"].(string)
	if names, ok := call.Params["repositoryNames"].([]any); ok && len(names) == 1 {
		name, _ = names[0].(string)
	}
	if call.KeyID == "" {
		ecrError(w, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	if code := s.injected(call.Action); code != "" {
		msg := "Injected " + code + echo
		if code == "AccessDeniedException" {
			s.mu.Lock()
			principal := s.session
			s.mu.Unlock()
			resource := "*"
			if name != "" {
				resource = s.arn(name)
			}
			msg = fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action%s",
				principal, call.Action, resource, call.Action, echo)
		}
		ecrError(w, code, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch op {
	case "GetAuthorizationToken":
		id := o.Account
		if ids, ok := call.Params["registryIds"].([]any); ok && len(ids) > 0 {
			id, _ = ids[0].(string)
		}
		token := base64.StdEncoding.EncodeToString([]byte(o.Username + ":" + o.Password))
		writeJSON(w, map[string]any{"authorizationData": []any{map[string]any{
			"authorizationToken": token,
			"expiresAt":          4070908800,
			"proxyEndpoint":      cmp.Or(o.ProxyEndpoint, fmt.Sprintf("https://%s.dkr.ecr.%s.%s", id, o.Region, domain(o.Region))),
		}}})
	case "DescribeRepositories":
		m, ok := s.repos[name]
		if !ok {
			if i := slices.Index(s.racing, name); i >= 0 {
				s.racing = slices.Delete(s.racing, i, i+1)
				s.repos[name] = "MUTABLE"
			}
			ecrError(w, "RepositoryNotFoundException", fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", name, o.Account))
			return
		}
		writeJSON(w, map[string]any{"repositories": []any{s.repository(name, m)}})
	case "CreateRepository":
		if !validName.MatchString(name) || len(name) < 2 || len(name) > 256 {
			ecrError(w, "InvalidParameterException", "Invalid parameter at 'repositoryName' failed to satisfy constraint")
			return
		}
		if _, ok := s.repos[name]; ok {
			ecrError(w, "RepositoryAlreadyExistsException", fmt.Sprintf("The repository with name '%s' already exists in the registry with id '%s'", name, o.Account))
			return
		}
		m, _ := call.Params["imageTagMutability"].(string)
		if m == "" {
			m = "MUTABLE"
		}
		s.repos[name] = m
		s.created = append(s.created, name)
		writeJSON(w, map[string]any{"repository": s.repository(name, m)})
	default:
		ecrError(w, "UnknownOperationException", "ecrtest does not implement "+op)
	}
}

var validName = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

func (s *Server) arn(name string) string {
	return fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", s.opts.Region, s.opts.Account, name)
}

func (s *Server) repository(name, mutability string) map[string]any {
	return map[string]any{
		"repositoryArn":      s.arn(name),
		"registryId":         s.opts.Account,
		"repositoryName":     name,
		"repositoryUri":      fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", s.opts.Account, s.opts.Region, name),
		"createdAt":          1700000000,
		"imageTagMutability": mutability,
	}
}

func ecrError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// domain is the AWS domain of a region's endpoints.
func domain(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}
