package ecr

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/pack-publish/pack-publish/internal/redact"
)

// Defaults of Options.
const (
	DefaultRoleSessionName = "pack-publish"
	DefaultAudience        = "sts.amazonaws.com"
)

// maxTokenFile caps the size of a web identity token file (JWTs are ~1 KiB).
const maxTokenFile = 64 << 10

// Options configure Login. The zero value uses the AWS SDK's default
// credential chain and the region of the registry host or of the environment.
type Options struct {
	// Registry is the registry host[:port]. The account and region are taken
	// from it when it is an ECR host name. The token is issued for one
	// registry, its proxy endpoint: Login fails with ErrWrongRegistry when
	// Registry is another host, or when that endpoint is not HTTPS (plain
	// HTTP is accepted on a loopback address only, for tests).
	Registry string
	// Region is the aws-region input. Default: the region of an ECR host,
	// else the SDK's (AWS_REGION, AWS_DEFAULT_REGION, profile).
	Region string
	// RoleToAssume is an IAM role ARN assumed with a web identity token.
	// Empty: the SDK's default credential chain.
	RoleToAssume string
	// RoleSessionName names the STS session. Default DefaultRoleSessionName.
	RoleSessionName string
	// Audience is requested from GitHub's OIDC endpoint. Default DefaultAudience.
	Audience string
	// WebIdentityTokenFile is a file holding the JWT (GitLab id_tokens, any
	// issuer), used instead of IDToken. Needs RoleToAssume.
	WebIdentityTokenFile string
	// IDToken returns GitHub's OIDC token for an audience (go-githubactions
	// Action.GetIDToken). May be nil outside GitHub Actions.
	IDToken func(ctx context.Context, audience string) (string, error)
	// Getenv reads ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN. Default os.Getenv.
	// The AWS SDK itself reads the process environment.
	Getenv func(string) string
	// Secrets is the run's list of secrets: every secret obtained (the ID
	// token, the AWS access key id, secret key and session token, the ECR
	// authorization token and password) is added to it as soon as it is
	// obtained, which hands it to the list's Mask, and errors are redacted
	// with it. nil: a list of this login's secrets only, masked nowhere.
	Secrets *redact.Secrets
	// HTTPClient makes the STS and ECR calls (with bounded timeouts); nil:
	// the SDK's default client.
	HTTPClient *http.Client
}

// Session is a login to an ECR registry.
type Session struct {
	Username string // "AWS"
	Password string // the ECR authorization token's password: a secret
	// RegistryID is the registry's AWS account id.
	RegistryID string
	// Region is the AWS region used.
	Region string
	// ProxyEndpoint is the registry URL ECR issued the token for, such as
	// https://123456789012.dkr.ecr.eu-west-1.amazonaws.com.
	ProxyEndpoint string
	// ExpiresAt is when the password stops working (12 hours after issue).
	ExpiresAt time.Time

	client  *ecr.Client
	secrets *redact.Secrets
}

// String describes the session without its password.
func (s *Session) String() string {
	return fmt.Sprintf("ecr.Session{Username: %q, RegistryID: %q, Region: %q, Password: ***}", s.Username, s.RegistryID, s.Region)
}

// Login gets AWS credentials (by assuming RoleToAssume with a web identity
// token, else from the SDK's default chain) and an ECR authorization token
// for the registry.
func Login(ctx context.Context, opts Options) (*Session, error) {
	sec := opts.Secrets
	if sec == nil {
		sec = &redact.Secrets{}
	}
	s, err := login(ctx, opts, sec)
	return s, sec.Error(err)
}

