package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pack-publish/pack-publish/internal/gittest"
	"github.com/pack-publish/pack-publish/internal/integration"
	"github.com/pack-publish/pack-publish/internal/pipeline"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

// sentinel is the registry password of these runs: it must never show up
// anywhere but in the ::add-mask:: command.
const sentinel = "Sentinel-Pa55-do-not-print"

type hostileCase struct {
	name  string
	setup func(t *testing.T, pack string) // builds the hostile pack folder
	rule  string
	msg   string
}

// hostileCases are the fixtures of testdata/hostile (each with an expect
// file: rule and message), plus those git cannot store, made at run time.
func hostileCases(t *testing.T) []hostileCase {
	dirs, err := os.ReadDir("../../testdata/hostile")
	if err != nil {
		t.Fatal(err)
	}
	var cases []hostileCase
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join("../../testdata/hostile", d.Name(), "expect"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(strings.TrimSpace(string(b)), "\n", 2)
		src := filepath.Join("../../testdata/hostile", d.Name(), "pack")
		cases = append(cases, hostileCase{d.Name(), func(t *testing.T, pack string) { copyTree(t, src, pack) }, lines[0], lines[1]})
	}
	valid := func(t *testing.T, pack string) {
		if err := os.MkdirAll(pack, 0o755); err != nil {
			t.Fatal(err)
		}
		for p, c := range gittest.Pack(".", "x", "1.0.0") {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(pack, p)), 0o755); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(pack, p), []byte(c))
		}
	}
	cases = append(cases,
		hostileCase{"fifo", func(t *testing.T, pack string) {
			valid(t, pack)
			if err := syscall.Mkfifo(filepath.Join(pack, "pipe"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "A4", "special file"},
		hostileCase{"device", func(t *testing.T, pack string) {
			valid(t, pack)
			if err := syscall.Mknod(filepath.Join(pack, "null"), syscall.S_IFCHR|0o644, 1<<8|3); err != nil {
				integration.Skip(t, "mknod (needs CAP_MKNOD): %v", err)
			}
		}, "A4", "special file"},
		hostileCase{"control-char-name", func(t *testing.T, pack string) {
			valid(t, pack)
			writeFile(t, filepath.Join(pack, "evil\x1b[31mname"), nil)
		}, "A6", "control character"},
		hostileCase{"non-utf8-name", func(t *testing.T, pack string) {
			valid(t, pack)
			writeFile(t, filepath.Join(pack, "caf\xe9.yaml"), nil)
		}, "A6", "UTF-8"},
		hostileCase{"huge-file", func(t *testing.T, pack string) {
			valid(t, pack)
			f, err := os.Create(filepath.Join(pack, "huge.bin"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(3 << 30); err != nil { // sparse: no disk used
				t.Fatal(err)
			}
		}, "A5", "more than the cap"},
		hostileCase{"huge-pack-json", func(t *testing.T, pack string) {
			valid(t, pack)
			writeFile(t, filepath.Join(pack, "pack.json"), []byte(`{"name":"x","pad":"`+strings.Repeat("a", 5<<20)+`"}`))
		}, "F1", "larger than"},
	)
	return cases
}

// TestHostileInput runs each hostile pack next to a valid one: the hostile
// pack is invalid with a message naming the rule, nothing of it is pushed,
// the valid pack is published, and no secret leaks anywhere.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic, Password: sentinel})
	cases := hostileCases(t)
	if len(cases) < 40 {
		t.Errorf("%d hostile cases, want at least 40", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo := gittest.Init(t)
			repo.Write(gittest.Pack("packs/good", "good-"+strings.ToLower(strings.ReplaceAll(tc.name, "_", "-")), "1.0.0"))
			repo.Commit("good")
			tc.setup(t, filepath.Join(repo.Dir, "packs", "hostile"))
			report := filepath.Join(t.TempDir(), "report.json")
			env := newGHEnv(t, repo.Dir, map[string]string{
				"registry": reg.Host, "base-path": "hostile", "username": reg.Username, "password": reg.Password,
				"ca-file": reg.CAFile, "detect": "all", "packs-dir": "packs", "report-file": report,
			})
			r := env.run(t)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r.stdout)
			}
			var res pipeline.Result
			b, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &res); err != nil {
				t.Fatal(err)
			}
			got := map[string]pipeline.PackResult{}
			for _, p := range res.Packs {
				got[p.Path] = p
			}
			if p := got["packs/good"]; p.Status != pipeline.StatusPushed {
				t.Errorf("valid pack next to it: %s (%s), want pushed", p.Status, p.Message)
			}
			h := got["packs/hostile"]
			if h.Status != pipeline.StatusInvalid || h.Digest != "" {
				t.Errorf("hostile pack: %s %s, want invalid and nothing pushed", h.Status, h.Digest)
			}
			found := false
			for _, f := range h.Findings {
				if f.Rule == tc.rule && strings.Contains(f.Message, tc.msg) && strings.HasPrefix(f.File, "packs/hostile") && f.Fix != "" {
					found = true
				}
			}
			if !found {
				t.Errorf("findings %+v, want %s mentioning %q with a file and a fix", h.Findings, tc.rule, tc.msg)
			}
			if !strings.Contains(r.stdout, "file=packs/hostile") {
				t.Errorf("no annotation for the hostile pack in:\n%s", r.stdout)
			}
			env.scanAll(t, sentinel)
			scanSecrets(t, sentinel, map[string]string{"report": string(b)})
		})
	}
}

// TestFailurePaths: registry and configuration failures give the contract's
// exit code (2: the pre-flight check of the registry failed, nothing was
// attempted) and a message that says what to do, and never a secret.
func TestFailurePaths(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Harbor, Password: sentinel})
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	writeFile(t, garbage, []byte("-----BEGIN CERTIFICATE-----\nnot base64\n"))
	tests := []struct {
		name   string
		inputs map[string]string
		code   int
		want   string
	}{
		{"wrong password", map[string]string{"registry": reg.Host, "username": reg.Username, "password": sentinel + "-wrong", "ca-file": reg.CAFile}, 2, "check username and password"},
		{"registry down", map[string]string{"registry": "127.0.0.1:1", "username": "u", "password": sentinel}, 2, "unreachable"},
		{"unknown CA", map[string]string{"registry": reg.Host, "username": reg.Username, "password": sentinel}, 2, "set ca-file"},
		{"plain http to https", map[string]string{"registry": reg.Host, "username": reg.Username, "password": sentinel, "plain-http": "true"}, 2, "pre-flight check"},
		{"garbage ca-file", map[string]string{"registry": reg.Host, "username": "u", "password": sentinel, "ca-file": garbage}, 2, "holds no PEM certificate"},
		{"missing ca-file", map[string]string{"registry": reg.Host, "username": "u", "password": sentinel, "ca-file": "/nonexistent.pem"}, 2, "input ca-file"},
		{"scheme in registry", map[string]string{"registry": "https://" + reg.Host, "username": "u", "password": sentinel}, 2, "without a scheme"},
		{"credentials in registry", map[string]string{"registry": "u:" + sentinel + "@" + reg.Host, "username": "u", "password": sentinel}, 2, "must not contain credentials"},
		{"path in registry", map[string]string{"registry": reg.Host + "/team", "username": "u", "password": sentinel}, 2, "base-path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := workspace(t)
			tc.inputs["detect"], tc.inputs["packs-dir"] = "all", "packs"
			env := newGHEnv(t, ws, tc.inputs)
			r := env.run(t)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tc.code, r.stdout)
			}
			if !strings.Contains(r.stdout, tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, r.stdout)
			}
			env.scanAll(t, sentinel)
		})
	}
}
