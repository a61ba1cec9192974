package palette_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pack-publish/pack-publish/internal/palette"
	"github.com/pack-publish/pack-publish/internal/palette/palettetest"
	"github.com/pack-publish/pack-publish/internal/redact"
)

const (
	harborUID = "5f6d0a2b9c1e4d3a2b1c0d9e"
	ecrUID    = "6a7b8c9d0e1f2a3b4c5d6e7f"
	ecrHost   = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
)

func registries() []palettetest.Registry {
	return []palettetest.Registry{
		{UID: harborUID, Name: "harbor-packs", Kind: "basic", Endpoint: "https://harbor.example.com", BaseContentPath: "team-a"},
		{UID: ecrUID, Name: "ecr-packs", Kind: "ecr", Endpoint: ecrHost, BaseContentPath: "/palette/"},
		{UID: "7b", Name: "helm-charts", Kind: "basic", Endpoint: "https://harbor.example.com", BaseContentPath: "charts", ProviderType: "helm"},
		{UID: "8c", Name: "no-sync", Kind: "basic", Endpoint: "https://harbor.example.com", BaseContentPath: "team-a", SyncDisabled: true},
		{UID: "9d", Name: "twice", Kind: "basic", Endpoint: "https://harbor.example.com", BaseContentPath: "team-a"},
		{UID: "9e", Name: "twice", Kind: "basic", Endpoint: "https://harbor.example.com", BaseContentPath: "team-a"},
	}
}

// staticCatalog is what the registries hold once the packs are pushed.
func staticCatalog(_ context.Context, r palettetest.Registry) (map[string][]string, error) {
	return map[string][]string{"hello": {"0.9.0", "1.0.0"}, "prom": {"9.7.2"}}, nil
}

var pushed = []palette.Pack{{Name: "hello", Version: "1.0.0"}, {Name: "prom", Version: "9.7.2"}}

func options(t *testing.T, srv *palettetest.Server, registry string) palette.Options {
	t.Helper()
	pem, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return palette.Options{
		URL: srv.URL, APIKey: srv.APIKey, Registry: registry, Kind: palette.KindBasic,
		Host: "harbor.example.com", BasePath: "team-a", Packs: pushed,
		Timeout: 20 * time.Second, Poll: 10 * time.Millisecond, MaxPoll: 40 * time.Millisecond, RootCAs: pool,
	}
}