func login(ctx context.Context, opts Options, sec *redact.Secrets) (*Session, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Audience == "" {
		opts.Audience = DefaultAudience
	}
	if opts.RoleSessionName == "" {
		opts.RoleSessionName = DefaultRoleSessionName
	}
	if !sessionName.MatchString(opts.RoleSessionName) {
		return nil, fmt.Errorf("%w: role-session-name %q must be 2 to 64 characters of letters, digits and +=,.@_-", ErrInvalidOption, opts.RoleSessionName)
	}
	if opts.WebIdentityTokenFile != "" && opts.RoleToAssume == "" {
		return nil, fmt.Errorf("%w: web-identity-token-file is set but role-to-assume is empty; set role-to-assume to the IAM role the token may assume", ErrInvalidOption)
	}

	account, hostRegion, isECR := ParseHost(opts.Registry)
	if opts.Region != "" && isECR && opts.Region != hostRegion {
		return nil, fmt.Errorf("%w: aws-region is %q but the registry %s is in %q, and an ECR password works in its own region only; set aws-region to %q or leave it empty",
			ErrWrongRegion, opts.Region, opts.Registry, hostRegion, hostRegion)
	}
	region := cmp.Or(opts.Region, hostRegion)

	loadOpts := []func(*config.LoadOptions) error{config.WithAppID("pack-publish")}
	if region != "" {
		loadOpts = append(loadOpts, config.WithRegion(region))
	}
	if opts.HTTPClient != nil {
		loadOpts = append(loadOpts, config.WithHTTPClient(opts.HTTPClient))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration (AWS_* variables, AWS_CONFIG_FILE, AWS_PROFILE): %w", err)
	}
	switch {
	case cfg.Region == "":
		return nil, fmt.Errorf("%w: registry %q is not an ECR host name (<account>.dkr.ecr.<region>.amazonaws.com), so set aws-region (or AWS_REGION)", ErrNoRegion, opts.Registry)
	case !regionName.MatchString(cfg.Region):
		return nil, fmt.Errorf("%w: %q is not an AWS region name such as eu-west-1; fix aws-region (or AWS_REGION)", ErrWrongRegion, cfg.Region)
	}

	if opts.RoleToAssume != "" {
		creds, err := assumeRole(ctx, cfg, opts, sec)
		if err != nil {
			return nil, err
		}
		cfg.Credentials = aws.NewCredentialsCache(creds)
	} else {
		if cfg.Credentials == nil {
			return nil, noCredentials(errors.New("no credential provider"))
		}
		c, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return nil, noCredentials(err)
		}
		sec.Add(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
	}

	s := &Session{Region: cfg.Region, RegistryID: account, client: ecr.NewFromConfig(cfg), secrets: sec}
	if err := s.authorize(ctx); err != nil {
		return nil, err
	}
	if err := checkEndpoint(opts.Registry, s.ProxyEndpoint, opts.RoleToAssume != ""); err != nil {
		return nil, err
	}
	return s, nil
}

// checkEndpoint makes sure the token goes only to the registry it was
// issued for (the proxy endpoint, as docker-credential-ecr-login does) and
// only over HTTPS, or plain HTTP on a loopback address.
func checkEndpoint(registry, endpoint string, role bool) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("%w: ECR issued the token for %q, which is not a registry URL; nothing is sent", ErrWrongRegistry, endpoint)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && IsLoopback(u.Host):
	default:
		return fmt.Errorf("%w: ECR issued the token for %s, which is not an HTTPS URL; the token is sent over HTTPS only", ErrWrongRegistry, endpoint)
	}
	if !sameHost(registry, u.Host, u.Scheme) {
		why := ""
		if role {
			why = " (role-to-assume makes auth ecr unless auth is set)"
		}
		return fmt.Errorf("%w: registry %s is not %s, the host ECR issued the authorization token for, so the token is not sent to it; "+
			"set registry to %s, or, for a registry that is not ECR, set auth to basic, docker-config or none%s",
			ErrWrongRegistry, registry, u.Host, u.Host, why)
	}
	return nil
}

// sameHost compares host[:port] values, without case and with the default
// port of the scheme made explicit.
func sameHost(a, b, scheme string) bool {
	norm := func(h string) string {
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if _, _, err := net.SplitHostPort(h); err != nil {
			port := "443"
			if scheme == "http" {
				port = "80"
			}
			h = net.JoinHostPort(strings.Trim(h, "[]"), port)
		}
		return h
	}
	return norm(a) == norm(b)
}

