package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/errcode"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Options configure the HTTP client shared by every repository of a run.
type Options struct {
	PlainHTTP  bool
	Insecure   bool
	CAFile     string // PEM bundle added to the system roots
	Credential auth.CredentialFunc
	UserAgent  string
}

// NewClient builds the authenticating client: a clone of the default
// transport with the TLS settings, oras-go's retrying transport, a token
// cache and the credential.
func NewClient(opts Options) (*auth.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	if opts.Insecure || opts.CAFile != "" {
		cfg := &tls.Config{InsecureSkipVerify: opts.Insecure} //nolint:gosec // the insecure input asks for it
		if opts.CAFile != "" {
			pool, err := caPool(opts.CAFile)
			if err != nil {
				return nil, err
			}
			cfg.RootCAs = pool
		}
		tr.TLSClientConfig = cfg
	}
	c := &auth.Client{
		Client:     &http.Client{Transport: retry.NewTransport(tr)},
		Cache:      auth.NewCache(),
		Credential: opts.Credential,
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = "pack-publish"
	}
	c.SetUserAgent(ua)
	return c, nil
}

func caPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("input ca-file: reading %s: %w; give the path of a PEM bundle", file, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("input ca-file: %s holds no PEM certificate; give a file with -----BEGIN CERTIFICATE----- blocks", file)
	}
	return pool, nil
}

// Repository returns the remote repository host/path, using client.
func Repository(client *auth.Client, host, path string, plainHTTP bool) (*remote.Repository, error) {
	repo, err := remote.NewRepository(host + "/" + path)
	if err != nil {
		return nil, fmt.Errorf("repository %s/%s: %w", host, path, err)
	}
	repo.Client = client
	repo.PlainHTTP = plainHTTP
	return repo, nil
}

// repoPath is the distribution-spec repository name grammar.
var repoPath = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)

// BasePath is the repository of the base-path artifact:
// "<base-path>/spectro-packs/archive", without empty segments.
func BasePath(basePath string) (string, error) {
	return join(basePath, "spectro-packs/archive")
}

// PackPath is the repository of a pack: "<base-path>/spectro-packs/archive/<name>".
func PackPath(basePath, name string) (string, error) {
	if name == "" || strings.Contains(name, "/") {
		return "", fmt.Errorf("pack name %q is not one repository path component; fix name in pack.json", name)
	}
	return join(basePath, "spectro-packs/archive/"+name)
}

func join(basePath, rest string) (string, error) {
	var segs []string
	for _, s := range strings.Split(basePath+"/"+rest, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	p := strings.Join(segs, "/")
	if !repoPath.MatchString(p) {
		return "", fmt.Errorf("%q is not a valid repository path: use lower-case letters and digits separated by '.', '_', '__' or '-'; check base-path and the pack name", p)
	}
	if len(p) > 255 {
		return "", fmt.Errorf("repository path %q is longer than 255 characters; shorten base-path or the pack name", p)
	}
	return p, nil
}

// AuthOptions select credentials for the auth input.
type AuthOptions struct {
	Mode         string // auto, basic, docker-config, none
	Host         string
	Username     string
	Password     string
	DockerConfig string // path; empty: $DOCKER_CONFIG/config.json, then ~/.docker/config.json
}

// Credentials returns the credential function for the mode, and the mode it
// resolved to ("auto" becomes basic, docker-config or none).
func Credentials(ctx context.Context, opts AuthOptions) (auth.CredentialFunc, string, error) {
	switch opts.Mode {
	case "basic":
		return auth.StaticCredential(opts.Host, auth.Credential{Username: opts.Username, Password: opts.Password}), "basic", nil
	case "none":
		return nil, "none", nil
	case "docker-config":
		store, err := dockerStore(opts.DockerConfig)
		if err != nil {
			return nil, "", err
		}
		return credentials.Credential(store), "docker-config", nil
	case "auto", "":
		if opts.Username != "" {
			return auth.StaticCredential(opts.Host, auth.Credential{Username: opts.Username, Password: opts.Password}), "basic", nil
		}
		store, err := dockerStore(opts.DockerConfig)
		if err != nil {
			if opts.DockerConfig != "" {
				return nil, "", err
			}
			return nil, "none", nil // no usable docker config: anonymous
		}
		cred, err := store.Get(ctx, opts.Host)
		if err != nil || cred == auth.EmptyCredential {
			return nil, "none", nil
		}
		return credentials.Credential(store), "docker-config", nil
	}
	return nil, "", fmt.Errorf("input auth: %q is not supported here", opts.Mode)
}

// dockerStore opens the docker config: the given file, else
// $DOCKER_CONFIG/config.json, else ~/.docker/config.json (credsStore and
// credHelpers included).
func dockerStore(path string) (credentials.Store, error) {
	if path == "" {
		s, err := credentials.NewStoreFromDocker(credentials.StoreOptions{})
		if err != nil {
			return nil, fmt.Errorf("input docker-config: reading the docker config: %w", err)
		}
		return s, nil
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("input docker-config: %w; give the path of a docker config.json (mount it into the container)", err)
	}
	s, err := credentials.NewStore(filepath.Clean(path), credentials.StoreOptions{})
	if err != nil {
		return nil, fmt.Errorf("input docker-config: reading %s: %w", path, err)
	}
	return s, nil
}

// Hint returns advice for a registry error, or "".
func Hint(err error) string {
	if err == nil {
		return ""
	}
	status := 0
	var er *errcode.ErrorResponse
	if errors.As(err, &er) {
		status = er.StatusCode
	}
	s := err.Error()
	switch {
	case status == http.StatusUnauthorized || strings.Contains(s, "basic credential not found"):
		return "the registry refused the credentials: check username and password (a Harbor robot account is robot$name), or the docker config entry for this host"
	case status == http.StatusForbidden:
		return "the account may not push here: give it push permission on the project named in base-path"
	case status == http.StatusNotFound:
		return "the repository was not found: check base-path (the Harbor project must exist)"
	case strings.Contains(s, "x509:") || strings.Contains(s, "tls: "):
		return "TLS verification failed: set ca-file to the registry's CA bundle (or insecure: true to skip verification)"
	case strings.Contains(s, "server gave HTTP response to HTTPS client"):
		return "the registry speaks plain HTTP: set plain-http: true"
	case strings.Contains(s, "connection refused") || strings.Contains(s, "no such host") || strings.Contains(s, "i/o timeout"):
		return "the registry is unreachable: check the registry input (host[:port]) and the network"
	}
	return ""
}