func TestSync(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		fake    palettetest.Options
		edit    func(*palette.Options)
		wantErr []string // substrings of the error; nil: success
		syncs   int      // sync calls expected
		status  int      // of the *palette.HTTPError in the chain, if any
	}{
		{name: "by name", syncs: 1},
		{name: "by UID", edit: func(o *palette.Options) { o.Registry = harborUID }, syncs: 1},
		{name: "ECR", edit: func(o *palette.Options) {
			o.Registry, o.Kind, o.Host, o.BasePath = "ecr-packs", palette.KindECR, ecrHost, "palette"
		}, syncs: 1},
		{name: "endpoint with https and port 443", edit: func(o *palette.Options) { o.Host = "Harbor.Example.com:443" }, syncs: 1},
		{name: "bad key", fake: palettetest.Options{EchoKey: true}, edit: func(o *palette.Options) { o.APIKey = "wrong-key-123" },
			wantErr: []string{"HTTP 401", `Palette answered "Unauthorized: api key`, "set palette-api-key", redact.Marker}, status: http.StatusUnauthorized},
		{name: "forbidden", fake: palettetest.Options{Forbidden: true},
			wantErr: []string{"HTTP 403", "packRegistry.update", "tenant admin"}, status: http.StatusForbidden},
		{name: "unknown registry", edit: func(o *palette.Options) { o.Registry = "harbor" },
			wantErr: []string{`no OCI registry named "harbor"`, `"harbor-packs"`, "set palette-registry"}},
		{name: "two of that name", edit: func(o *palette.Options) { o.Registry = "twice" },
			wantErr: []string{`2 OCI registries in Palette are named "twice"`, "UID"}},
		{name: "other host", edit: func(o *palette.Options) { o.Host = "registry.example.com" },
			wantErr: []string{`reads endpoint "https://harbor.example.com" with base content path "team-a"`, "pushed to registry.example.com"}},
		{name: "other base path", edit: func(o *palette.Options) { o.BasePath = "team-b" },
			wantErr: []string{`base-path "team-b"`, "Base Content Path"}},
		{name: "pushed to ECR, registered as basic", edit: func(o *palette.Options) { o.Kind = palette.KindECR },
			wantErr: []string{`is of type basic, but this run pushed to an ECR registry`}},
		{name: "helm registry", edit: func(o *palette.Options) { o.Registry, o.BasePath = "helm-charts", "charts" },
			wantErr: []string{`provider type "helm"`}},
		{name: "sync turned off", edit: func(o *palette.Options) { o.Registry = "no-sync" },
			wantErr: []string{"synchronization is turned off"}},
		{name: "failed sync", fake: palettetest.Options{Fail: true, FailMessage: "unauthorized: robot$palette"},
			wantErr: []string{`failed in Palette (status "Failed", "unauthorized: robot$palette")`, "hello:1.0.0, prom:9.7.2 are not visible", "stay pushed"}, syncs: 1},
		{name: "never ends", fake: palettetest.Options{NeverEnds: true}, edit: func(o *palette.Options) { o.Timeout = 700 * time.Millisecond },
			wantErr: []string{"hello:1.0.0, prom:9.7.2 are still not visible", "palette-timeout (700ms) expired", `last sync status "InProgress"`, "raise palette-timeout"}, syncs: 1},
		{name: "version not in the registry", edit: func(o *palette.Options) {
			o.Packs = []palette.Pack{{Name: "hello", Version: "2.0.0"}}
			o.Timeout = 700 * time.Millisecond
		}, wantErr: []string{"hello:2.0.0 is still not visible", `last sync status "Completed"`}, syncs: 3}, // at most 3 syncs
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fo := tc.fake
			fo.Registries, fo.Catalog = registries(), staticCatalog
			srv := palettetest.New(t, fo)
			opts := options(t, srv, "harbor-packs")
			if tc.edit != nil {
				tc.edit(&opts)
			}
			res, err := palette.Sync(context.Background(), opts)
			if res == nil {
				t.Fatal("nil result")
			}
			if tc.wantErr == nil {
				if err != nil || !res.Synced || res.Error != "" {
					t.Fatalf("Sync: %v (%+v)", err, res)
				}
				if res.Confirmed() != len(opts.Packs) || res.Packs[0].PackUID != "pack-hello-1.0.0" {
					t.Errorf("packs = %+v", res.Packs)
				}
				if res.SyncStatus != "Completed" || res.SyncMS <= 0 {
					t.Errorf("sync status %q after %d ms", res.SyncStatus, res.SyncMS)
				}
			} else {
				if err == nil {
					t.Fatalf("Sync succeeded: %+v", res)
				}
				t.Logf("error: %v", err)
				if res.Synced || res.Error != err.Error() {
					t.Errorf("result %+v does not record the failure", res)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q\ndoes not contain %q", err, want)
					}
				}
				var herr *palette.HTTPError
				if errors.As(err, &herr) != (tc.status != 0) || tc.status != 0 && herr.Status != tc.status {
					t.Errorf("error chain %#v, want an *HTTPError %d", err, tc.status)
				}
				if strings.Contains(err.Error(), opts.APIKey) {
					t.Errorf("error holds the API key: %q", err)
				}
			}
			uid := harborUID
			if opts.Kind == palette.KindECR {
				uid = ecrUID
			}
			if got := srv.Syncs(uid); got != tc.syncs {
				t.Errorf("%d sync calls, want %d", got, tc.syncs)
			}
			for _, r := range srv.Requests() {
				if r.Status == http.StatusUnauthorized && tc.name != "bad key" {
					t.Errorf("%s %s: 401", r.Method, r.Path)
				}
			}
		})
	}
}