// IsLoopback reports whether host[:port] is a loopback address (127.0.0.0/8,
// ::1) or localhost: the only place the ECR token may travel without TLS.
func IsLoopback(hostport string) bool {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = strings.Trim(h, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Unmap().IsLoopback()
}

func noCredentials(err error) error {
	return fmt.Errorf("%w: set role-to-assume (GitHub OIDC), or provide AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "+
		"(e.g. with aws-actions/configure-aws-credentials), AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE, or AWS_PROFILE: %w",
		ErrNoCredentials, err)
}

// assumeRole exchanges the web identity token for temporary credentials.
func assumeRole(ctx context.Context, cfg aws.Config, opts Options, sec *redact.Secrets) (aws.CredentialsProvider, error) {
	token, err := webIdentityToken(ctx, opts)
	sec.Add(token)
	if err != nil {
		return nil, err
	}
	out, err := sts.NewFromConfig(cfg).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(opts.RoleToAssume),
		RoleSessionName:  aws.String(opts.RoleSessionName),
		WebIdentityToken: aws.String(token),
	})
	if err != nil {
		return nil, assumeRoleError(opts.RoleToAssume, token, cfg.Region, err)
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil {
		return nil, fmt.Errorf("assuming role %s: AWS STS returned no credentials", opts.RoleToAssume)
	}
	sec.Add(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	return credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken), nil
}

