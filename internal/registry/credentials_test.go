package registry

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/pack-publish/pack-publish/internal/registrytest"
)

// dockerConfig writes dir/config.json with an auths entry user:pass for host.
func dockerConfig(t *testing.T, dir, host, user, pass string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config.json")
	entry := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	if err := os.WriteFile(p, []byte(fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, entry)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// env is a strict getenv: keys it does not know fail the test.
func env(t *testing.T, vars map[string]string) func(string) string {
	return func(k string) string {
		v, ok := vars[k]
		if !ok {
			t.Errorf("unexpected getenv(%q)", k)
		}
		return v
	}
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	const host = "harbor.example.com"
	dir := t.TempDir()
	cfg := dockerConfig(t, filepath.Join(dir, "explicit"), host, "robot$ci", "from-config")
	dockerConfig(t, filepath.Join(dir, "dockerdir"), host, "robot$env", "from-docker-config-env")
	dockerConfig(t, filepath.Join(dir, "home", ".docker"), host, "robot$home", "from-home")
	empty := filepath.Join(dir, "empty")
	tests := []struct {
		name     string
		opts     AuthOptions
		vars     map[string]string // nil: getenv is not consulted
		wantMode string
		wantUser string
		wantPass string
		err      string
	}{
		{"basic", AuthOptions{Mode: "basic", Username: "robot$ci", Password: "p"}, nil, "basic", "robot$ci", "p", ""},
		{"basic without password", AuthOptions{Mode: "basic", Username: "robot$ci"}, nil, "", "", "", "basic needs username and password"},
		{"none", AuthOptions{Mode: "none", Username: "ignored"}, nil, "none", "", "", ""},
		{"docker-config file", AuthOptions{Mode: "docker-config", DockerConfig: cfg}, nil, "docker-config", "robot$ci", "from-config", ""},
		{"docker-config missing file", AuthOptions{Mode: "docker-config", DockerConfig: filepath.Join(dir, "nope.json")}, nil, "", "", "", "input docker-config"},
		{"docker-config from DOCKER_CONFIG", AuthOptions{Mode: "docker-config"}, map[string]string{"DOCKER_CONFIG": filepath.Join(dir, "dockerdir"), "HOME": filepath.Join(dir, "home")}, "docker-config", "robot$env", "from-docker-config-env", ""},
		{"docker-config falls back to HOME", AuthOptions{Mode: "docker-config"}, map[string]string{"DOCKER_CONFIG": empty, "HOME": filepath.Join(dir, "home")}, "docker-config", "robot$home", "from-home", ""},
		{"docker-config none found", AuthOptions{Mode: "docker-config"}, map[string]string{"DOCKER_CONFIG": empty, "HOME": empty}, "", "", "", "no docker config at " + filepath.Join(empty, "config.json") + " or "},
		{"auto with username", AuthOptions{Mode: "auto", Username: "u", Password: "p", DockerConfig: cfg}, nil, "basic", "u", "p", ""},
		{"auto empty mode", AuthOptions{Username: "u", Password: "p"}, nil, "basic", "u", "p", ""},
		{"auto from docker config", AuthOptions{Mode: "auto", DockerConfig: cfg}, nil, "docker-config", "robot$ci", "from-config", ""},
		{"auto from default docker config", AuthOptions{Mode: "auto"}, map[string]string{"DOCKER_CONFIG": "", "HOME": filepath.Join(dir, "home")}, "docker-config", "robot$home", "from-home", ""},
		{"auto no entry for host", AuthOptions{Mode: "auto", Host: "other.example.com", DockerConfig: cfg}, nil, "none", "", "", ""},
		{"auto no docker config", AuthOptions{Mode: "auto"}, map[string]string{"DOCKER_CONFIG": empty, "HOME": empty}, "none", "", "", ""},
		{"auto missing explicit docker config", AuthOptions{Mode: "auto", DockerConfig: filepath.Join(dir, "nope.json")}, nil, "", "", "", "input docker-config"},
		{"ecr", AuthOptions{Mode: "ecr"}, nil, "", "", "", "ECR login"},
		{"unknown", AuthOptions{Mode: "kerberos"}, nil, "", "", "", `input auth: "kerberos" is not one of`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := tc.opts
			if opts.Host == "" {
				opts.Host = host
			}
			opts.Getenv = env(t, tc.vars)
			fn, mode, err := Credentials(context.Background(), opts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Credentials() error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || mode != tc.wantMode {
				t.Fatalf("Credentials() = mode %q, %v; want %q", mode, err, tc.wantMode)
			}
			if (fn == nil) != (tc.wantUser == "") {
				t.Fatalf("Credentials() function = %v, want anonymous = %v", fn != nil, tc.wantUser == "")
			}
			if fn == nil {
				return
			}
			got, err := fn(context.Background(), host)
			if err != nil || got.Username != tc.wantUser || got.Password != tc.wantPass {
				t.Errorf("credential for %s = %q/%q, %v; want %q/%q", host, got.Username, got.Password, err, tc.wantUser, tc.wantPass)
			}
			if other, _ := fn(context.Background(), "evil.example.com"); other != auth.EmptyCredential {
				t.Errorf("credential for another host = %q, want none", other.Username)
			}
		})
	}
}

// TestCredentials_registry logs in to a TLS registry with a Harbor robot
// account, from basic credentials and from a docker config.
func TestCredentials_registry(t *testing.T) {
	t.Parallel()
	for _, a := range []registrytest.Auth{registrytest.Basic, registrytest.Harbor} {
		srv := registrytest.New(t, registrytest.Options{Auth: a})
		cfg := dockerConfig(t, t.TempDir(), srv.Host, srv.Username, srv.Password)
		for _, opts := range []AuthOptions{
			{Mode: "basic", Host: srv.Host, Username: srv.Username, Password: srv.Password},
			{Mode: "docker-config", Host: srv.Host, DockerConfig: cfg},
			{Mode: "auto", Host: srv.Host, DockerConfig: cfg},
		} {
			fn, mode, err := Credentials(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			client, err := NewClient(Options{CAFile: srv.CAFile, Credential: fn})
			if err != nil {
				t.Fatal(err)
			}
			if err := ping(t, client, srv.Host, false); err != nil {
				t.Errorf("auth %d, mode %s: Ping() = %v", a, mode, err)
			}
		}
	}
}

// TestCredentials_helperNames: credsStore and credHelpers name programs
// (docker-credential-<name>, from PATH); a name with "/" would run one from
// the working directory, which is the checkout, so only [A-Za-z0-9._-] is
// accepted (security review I3).
func TestCredentials_helperNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, config, want string // want: substring of the error; "" accepted
	}{
		{"store with a slash", `{"credsStore":"x/evil"}`, `credsStore names the credential helper "x/evil"`},
		{"store climbing", `{"credsStore":"../../tmp/evil"}`, `"../../tmp/evil"`},
		{"store with a space", `{"credsStore":"a b"}`, `"a b"`},
		{"helper with a slash", `{"credHelpers":{"harbor.example.com":"desktop","other.example":"./evil"}}`, `credHelpers["other.example"] names the credential helper "./evil"`},
		{"store with a newline", `{"credsStore":"x\n::warning::y"}`, `"x\n::warning::y"`},
		{"usual names", `{"credsStore":"desktop","credHelpers":{"a.example":"ecr-login","b.example":"gcloud","c.example":"pass_1.2"}}`, ""},
	}
	for _, mode := range []string{"auto", "docker-config"} {
		for _, tc := range tests {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				path := filepath.Join(t.TempDir(), "config.json")
				if err := os.WriteFile(path, []byte(tc.config), 0o600); err != nil {
					t.Fatal(err)
				}
				opts := AuthOptions{Mode: mode, Host: "harbor.example.com", DockerConfig: path, Getenv: env(t, map[string]string{"PATH": ""})}
				_, _, err := Credentials(context.Background(), opts)
				switch {
				case tc.want == "" && err != nil:
					t.Errorf("Credentials() = %v, want the names accepted", err)
				case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "letters, digits, '.', '_' and '-'")):
					t.Errorf("Credentials() error = %v, want one containing %q", err, tc.want)
				}
			})
		}
	}
}
