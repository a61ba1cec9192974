package e2e

import (
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pack-publish/pack-publish/internal/textsafe"

	"github.com/pack-publish/pack-publish/internal/ecr/ecrtest"
	"github.com/pack-publish/pack-publish/internal/palette/palettetest"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

// The Palette step (palette-api-key) through the built binary: packs go to
// the in-process registry, the Palette fake syncs by listing what that
// registry really holds, and the run confirms every pushed version.

const paletteUID = "65a1b2c3d4e5f60718293a4b"

type paletteRun struct {
	res     binResult
	outputs map[string]string
	summary string
	report  map[string]json.RawMessage
	fake    *palettetest.Server
	key     string
	env     []string
	args    []string
	ws      string
}

// runWithPalette publishes the example packs to a fresh registry under
// base-path "palette" with palette-api-key set, as a GitHub step.
// key is the palette-api-key sent ("": the one the fake accepts).
func runWithPalette(t *testing.T, fake palettetest.Options, key string, extra ...string) *paletteRun {
	t.Helper()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
	if fake.Registries == nil {
		fake.Registries = []palettetest.Registry{{UID: paletteUID, Name: "team-a packs", Kind: "basic", Endpoint: "https://" + reg.Host, BaseContentPath: "palette"}}
	}
	fake.Catalog = palettetest.OCICatalog(reg.Client(), reg.Username, reg.Password)
	if fake.SyncPolls == 0 {
		fake.SyncPolls = 2
	}
	srv := palettetest.New(t, fake)
	// One ca-file for both the registry and the self-hosted Palette.
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	writeFile(t, ca, append(mustRead(reg.CAFile), mustRead(srv.CAFile)...))
	ws := workspace(t)
	if key == "" {
		key = srv.APIKey
	}
	p := &paletteRun{fake: srv, key: key, ws: ws}
	out, summary, report := filepath.Join(dir, "output"), filepath.Join(dir, "summary"), filepath.Join(dir, "report.json")
	p.env = []string{"GITHUB_ACTIONS=true", "GITHUB_WORKSPACE=" + ws, "GITHUB_OUTPUT=" + out, "GITHUB_STEP_SUMMARY=" + summary,
		"GITHUB_EVENT_NAME=workflow_dispatch", "INPUT_PALETTE-API-KEY=" + key, "INPUT_PASSWORD=" + reg.Password}
	p.args = []string{"--registry", reg.Host, "--ca-file", ca, "--username", reg.Username, "--base-path", "palette",
		"--packs-dir", "packs", "--detect", "all", "--report-file", report, "--palette-registry", "team-a packs"}
	if len(extra) > 1 && extra[0] == "--palette-url" {
		extra[1] = srv.URL + extra[1] // a path below the fake's root
	} else {
		p.args = append(p.args, "--palette-url", srv.URL)
	}
	p.args = append(p.args, extra...)
	p.run(t, out, summary, report)
	return p
}

func (p *paletteRun) run(t *testing.T, out, summary, report string) {
	t.Helper()
	for _, f := range []string{out, summary} {
		writeFile(t, f, nil)
	}
	p.res = runBinary(t, p.ws, p.env, "", p.args...)
	env := &ghEnv{output: out}
	p.outputs = env.outputs(t)
	p.summary = string(mustRead(summary))
	p.report = map[string]json.RawMessage{}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("report-file: %v\nexit %d\n%s\n%s", err, p.res.code, p.res.stdout, p.res.stderr)
	}
	if err := json.Unmarshal(b, &p.report); err != nil {
		t.Fatalf("report-file: %v", err)
	}
	if !strings.HasPrefix(p.res.stdout, "::add-mask::") {
		t.Errorf("first line %q, want the mask commands", strings.SplitN(p.res.stdout, "\n", 2)[0])
	}
	scanSecrets(t, p.key, map[string]string{"stdout": p.res.stdout, "stderr": p.res.stderr, "GITHUB_OUTPUT": string(mustRead(out)),
		"summary": p.summary, "report": string(b)})
}

func (p *paletteRun) statuses(t *testing.T) []string {
	t.Helper()
	var s []string
	for _, x := range decodePublished(t, p.outputs["published"]) {
		s = append(s, x.Name+":"+x.Status)
	}
	return s
}