// TestSync_waitsForTheSync: the packs are looked up while the sync runs,
// and only found once it has read the registry.
func TestSync_waitsForTheSync(t *testing.T) {
	t.Parallel()
	srv := palettetest.New(t, palettetest.Options{Registries: registries(), Catalog: staticCatalog, SyncPolls: 4})
	var logs []string
	opts := options(t, srv, "harbor-packs")
	opts.Logf = func(f string, a ...any) { logs = append(logs, f) }
	res, err := palette.Sync(context.Background(), opts)
	if err != nil || !res.Synced {
		t.Fatalf("Sync: %v", err)
	}
	var paths []string
	polls, misses := 0, 0
	for _, r := range srv.Requests() {
		paths = append(paths, r.Method+" "+r.Path)
		if strings.HasSuffix(r.Path, "/sync/status") {
			polls++
		}
		if strings.HasPrefix(r.Path, "/v1/packs/") && r.Status == http.StatusNotFound {
			misses++
		}
	}
	want := []string{
		"GET /v1/registries/oci/summary",
		"GET /v1/registries/oci/" + harborUID + "/basic",
		"GET /v1/registries/oci/" + harborUID + "/basic/sync/status",
		"POST /v1/registries/oci/" + harborUID + "/basic/sync",
	}
	if strings.Join(paths[:4], "\n") != strings.Join(want, "\n") {
		t.Errorf("first requests:\n%s\nwant:\n%s", strings.Join(paths[:4], "\n"), strings.Join(want, "\n"))
	}
	// One baseline read, four while running, one that ends it.
	if polls != 6 || misses != 4 {
		t.Errorf("%d status reads and %d lookups before the packs appeared, want 6 and 4:\n%s", polls, misses, strings.Join(paths, "\n"))
	}
	if len(logs) == 0 {
		t.Error("no progress logged")
	}
}

// TestSync_retryAfter: 429 answers are retried after Retry-After.
func TestSync_retryAfter(t *testing.T) {
	t.Parallel()
	srv := palettetest.New(t, palettetest.Options{Registries: registries(), Catalog: staticCatalog, SyncPolls: 1, RateLimit: 2, RetryAfter: "1"})
	res, err := palette.Sync(context.Background(), options(t, srv, "harbor-packs"))
	if err != nil || !res.Synced {
		t.Fatalf("Sync: %v", err)
	}
	reqs := srv.Requests()
	if reqs[0].Status != http.StatusTooManyRequests || reqs[1].Status != http.StatusTooManyRequests || reqs[2].Status != http.StatusOK {
		t.Fatalf("first answers %d %d %d", reqs[0].Status, reqs[1].Status, reqs[2].Status)
	}
	for i := 1; i <= 2; i++ {
		if gap := reqs[i].Time.Sub(reqs[i-1].Time); gap < 900*time.Millisecond {
			t.Errorf("request %d came %s after a 429 with Retry-After: 1", i+1, gap)
		}
	}
}

// TestSync_retryAfterBeyondTimeout: a Retry-After longer than the time
// left fails at once, saying so.
func TestSync_retryAfterBeyondTimeout(t *testing.T) {
	t.Parallel()
	srv := palettetest.New(t, palettetest.Options{Registries: registries(), Catalog: staticCatalog, RateLimit: 100, RetryAfter: "3600"})
	opts := options(t, srv, "harbor-packs")
	start := time.Now()
	_, err := palette.Sync(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "HTTP 429") || !strings.Contains(err.Error(), "wait 1h0m0s") {
		t.Fatalf("err = %v", err)
	}
	if len(srv.Requests()) != 1 || time.Since(start) > opts.Timeout {
		t.Errorf("%d requests", len(srv.Requests()))
	}
}

