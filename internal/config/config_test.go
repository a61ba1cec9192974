package config

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pack-publish/pack-publish/internal/pack"
)

func loadSpec(t *testing.T) Spec {
	t.Helper()
	b, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := ParseSpec(b)
	if err != nil {
		t.Fatalf("ParseSpec() = %v", err)
	}
	return spec
}

func TestLoad_precedence(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(*Config) any
		val  any
	}{
		{"default", nil, nil, func(c *Config) any { return c.Detect }, "changed"},
		{"pack-publish env", nil, map[string]string{"PACK_PUBLISH_BASE_PATH": "team-a"}, func(c *Config) any { return c.BasePath }, "team-a"},
		{"input beats env", nil, map[string]string{"PACK_PUBLISH_BASE_PATH": "b", "INPUT_BASE-PATH": "a"}, func(c *Config) any { return c.BasePath }, "a"},
		{"input underscore form", nil, map[string]string{"INPUT_BASE_PATH": "u"}, func(c *Config) any { return c.BasePath }, "u"},
		{"flag beats input", []string{"--base-path", "f"}, map[string]string{"INPUT_BASE-PATH": "a"}, func(c *Config) any { return c.BasePath }, "f"},
		{"empty input falls through", nil, map[string]string{"INPUT_BASE-PATH": "", "PACK_PUBLISH_BASE_PATH": "e"}, func(c *Config) any { return c.BasePath }, "e"},
		{"bare bool flag", []string{"--dry-run"}, nil, func(c *Config) any { return c.DryRun }, true},
		{"stray slashes", []string{"--base-path", "/team-a/"}, nil, func(c *Config) any { return c.BasePath }, "team-a"},
		{"packs list", []string{"--packs", "a, b\nc\n\na"}, nil, func(c *Config) any { return c.Packs }, []string{"a", "b", "c"}},
		{"packs-dir newline", []string{"--packs-dir", "packs\n./more/"}, nil, func(c *Config) any { return c.PacksDirs }, []string{"packs", "more"}},
		{"concurrency default", nil, nil, func(c *Config) any { return c.Concurrency }, DefaultConcurrency},
		{"workspace from github", nil, map[string]string{"GITHUB_WORKSPACE": "/github/workspace"}, func(c *Config) any { return c.Workspace }, "/github/workspace"},
		{"gitlab dotenv default", nil, map[string]string{"GITLAB_CI": "true"}, func(c *Config) any { return c.DotenvFile }, "/work/pack-publish.env"},
		{"gitlab report default", nil, map[string]string{"GITLAB_CI": "true"}, func(c *Config) any { return c.ReportFile }, "/work/pack-publish-report.json"},
		{"no report by default elsewhere", nil, nil, func(c *Config) any { return c.ReportFile }, ""},
		{"report-file inside the workspace", []string{"--report-file", "out/../r.json"}, nil, func(c *Config) any { return c.ReportFile }, "/work/r.json"},
		{"absolute report-file anywhere", []string{"--report-file", "/tmp/r.json"}, nil, func(c *Config) any { return c.ReportFile }, "/tmp/r.json"},
		{"auto is ecr on an ECR host", []string{"--registry", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"}, nil, func(c *Config) any { return c.Auth }, "ecr"},
		{"auto is ecr on a china ECR host", []string{"--registry", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"}, nil, func(c *Config) any { return c.Auth }, "ecr"},
		{"auto is ecr with a role", []string{"--registry", "proxy.example.com", "--role-to-assume", "arn:aws:iam::123456789012:role/pub"}, nil, func(c *Config) any { return c.Auth }, "ecr"},
		{"ecr over plain http on loopback", []string{"--registry", "127.0.0.1:5000", "--auth", "ecr", "--plain-http"}, nil, func(c *Config) any { return c.PlainHTTP }, true},
		{"auto stays auto elsewhere", []string{"--registry", "harbor.example.com"}, nil, func(c *Config) any { return c.Auth }, "auto"},
		{"robot user kept", []string{"--username", "robot$ci", "--password", "p"}, nil, func(c *Config) any { return c.Username }, "robot$ci"},
		// fork pull requests and unprotected GitLab branches get no secrets; a dry run needs none
		{"dry run without the password", []string{"--registry", "h", "--username", "robot$ci"}, nil, func(c *Config) any { return c.DryRun }, true},
		{"ignore-rules list", []string{"--ignore-rules", "N7, v5\nF4"}, nil, func(c *Config) any { return c.IgnoreRules }, pack.Ignore{"N7": true, "V5": true, "F4": true}},
		{"ignore-rules empty", nil, nil, func(c *Config) any { return len(c.IgnoreRules) }, 0},
		{"basic dry run without the password", []string{"--registry", "h", "--auth", "basic", "--username", "u"}, nil, func(c *Config) any { return c.Auth }, "basic"},
		{"palette defaults", []string{"--palette-api-key", "k", "--palette-registry", "r"}, nil,
			func(c *Config) any { return []any{c.PaletteURL, c.PaletteTimeout.String(), c.Secrets()} }, []any{"https://api.spectrocloud.com", "10m0s", []string{"k"}}},
		{"palette self-hosted", []string{"--palette-api-key", "k", "--palette-registry", "r", "--palette-url", "palette.example.com/", "--palette-timeout", "90s"}, nil,
			func(c *Config) any { return []any{c.PaletteURL, c.PaletteTimeout.String()} }, []any{"https://palette.example.com", "1m30s"}},
		{"palette url unchecked without a key", []string{"--palette-url", "http://palette.example.com"}, nil, func(c *Config) any { return c.PaletteAPIKey }, ""},
		{"ca-file with plain-http for palette", []string{"--registry", "h", "--plain-http", "--ca-file", "ca.pem", "--palette-api-key", "k", "--palette-registry", "r"}, nil,
			func(c *Config) any { return c.CAFile }, "/work/ca.pem"},
		{"both secrets masked", []string{"--username", "u", "--password", "p", "--palette-api-key", "k", "--palette-registry", "r"}, nil,
			func(c *Config) any { return c.Secrets() }, []string{"p", "dTpw", "k"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"PACK_PUBLISH_DRY_RUN": "true"}
			for k, v := range tc.env {
				env[k] = v
			}
			c, err := Load(spec, Source{Args: tc.args, Getenv: func(k string) string { return env[k] }, Dir: "/work"})
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			if diff := cmp.Diff(tc.val, tc.want(c)); diff != "" {
				t.Errorf("Load() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoad_errors(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	tests := []struct {
		name string
		args []string
		want []string // substrings, every one must appear
	}{
		{"no destination", nil, []string{"input registry: required"}},
		{"scheme", []string{"--registry", "https://h.example"}, []string{"input registry:", "without a scheme"}},
		{"credentials in host", []string{"--registry", "u:secretpw@h.example"}, []string{"input registry:", "must not contain credentials"}},
		{"path in host", []string{"--registry", "h.example/proj"}, []string{"put the path in base-path"}},
		{"all at once", []string{"--registry", "h", "--detect", "some", "--dry-run=maybe", "--concurrency", "0", "--base-path", "Team A"},
			[]string{"input detect:", "input concurrency:", "input base-path:", "input dry-run: \"maybe\" is not true or false"}},
		{"many problems", []string{"--registry", "h", "--detect", "some", "--auth", "magic", "--concurrency", "x", "--packs", "../out"},
			[]string{"input detect:", "input auth:", "input concurrency:", "input packs:"}},
		{"basic needs password", []string{"--registry", "h", "--auth", "basic", "--username", "u"}, []string{"input auth: basic auth needs both"}},
		{"username needs password", []string{"--registry", "h", "--username", "u"}, []string{"input password: username is set but password is empty"}},
		{"ecr with password", []string{"--registry", "h", "--auth", "ecr", "--username", "u", "--password", "secretpw"}, []string{"input auth: auth is ecr"}},
		{"bad role arn", []string{"--registry", "h", "--auth", "ecr", "--role-to-assume", "my-role"}, []string{"input role-to-assume:", "not an IAM role ARN"}},
		{"bad session name", []string{"--registry", "h", "--auth", "ecr", "--role-session-name", "a b"}, []string{"input role-session-name:"}},
		// The ECR password never travels without verified TLS (security review F3).
		{"ecr host over plain http", []string{"--registry", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "--plain-http"},
			[]string{"input plain-http: auth is ecr (registry is an ECR host)", "verified HTTPS only"}},
		{"role makes ecr, plain http", []string{"--registry", "127.0.0.2.nip.example:57101", "--plain-http", "--role-to-assume", "arn:aws:iam::123456789012:role/pack-publisher"},
			[]string{"input plain-http: auth is ecr (role-to-assume is set)", "set auth to basic, docker-config or none"}},
		{"ecr insecure", []string{"--registry", "h.example", "--auth", "ecr", "--insecure"}, []string{"input insecure: auth is ecr"}},
		{"unknown flag", []string{"--nope"}, []string{"unknown flag --nope"}},
		{"unknown rule", []string{"--dry-run", "--ignore-rules", "N7,N77,Q1"}, []string{`input ignore-rules: "N77" is not a rule id (did you mean N7?)`, `"Q1" is not a rule id`}},
		{"required rule", []string{"--dry-run", "--ignore-rules", "N2"}, []string{"input ignore-rules: N2 cannot be ignored"}},
		{"both destinations", []string{"--registry", "h", "--oci-layout", "out"}, []string{"input oci-layout:"}},
		{"written files stay in the workspace", []string{"--oci-layout", "../oci", "--report-file", "x/../../r.json", "--dotenv-file", "../.profile"},
			[]string{"input oci-layout: \"../oci\" leaves the workspace", "input report-file:", "input dotenv-file:"}},
		{"palette key without registry", []string{"--registry", "h", "--palette-api-key", "secretpw"}, []string{"input palette-registry: required with palette-api-key"}},
		{"palette over http", []string{"--registry", "h", "--palette-api-key", "secretpw", "--palette-registry", "r", "--palette-url", "http://palette.example.com"},
			[]string{"input palette-url:", "in the clear"}},
		{"palette url with credentials", []string{"--registry", "h", "--palette-api-key", "k", "--palette-registry", "r", "--palette-url", "https://u:secretpw@p.example.com"},
			[]string{"input palette-url: must not contain credentials"}},
		{"palette with oci-layout", []string{"--oci-layout", "out", "--palette-api-key", "secretpw", "--palette-registry", "r"}, []string{"input palette-api-key:", "oci-layout"}},
		{"palette timeout", []string{"--registry", "h", "--palette-timeout", "10"}, []string{"input palette-timeout: \"10\" is not a positive Go duration"}},
		{"palette timeout negative", []string{"--registry", "h", "--palette-timeout", "-1m"}, []string{"input palette-timeout:"}},
		{"plain-http with ca-file", []string{"--registry", "h", "--plain-http", "--ca-file", "ca.pem"}, []string{"input plain-http:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(spec, Source{Args: tc.args, Getenv: func(string) string { return "" }, Dir: "/work"})
			if err == nil {
				t.Fatal("Load() = nil error, want one")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load() error = %q, want it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secretpw") {
				t.Errorf("Load() error leaks a credential: %q", err)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("Load() error %T is not an *InputError", err)
			}
		})
	}
}

func TestLoad_help(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	_, err := Load(spec, Source{Args: []string{"--help"}, Dir: "/work"})
	if !errors.Is(err, ErrHelp) {
		t.Fatalf("Load(--help) = %v, want ErrHelp", err)
	}
	u := Usage(spec)
	for _, in := range spec.Inputs {
		if !strings.Contains(u, "--"+in.Name) {
			t.Errorf("Usage() misses --%s", in.Name)
		}
	}
}

func FuzzSplitList(f *testing.F) {
	for _, s := range []string{"a,b", "a\nb\r\n", ",,", " x , y ", "a\n\na"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		seen := map[string]bool{}
		for _, item := range splitList(s, true) {
			if item == "" || strings.ContainsAny(item, ",\n\r") || item != strings.TrimSpace(item) {
				t.Fatalf("splitList(%q) gave bad item %q", s, item)
			}
			if seen[item] {
				t.Fatalf("splitList(%q) gave %q twice", s, item)
			}
			seen[item] = true
		}
	})
}

// TestConfig_Secrets: the basic password is a secret, and so is the
// Authorization header value a registry may echo (user:password in base64).
func TestConfig_Secrets(t *testing.T) {
	t.Parallel()
	c := &Config{Username: "robot$ci", Password: "s3cr3t"}
	want := []string{"s3cr3t", "cm9ib3QkY2k6czNjcjN0"}
	if diff := cmp.Diff(want, c.Secrets()); diff != "" {
		t.Errorf("Secrets() (-want +got):\n%s", diff)
	}
	if got := (&Config{Username: "u"}).Secrets(); got != nil {
		t.Errorf("Secrets() without a password = %q, want none", got)
	}
}
