package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

// Auth modes of the auth input, and what "auto" resolves to.
const (
	AuthAuto         = "auto"
	AuthBasic        = "basic"
	AuthDockerConfig = "docker-config"
	AuthECR          = "ecr"
	AuthNone         = "none"
)

// AuthOptions select the credentials of the auth input.
type AuthOptions struct {
	Mode         string // auto (also ""), basic, docker-config, none
	Host         string // registry host[:port]; credentials are only given to it
	Username     string
	Password     string
	DockerConfig string // config.json path; empty: $DOCKER_CONFIG/config.json, then ~/.docker/config.json
	// Getenv reads DOCKER_CONFIG and HOME; nil is os.Getenv.
	Getenv func(string) string
}

// Credentials returns the credential function for opts.Mode and the mode it
// resolved to, for logs: "auto" becomes basic when a username is set, else
// docker-config when the docker config has an entry for the host, else none.
// A nil function means anonymous access.
func Credentials(ctx context.Context, opts AuthOptions) (auth.CredentialFunc, string, error) {
	switch opts.Mode {
	case AuthBasic:
		if opts.Username == "" || opts.Password == "" {
			return nil, "", errors.New("input auth: basic needs username and password")
		}
		return basic(opts), AuthBasic, nil
	case AuthNone:
		return nil, AuthNone, nil
	case AuthDockerConfig:
		store, path, err := dockerStore(opts)
		if err != nil {
			return nil, "", err
		}
		if path == "" {
			return nil, "", fmt.Errorf("input docker-config: no docker config at %s; give the path of a config.json", strings.Join(defaultDockerConfigs(opts.Getenv), " or "))
		}
		return credentials.Credential(store), AuthDockerConfig, nil
	case AuthAuto, "":
		if opts.Username != "" {
			return basic(opts), AuthBasic, nil
		}
		store, path, err := dockerStore(opts)
		if err != nil {
			return nil, "", err
		}
		if path == "" {
			return nil, AuthNone, nil
		}
		// An entry may live in a credential helper that cannot run here:
		// then there is no usable entry, and access is anonymous.
		if cred, err := store.Get(ctx, credentials.ServerAddressFromRegistry(opts.Host)); err != nil || cred == auth.EmptyCredential {
			return nil, AuthNone, nil
		}
		return credentials.Credential(store), AuthDockerConfig, nil
	case AuthECR:
		// ECR credentials need AWS calls: package ecr logs in and the
		// caller hands its token to NewClient as a static credential.
		return nil, "", errors.New("input auth: ecr credentials come from an ECR login, not from this package")
	}
	return nil, "", fmt.Errorf("input auth: %q is not one of auto, basic, docker-config, ecr, none", opts.Mode)
}

// basic gives the username and password to opts.Host only.
func basic(opts AuthOptions) auth.CredentialFunc {
	return auth.StaticCredential(opts.Host, auth.Credential{Username: opts.Username, Password: opts.Password})
}

// dockerStore opens the docker config (credsStore and credHelpers
// included): opts.DockerConfig, which must exist, or the first default
// location that exists. path is "" when no default exists.
func dockerStore(opts AuthOptions) (store credentials.Store, path string, err error) {
	if opts.DockerConfig != "" {
		path = filepath.Clean(opts.DockerConfig)
		if _, err := os.Stat(path); err != nil {
			return nil, "", fmt.Errorf("input docker-config: %w; give the path of a docker config.json (in a container, mount it)", err)
		}
	} else {
		for _, p := range defaultDockerConfigs(opts.Getenv) {
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
		}
		if path == "" {
			return nil, "", nil
		}
	}
	if err := checkHelpers(path); err != nil {
		return nil, "", err
	}
	s, err := credentials.NewStore(path, credentials.StoreOptions{})
	if err != nil {
		return nil, "", fmt.Errorf("input docker-config: reading %s: %w", path, err)
	}
	return s, path, nil
}

// helperName is what a credential helper may be called: docker runs
// docker-credential-<name> from PATH, and a name with "/" would run a
// program from the working directory (the checkout).
var helperName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// maxDockerConfig caps the docker config read for the helper check.
const maxDockerConfig = 4 << 20

// checkHelpers refuses credsStore and credHelpers names other than
// [A-Za-z0-9._-]+ before oras-go may run them.
func checkHelpers(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("input docker-config: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDockerConfig+1))
	if err != nil {
		return fmt.Errorf("input docker-config: reading %s: %w", path, err)
	}
	if len(b) > maxDockerConfig {
		return fmt.Errorf("input docker-config: %s is larger than %d bytes, which is no docker config", path, maxDockerConfig)
	}
	var cfg struct {
		CredsStore  string            `json:"credsStore"`
		CredHelpers map[string]string `json:"credHelpers"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil // oras-go reports what is wrong with the file
	}
	names := []struct{ key, name string }{{"credsStore", cfg.CredsStore}}
	for _, host := range slices.Sorted(maps.Keys(cfg.CredHelpers)) {
		names = append(names, struct{ key, name string }{"credHelpers[" + strconv.Quote(host) + "]", cfg.CredHelpers[host]})
	}
	for _, n := range names {
		if n.name != "" && !helperName.MatchString(n.name) {
			return fmt.Errorf("input docker-config: %s names the credential helper %s in %s, but a helper name may hold only letters, digits, '.', '_' and '-' "+
				"(docker-credential-<name> is run from PATH); fix the name", n.key, strconv.Quote(n.name), path)
		}
	}
	return nil
}

// defaultDockerConfigs lists where docker looks for its config.
func defaultDockerConfigs(getenv func(string) string) []string {
	if getenv == nil {
		getenv = os.Getenv
	}
	var paths []string
	if dir := getenv("DOCKER_CONFIG"); dir != "" {
		paths = append(paths, filepath.Join(dir, "config.json"))
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	if home == "" {
		home = "~" // unknown: named in messages, never found
	}
	return append(paths, filepath.Join(home, ".docker", "config.json"))
}
