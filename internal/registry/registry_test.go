package registry

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

func TestPackPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base, name, want, err string
	}{
		{"team-a", "hello", "team-a/spectro-packs/archive/hello", ""},
		{"", "hello", "spectro-packs/archive/hello", ""},
		{"/team-a/", "hello", "team-a/spectro-packs/archive/hello", ""},
		{"a//b", "hello", "a/b/spectro-packs/archive/hello", ""},
		{"Team", "hello", "", "not a valid repository path"},
		{"team", "a/b", "", "not one repository path component"},
		{"team", "..", "", "not a valid repository path"},
		{"team", "x:1", "", "not a valid repository path"},
		{strings.Repeat("a", 250), "hello", "", "longer than 255"},
	}
	for _, tc := range tests {
		t.Run(tc.base+"_"+tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := PackPath(tc.base, tc.name)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("PackPath(%q, %q) error = %v, want %q", tc.base, tc.name, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("PackPath(%q, %q) = %q, %v, want %q", tc.base, tc.name, got, err, tc.want)
			}
		})
	}
	if got, _ := BasePath(""); got != "spectro-packs/archive" {
		t.Errorf("BasePath(\"\") = %q", got)
	}
}

func TestNewClient_caFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{filepath.Join(dir, "missing.pem"): "input ca-file: reading", garbage: "holds no PEM certificate"} {
		if _, err := NewClient(Options{CAFile: file}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewClient(ca-file %s) = %v, want %q", file, err, want)
		}
	}
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	auth64 := base64.StdEncoding.EncodeToString([]byte("robot$ci:from-config"))
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`{"auths":{"reg.example.com":{"auth":%q}}}`, auth64)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		opts     AuthOptions
		wantMode string
		wantUser string
		wantPass string
	}{
		{"basic", AuthOptions{Mode: "basic", Host: "reg.example.com", Username: "robot$ci", Password: "p"}, "basic", "robot$ci", "p"},
		{"auto with user", AuthOptions{Mode: "auto", Host: "reg.example.com", Username: "u", Password: "p"}, "basic", "u", "p"},
		{"auto from docker config", AuthOptions{Mode: "auto", Host: "reg.example.com", DockerConfig: cfg}, "docker-config", "robot$ci", "from-config"},
		{"auto other host", AuthOptions{Mode: "auto", Host: "other.example.com", DockerConfig: cfg}, "none", "", ""},
		{"docker-config", AuthOptions{Mode: "docker-config", Host: "reg.example.com", DockerConfig: cfg}, "docker-config", "robot$ci", "from-config"},
		{"none", AuthOptions{Mode: "none", Host: "reg.example.com"}, "none", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fn, mode, err := Credentials(context.Background(), tc.opts)
			if err != nil || mode != tc.wantMode {
				t.Fatalf("Credentials() mode %q, %v; want %q", mode, err, tc.wantMode)
			}
			var got auth.Credential
			if fn != nil {
				if got, err = fn(context.Background(), tc.opts.Host); err != nil {
					t.Fatal(err)
				}
			}
			if got.Username != tc.wantUser || got.Password != tc.wantPass {
				t.Errorf("credential = %q/%q, want %q/%q", got.Username, got.Password, tc.wantUser, tc.wantPass)
			}
		})
	}
	if _, _, err := Credentials(context.Background(), AuthOptions{Mode: "docker-config", DockerConfig: filepath.Join(dir, "nope.json")}); err == nil || !strings.Contains(err.Error(), "input docker-config") {
		t.Errorf("missing docker config error = %v", err)
	}
}

func TestHint(t *testing.T) {
	t.Parallel()
	tests := map[string]error{
		"check username and password": fmt.Errorf("x: %w", &errcode.ErrorResponse{StatusCode: 401}),
		"push permission":             &errcode.ErrorResponse{StatusCode: 403},
		"check base-path":             &errcode.ErrorResponse{StatusCode: 404},
		"set ca-file":                 errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority"),
		"set plain-http":              errors.New("http: server gave HTTP response to HTTPS client"),
		"unreachable":                 errors.New("dial tcp 127.0.0.1:1: connect: connection refused"),
	}
	for want, err := range tests {
		if got := Hint(err); !strings.Contains(got, want) {
			t.Errorf("Hint(%v) = %q, want %q", err, got, want)
		}
	}
	if Hint(errors.New("other")) != "" {
		t.Error("Hint(other) should be empty")
	}
}

func FuzzPackPath(f *testing.F) {
	for _, s := range []string{"team-a", "", "/a//b/", "A", "a..b"} {
		f.Add(s, "hello")
	}
	f.Fuzz(func(t *testing.T, base, name string) {
		p, err := PackPath(base, name)
		if err != nil {
			return
		}
		if !repoPath.MatchString(p) || strings.Contains(p, "//") || !strings.HasSuffix(p, "/spectro-packs/archive/"+name) && p != "spectro-packs/archive/"+name {
			t.Fatalf("PackPath(%q, %q) = %q", base, name, p)
		}
	})
}