func TestSync_nothingPushed(t *testing.T) {
	t.Parallel()
	srv := palettetest.New(t, palettetest.Options{Registries: registries(), Catalog: staticCatalog})
	opts := options(t, srv, "harbor-packs")
	opts.Packs = nil
	res, err := palette.Sync(context.Background(), opts)
	if err != nil || len(srv.Requests()) != 0 || len(res.Packs) != 0 {
		t.Fatalf("Sync: %v, %d requests", err, len(srv.Requests()))
	}
}

// TestSync_interrupted: the run's own context ending is not reported as
// palette-timeout.
func TestSync_interrupted(t *testing.T) {
	t.Parallel()
	srv := palettetest.New(t, palettetest.Options{Registries: registries(), Catalog: staticCatalog, NeverEnds: true})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := palette.Sync(ctx, options(t, srv, "harbor-packs"))
	if err == nil || strings.Contains(err.Error(), "palette-timeout") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

// TestSync_untrusted: without the CA, TLS fails and nothing is sent.
func TestSync_untrusted(t *testing.T) {
	t.Parallel()
	srv := palettetest.New(t, palettetest.Options{Registries: registries(), Catalog: staticCatalog})
	opts := options(t, srv, "harbor-packs")
	opts.RootCAs = nil
	opts.Timeout = 5 * time.Second
	_, err := palette.Sync(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "certificate") || len(srv.Requests()) != 0 {
		t.Fatalf("err = %v, %d requests", err, len(srv.Requests()))
	}
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{in: "https://api.spectrocloud.com", want: "https://api.spectrocloud.com"},
		{in: "https://palette.example.com/", want: "https://palette.example.com"},
		{in: "palette.example.com:8443", want: "https://palette.example.com:8443"},
		{in: "https://example.com/palette/", want: "https://example.com/palette"},
		{in: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{in: "http://palette.example.com", err: "plain HTTP"},
		{in: "https://user:pw@palette.example.com", err: "credentials"},
		{in: "https://palette.example.com/?x=1", err: "query"},
		{in: "https://palette.example.com/?apikey=pw", err: "query"},
		{in: "https://palette.example.com/#pw", err: "fragment"},
		{in: "https://?apikey=pw", err: "no host"},
		{in: "ftp://palette.example.com", err: "not https"},
		{in: "https://", err: "no host"},
	} {
		u, err := palette.ParseURL(tc.in)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseURL(%q) = %v, %v; want error with %q", tc.in, u, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "pw") {
				t.Errorf("ParseURL(%q) echoes the password: %v", tc.in, err)
			}
		case err != nil || u.String() != tc.want:
			t.Errorf("ParseURL(%q) = %v, %v; want %s", tc.in, u, err, tc.want)
		}
	}
}

// TestSync_unavailable: 503 answers are retried with backoff, a few times.
func TestSync_unavailable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n       int
		wantErr string
	}{{n: 2}, {n: 100, wantErr: "HTTP 503 Service Unavailable, Palette answered \"ServiceUnavailable: try again\"; Palette failed to answer"}} {
		srv := palettetest.New(t, palettetest.Options{Registries: registries(), Catalog: staticCatalog, SyncPolls: 1, Unavailable: tc.n})
		_, err := palette.Sync(context.Background(), options(t, srv, "harbor-packs"))
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%d× 503: %v", tc.n, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%d× 503: %v, want %q", tc.n, err, tc.wantErr)
		case tc.wantErr != "" && len(srv.Requests()) != 4:
			t.Errorf("%d× 503: %d requests, want 4 attempts", tc.n, len(srv.Requests()))
		}
	}
}

// TestSync_hangingServer: a Palette that accepts requests and never answers
// cannot hold the step beyond its timeout: each request has its own.
func TestSync_hangingServer(t *testing.T) {
	t.Parallel()
	srv := palettetest.New(t, palettetest.Options{Registries: registries(), Catalog: staticCatalog, Hang: true})
	opts := options(t, srv, "harbor-packs")
	opts.RequestTimeout, opts.Timeout = 100*time.Millisecond, 5*time.Second
	start := time.Now()
	_, err := palette.Sync(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "listing Palette's OCI registries") || !strings.Contains(err.Error(), "did not answer within 100ms") {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took >= opts.Timeout {
		t.Errorf("took %s, the whole palette-timeout", took)
	}
	// The server records a request once it sees the client give up.
	for deadline := time.Now().Add(2 * time.Second); len(srv.Requests()) < 4 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Errorf("%d attempts, want 4", n)
	}
}