func TestPalette(t *testing.T) {
	t.Parallel()
	allPushed := "hello-constraints:pushed hello-universe:pushed prometheus-grafana:pushed"
	for _, tc := range []struct {
		name  string
		fake  palettetest.Options
		key   string
		extra []string
		want  []string // in the output; the first one also in the ::error:: annotation
	}{
		{name: "bad key", fake: palettetest.Options{EchoKey: true}, key: "pk-wrong-3f9a1c",
			want: []string{"HTTP 401", "set palette-api-key"}},
		{name: "no permission", fake: palettetest.Options{Forbidden: true},
			want: []string{"HTTP 403", "packRegistry.update", "tenant admin"}},
		{name: "unknown registry", fake: palettetest.Options{Registries: []palettetest.Registry{{UID: paletteUID, Name: "team-a", Kind: "basic", Endpoint: "https://registry.example.com"}}},
			want: []string{`no OCI registry named \"team-a packs\" in Palette (Palette lists \"team-a\")`, "set palette-registry"}},
		{name: "wrong palette-url", extra: []string{"--palette-url", "/palette"},
			want: []string{"GET /v1/registries/oci/summary: HTTP 404 Not Found", "check palette-registry", "palette-url (self-hosted Palette: https://<palette-host>)"}},
		{name: "failed sync", fake: palettetest.Options{Fail: true, FailMessage: "failed to authenticate to the registry"},
			want: []string{`failed in Palette (status \"Failed\", \"failed to authenticate to the registry\")`, "stay pushed"}},
		{name: "sync never ends", fake: palettetest.Options{NeverEnds: true}, extra: []string{"--palette-timeout", "3s"},
			want: []string{"still not visible", "palette-timeout (3s) expired", `last sync status \"InProgress\"`}},
		{name: "other base content path", fake: palettetest.Options{Registries: []palettetest.Registry{{UID: paletteUID, Name: "team-a packs", Kind: "basic",
			Endpoint: "https://registry.example.com", BaseContentPath: "other"}}},
			want: []string{`reads endpoint \"https://registry.example.com\" with base content path \"other\"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := runWithPalette(t, tc.fake, tc.key, tc.extra...)
			if p.res.code != 1 || p.outputs["palette-synced"] != "false" {
				t.Fatalf("exit %d, palette-synced %q, want 1 and false\n%s", p.res.code, p.outputs["palette-synced"], p.res.stdout)
			}
			if got := strings.Join(p.statuses(t), " "); got != allPushed {
				t.Errorf("packs %s, want all pushed", got)
			}
			annotation := ""
			for _, l := range strings.Split(p.res.stdout, "\n") {
				if strings.HasPrefix(l, "::error::palette: ") {
					annotation = l
				}
			}
			for i, w := range tc.want {
				w = strings.ReplaceAll(w, `\"`, `"`)
				if i == 0 && !strings.Contains(annotation, w) {
					t.Errorf("no ::error:: annotation with %q:\n%s", w, p.res.stdout)
				}
				if !strings.Contains(p.summary, textsafe.Markdown(w)) { // the summary escapes server text
					t.Errorf("summary lacks %q:\n%s", w, p.summary)
				}
			}
			if !strings.Contains(p.summary, "❌ Registry") || !strings.Contains(p.res.stdout, "Palette: registry") {
				t.Errorf("the Palette step is not shown:\n%s\n%s", p.summary, p.res.stdout)
			}
			var rep struct {
				Synced bool   `json:"synced"`
				Error  string `json:"error"`
			}
			if err := json.Unmarshal(p.report["palette"], &rep); err != nil || rep.Synced || rep.Error == "" {
				t.Errorf("report palette section %s: %v", p.report["palette"], err)
			}
		})
	}
}

// TestPalette_synced: the sync is asked for once, runs for a few polls,
// reads the registry, and the run confirms the three pushed versions; a
// re-run that pushes nothing leaves Palette alone.
func TestPalette_synced(t *testing.T) {
	t.Parallel()
	p := runWithPalette(t, palettetest.Options{}, "")
	if p.res.code != 0 || p.outputs["palette-synced"] != "true" {
		t.Fatalf("exit %d, palette-synced %q\n%s\n%s", p.res.code, p.outputs["palette-synced"], p.res.stdout, p.res.stderr)
	}
	if n := p.fake.Syncs(paletteUID); n != 1 {
		t.Errorf("%d syncs asked for, want 1", n)
	}
	confirmed := 0
	for _, r := range p.fake.Requests() {
		if !r.APIKey {
			t.Errorf("%s %s without the API key", r.Method, r.Path)
		}
		if strings.HasPrefix(r.Path, "/v1/packs/") && r.Status == http.StatusOK {
			confirmed++
		}
	}
	if confirmed != 3 {
		t.Errorf("%d packs confirmed by the lookup, want 3", confirmed)
	}
	for _, w := range []string{"### Palette", "✅ Registry <code>team-a packs</code>: 3 of 3 pushed pack(s) visible in Palette", "| hello-universe | 1.0.0 | ✅ yes |"} {
		if !strings.Contains(p.summary, w) {
			t.Errorf("summary lacks %q:\n%s", w, p.summary)
		}
	}
	if !strings.Contains(p.res.stdout, `Palette: registry "team-a packs" synced in `) {
		t.Errorf("terminal lacks the Palette line:\n%s", p.res.stdout)
	}
	var rep struct {
		Synced      bool   `json:"synced"`
		RegistryUID string `json:"registryUid"`
		Packs       []struct {
			Visible bool `json:"visible"`
		} `json:"packs"`
	}
	if err := json.Unmarshal(p.report["palette"], &rep); err != nil || !rep.Synced || rep.RegistryUID != paletteUID || len(rep.Packs) != 3 {
		t.Errorf("report palette section %s: %v", p.report["palette"], err)
	}

	// Everything is unchanged now: nothing pushed, nothing to sync.
	before := len(p.fake.Requests())
	dir := filepath.Dir(strings.TrimPrefix(p.env[2], "GITHUB_OUTPUT="))
	p.run(t, filepath.Join(dir, "output"), filepath.Join(dir, "summary"), filepath.Join(dir, "report.json"))
	if p.res.code != 0 || p.outputs["palette-synced"] != "" || len(p.fake.Requests()) != before {
		t.Errorf("re-run: exit %d, palette-synced %q, %d Palette requests", p.res.code, p.outputs["palette-synced"], len(p.fake.Requests())-before)
	}
	if _, ok := p.report["palette"]; ok || strings.Contains(p.summary, "Palette") {
		t.Errorf("re-run shows a Palette step:\n%s", p.summary)
	}
}

// TestPalette_rateLimited: 429 answers are waited out as Retry-After says.
func TestPalette_rateLimited(t *testing.T) {
	t.Parallel()
	p := runWithPalette(t, palettetest.Options{RateLimit: 2, RetryAfter: "1"}, "")
	if p.res.code != 0 || p.outputs["palette-synced"] != "true" {
		t.Fatalf("exit %d, palette-synced %q\n%s", p.res.code, p.outputs["palette-synced"], p.res.stdout)
	}
	reqs := p.fake.Requests()
	for i := 1; i <= 2; i++ {
		if reqs[i-1].Status != http.StatusTooManyRequests {
			t.Fatalf("request %d: %d, want 429", i, reqs[i-1].Status)
		}
		if gap := reqs[i].Time.Sub(reqs[i-1].Time); gap < 900*time.Millisecond {
			t.Errorf("request %d came %s after a 429 with Retry-After: 1", i+1, gap)
		}
	}
	if !strings.Contains(p.res.stdout, "Palette is rate limiting (429)") {
		t.Errorf("the wait is not logged:\n%s", p.res.stdout)
	}
}

// TestPalette_ECR: with auth: ecr the registry is synced through the ECR
// endpoints of the registry Palette has for the ECR host (stored without
// https://). Not parallel: the AWS SDK reads the process environment.
func TestPalette_ECR(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/pack-publisher"
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic, Username: "AWS", Password: ecrtest.DefaultPassword})
	aws := ecrtest.New(t, ecrtest.Options{RoleARN: role, ProxyEndpoint: "https://" + reg.Host})
	aws.Setenv(t)
	oidc := ecrtest.NewOIDC(t, nil)
	fake := palettetest.New(t, palettetest.Options{
		Registries: []palettetest.Registry{
			{UID: "basic-one", Name: "harbor", Kind: "basic", Endpoint: "https://harbor.example.com", BaseContentPath: "ecr"},
			{UID: paletteUID, Name: "ecr packs", Kind: "ecr", Endpoint: reg.Host, BaseContentPath: "ecr"},
		},
		Catalog: palettetest.OCICatalog(reg.Client(), "AWS", ecrtest.DefaultPassword), SyncPolls: 1,
	})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, ca, append(mustRead(reg.CAFile), mustRead(fake.CAFile)...))
	env := newGHEnv(t, workspace(t), map[string]string{
		"registry": reg.Host, "base-path": "ecr", "auth": "ecr", "role-to-assume": role, "aws-region": "eu-west-1",
		"ca-file": ca, "detect": "all", "packs-dir": "packs",
		"palette-url": fake.URL, "palette-api-key": fake.APIKey, "palette-registry": "ecr packs",
	})
	maps.Copy(env.vars, oidc.Env())
	r := env.run(t)
	if r.code != 0 || env.outputs(t)["palette-synced"] != "true" {
		t.Fatalf("exit %d, palette-synced %q\n%s", r.code, env.outputs(t)["palette-synced"], r.stdout)
	}
	if fake.Syncs(paletteUID) != 1 {
		t.Errorf("%d syncs of the ECR registry", fake.Syncs(paletteUID))
	}
	for _, q := range fake.Requests() {
		if strings.Contains(q.Path, "/basic") {
			t.Errorf("%s %s: the basic endpoints for an ECR registry", q.Method, q.Path)
		}
	}
	env.scanAll(t, fake.APIKey)
	env.scanAll(t, ecrtest.DefaultPassword)
}