// webIdentityToken reads the token file or asks GitHub for an ID token.
func webIdentityToken(ctx context.Context, opts Options) (string, error) {
	if opts.WebIdentityTokenFile != "" {
		f, err := os.Open(opts.WebIdentityTokenFile)
		if err != nil {
			return "", fmt.Errorf("reading web-identity-token-file: %w", err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
		switch {
		case err != nil:
			return "", fmt.Errorf("reading web-identity-token-file: %w", err)
		case len(b) > maxTokenFile:
			return "", fmt.Errorf("%w: web-identity-token-file %s is larger than %d bytes, which is no JWT", ErrInvalidOption, opts.WebIdentityTokenFile, maxTokenFile)
		}
		token := string(bytes.TrimSpace(b))
		if token == "" {
			return "", fmt.Errorf("%w: web-identity-token-file %s is empty", ErrNoIDToken, opts.WebIdentityTokenFile)
		}
		return token, nil
	}
	for _, v := range []string{"ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"} {
		if opts.IDToken == nil || opts.Getenv(v) == "" {
			return "", fmt.Errorf("%w: role-to-assume is set but %s is not, so GitHub's OIDC token cannot be requested; "+
				"add `permissions: id-token: write` to the workflow or job (or pass web-identity-token-file, e.g. a GitLab id_token). "+
				"Under act, where no OIDC exists, pass static keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY and leave role-to-assume empty",
				ErrNoIDToken, v)
		}
	}
	token, err := opts.IDToken(ctx, opts.Audience)
	if err != nil {
		return "", fmt.Errorf("requesting a GitHub OIDC token for audience %q (check `permissions: id-token: write`): %w", opts.Audience, err)
	}
	if token == "" {
		return "", fmt.Errorf("%w: GitHub's OIDC endpoint returned an empty token for audience %q", ErrNoIDToken, opts.Audience)
	}
	return token, nil
}

// assumeRoleError explains an STS failure with the token's claims (never the
// token) and the trust policy conditions to compare them with.
func assumeRoleError(role, token, region string, err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("assuming role %s in %s: %w", role, region, err)
	}
	c, ok := tokenClaims(token)
	described := "its claims cannot be read: it is not a JWT"
	if ok {
		described = "its claims are " + c.String()
	}
	key := c.conditionKey()
	provider := "arn:aws:iam::<account>:oidc-provider/" + key
	if f := strings.Split(role, ":"); len(f) > 4 {
		provider = fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", f[1], f[4], key)
	}
	switch ae.ErrorCode() {
	case "AccessDenied":
		sub := cmp.Or(c.Sub, "repo:<owner>/<repo>:*")
		aud := cmp.Or(strings.Join(c.Aud, ","), DefaultAudience)
		return fmt.Errorf("assuming role %s: %w: the role's trust policy does not accept this token; %s. "+
			"Check that the trust policy's Principal is {\"Federated\": %q} with the action sts:AssumeRoleWithWebIdentity, "+
			"and that its conditions match these claims, e.g. \"StringEquals\": {\"%s:aud\": %q} and \"StringLike\": {\"%s:sub\": %q}: %w",
			role, ErrAssumeRoleDenied, described, provider, key, aud, key, sub, err)
	case "InvalidIdentityToken", "IDPRejectedClaim", "IDPCommunicationError", "ExpiredTokenException":
		return fmt.Errorf("assuming role %s: %w: the token was rejected; %s. "+
			"Check that the account has the IAM OIDC identity provider %s for issuer %q and that its audiences include the token's aud (the audience input): %w",
			role, ErrAssumeRoleDenied, described, provider, c.Iss, err)
	case "RegionDisabledException":
		return fmt.Errorf("assuming role %s: %w: STS is not enabled in %s; enable the region for the account or fix aws-region: %w", role, ErrWrongRegion, region, err)
	}
	return fmt.Errorf("assuming role %s in %s: %w", role, region, err)
}

// authorize gets the ECR authorization token and splits it into the basic
// credentials.
func (s *Session) authorize(ctx context.Context) error {
	in := &ecr.GetAuthorizationTokenInput{}
	if s.RegistryID != "" {
		//lint:ignore SA1019 the token works for every registry anyway; naming the account keeps requests explicit and the fake checks it
		in.RegistryIds = []string{s.RegistryID}
	}
	out, err := s.client.GetAuthorizationToken(ctx, in)
	if err != nil {
		return s.apiError("getting an ECR authorization token", "ecr:GetAuthorizationToken", "*", "", err)
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return fmt.Errorf("getting an ECR authorization token in %s: the response holds no token", s.Region)
	}
	d := out.AuthorizationData[0]
	s.secrets.Add(*d.AuthorizationToken)
	raw, err := base64.StdEncoding.DecodeString(*d.AuthorizationToken)
	if err != nil {
		return errors.New("decoding the ECR authorization token: it is not base64")
	}
	user, password, ok := strings.Cut(string(raw), ":")
	s.secrets.Add(password)
	if !ok || user == "" || password == "" {
		return errors.New("decoding the ECR authorization token: it is not <user>:<password>")
	}
	s.Username, s.Password = user, password
	s.ProxyEndpoint = aws.ToString(d.ProxyEndpoint)
	s.ExpiresAt = aws.ToTime(d.ExpiresAt)
	if s.RegistryID == "" {
		s.RegistryID, _, _ = ParseHost(strings.TrimPrefix(s.ProxyEndpoint, "https://"))
	}
	return nil
}

// apiError adds what to do to the common ECR failures; alternative is a
// further way out of an access denial.
func (s *Session) apiError(doing, action, resource, alternative string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDeniedException", "AccessDenied":
			return fmt.Errorf("%s: %w: the AWS identity may not call %s; allow %s on %s in the IAM policy of the role or user%s: %w",
				doing, ErrAccessDenied, action, action, resource, alternative, err)
		case "UnrecognizedClientException", "InvalidSignatureException":
			return fmt.Errorf("%s: %w: the AWS credentials are not accepted in %s; check aws-region "+
				"(an opt-in region must be enabled for the account) and the credentials: %w", doing, ErrWrongRegion, s.Region, err)
		}
	}
	return fmt.Errorf("%s in %s: %w", doing, s.Region, err)
}