// TestSync_logRedacted: the progress lines and the result quote Palette's
// text, and are redacted like the errors: here a registry UID that holds the
// key.
func TestSync_logRedacted(t *testing.T) {
	t.Parallel()
	const key = "pk-0123456789abcdef"
	regs := registries()
	regs[0].UID = "uid-" + key
	srv := palettetest.New(t, palettetest.Options{APIKey: key, Registries: regs, Catalog: staticCatalog, SyncPolls: 1})
	opts := options(t, srv, "harbor-packs")
	var logs strings.Builder
	var mu sync.Mutex
	opts.Logf = func(f string, a ...any) { mu.Lock(); defer mu.Unlock(); fmt.Fprintf(&logs, f+"\n", a...) }
	res, err := palette.Sync(context.Background(), opts)
	if err != nil || !res.Synced {
		t.Fatalf("Sync: %v (%+v)", err, res)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logs.String(), key) || !strings.Contains(logs.String(), "uid-"+redact.Marker) {
		t.Errorf("log:\n%s", logs.String())
	}
	if b, _ := json.Marshal(res); strings.Contains(string(b), key) {
		t.Errorf("result holds the key: %s", b)
	}
}

// TestSync_staleFailure: the previous sync's "Failed", still shown for a
// while after the new sync is asked for, is not taken for this sync's.
func TestSync_staleFailure(t *testing.T) {
	t.Parallel()
	srv := palettetest.New(t, palettetest.Options{Registries: registries(), Catalog: staticCatalog,
		LastSync: "Failed", LastMessage: "yesterday's failure", StatusLag: 2, SyncPolls: 1})
	res, err := palette.Sync(context.Background(), options(t, srv, "harbor-packs"))
	if err != nil || !res.Synced || res.SyncStatus != "Completed" {
		t.Fatalf("Sync: %v (%+v)", err, res)
	}
}

// TestSync_alreadyRunning: a sync already running when the packs were
// pushed is waited for (the sync call is answered 409), ends without them,
// and another is asked for, which finds them.
func TestSync_alreadyRunning(t *testing.T) {
	t.Parallel()
	srv := palettetest.New(t, palettetest.Options{Registries: registries(), Catalog: staticCatalog, Running: true, SyncPolls: 1})
	var logs []string
	opts := options(t, srv, "harbor-packs")
	opts.Logf = func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }
	res, err := palette.Sync(context.Background(), opts)
	if err != nil || !res.Synced {
		t.Fatalf("Sync: %v\n%s", err, strings.Join(logs, "\n"))
	}
	conflicts := 0
	for _, r := range srv.Requests() {
		if r.Status == http.StatusConflict {
			conflicts++
		}
	}
	if srv.Syncs(harborUID) != 2 || conflicts != 1 {
		t.Errorf("%d sync calls, %d answered 409; want 2 and 1\n%s", srv.Syncs(harborUID), conflicts, strings.Join(logs, "\n"))
	}
}

// TestSync_hugeAnswer: an answer beyond the cap fails at once, unread
// beyond it and not asked again.
func TestSync_hugeAnswer(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		chunk := []byte(strings.Repeat(" ", 1<<20))
		for range 65 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	_, err := palette.Sync(context.Background(), palette.Options{URL: srv.URL, APIKey: "k", Registry: "r", Kind: palette.KindBasic,
		Host: "h", Packs: pushed, Transport: srv.Client().Transport, Timeout: 20 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "answer larger than 64 MiB") || requests.Load() != 1 {
		t.Fatalf("err = %v after %d requests", err, requests.Load())
	}
}
