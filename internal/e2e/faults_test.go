package e2e

import (
	"context"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/pack-publish/pack-publish/internal/config"
	"github.com/pack-publish/pack-publish/internal/gittest"
	"github.com/pack-publish/pack-publish/internal/pipeline"
	"github.com/pack-publish/pack-publish/internal/publish"
	"github.com/pack-publish/pack-publish/internal/registry"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

// faultProxy forwards to a registry and breaks about rate of the requests:
// 429 with Retry-After, 503, connection resets, slow answers and truncated
// response bodies.
type faultProxy struct {
	rate   float64
	mu     sync.Mutex
	rng    *rand.Rand
	counts map[string]int
	proxy  *httputil.ReverseProxy
	on     bool
}

func newFaultProxy(t *testing.T, upstream *registrytest.Server, rate float64) (*faultProxy, string) {
	target, _ := url.Parse("https://" + upstream.Host)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = upstream.Client().Transport
	rp.ErrorLog = log.New(io.Discard, "", 0)
	fp := &faultProxy{rate: rate, rng: rand.New(rand.NewPCG(1, 2)), counts: map[string]int{}, proxy: rp, on: true}
	srv := httptest.NewServer(fp)
	t.Cleanup(srv.Close)
	return fp, strings.TrimPrefix(srv.URL, "http://")
}

func (f *faultProxy) pick() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.on || f.rng.Float64() >= f.rate {
		return ""
	}
	fault := []string{"429", "503", "reset", "slow", "truncate"}[f.rng.IntN(5)]
	f.counts[fault]++
	return fault
}

func (f *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Host = ""
	switch f.pick() {
	case "429":
		w.Header().Set("Retry-After", "0")
		http.Error(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`, http.StatusTooManyRequests)
		return
	case "503":
		http.Error(w, `{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}`, http.StatusServiceUnavailable)
		return
	case "reset":
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	case "slow":
		time.Sleep(30 * time.Millisecond)
	case "truncate":
		if r.Method == http.MethodGet {
			rec := httptest.NewRecorder()
			f.proxy.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body[:len(body)/2])
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
			return
		}
	}
	f.proxy.ServeHTTP(w, r)
}

// TestFaults publishes 100 packs through a proxy that breaks about 20 % of
// the requests: every pack must end pushed or unchanged, each exactly once,
// and an immediate re-run must be all unchanged without blob uploads.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
	fp, host := newFaultProxy(t, reg, 0.2)

	repo := gittest.Init(t)
	for i := range 100 {
		name := fmt.Sprintf("pack-%03d", i)
		files := gittest.Pack("packs/"+name, name, "1.0.0")
		files["packs/"+name+"/manifests/data.yaml"] = strings.Repeat(fmt.Sprintf("key-%d: value\n", i), 2000)
		repo.Write(files)
	}
	repo.Commit("100 packs")

	cfg := &config.Config{Workspace: repo.Dir, PacksDirs: []string{"packs"}, Detect: "all", Registry: host, BasePath: "faults",
		Auth: "basic", Username: reg.Username, Password: reg.Password, PlainHTTP: true, Concurrency: 8}
	opts := pipeline.Options{Retry: publish.RetryPolicy{Attempts: 8, Base: 20 * time.Millisecond, Max: 200 * time.Millisecond}}
	res, err := pipeline.Run(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	seen := map[string]bool{}
	for _, p := range res.Packs {
		if p.Status != pipeline.StatusPushed && p.Status != pipeline.StatusUnchanged {
			t.Errorf("%s: %s: %s", p.Path, p.Status, p.Message)
		}
		if seen[p.Name] {
			t.Errorf("%s reported twice", p.Name)
		}
		seen[p.Name] = true
	}
	if len(seen) != 100 {
		t.Errorf("%d packs reported, want 100", len(seen))
	}
	fp.mu.Lock()
	t.Logf("faults injected: %v", fp.counts)
	fp.on = false
	fp.mu.Unlock()

	// Every tag resolves to a complete manifest in the registry itself.
	client, err := registry.NewClient(registry.Options{CAFile: reg.CAFile,
		Credential: auth.StaticCredential(reg.Host, auth.Credential{Username: reg.Username, Password: reg.Password})})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Packs {
		r, _ := registry.Repository(client, reg.Host, "faults/spectro-packs/archive/"+p.Name, false)
		desc, err := r.Resolve(context.Background(), "1.0.0")
		if err != nil || desc.Digest.String() != p.Digest {
			t.Errorf("%s: tag resolves to %v (%v), want %s", p.Name, desc.Digest, err, p.Digest)
		}
	}

	reg.Reset()
	res, err = pipeline.Run(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	for _, p := range res.Packs {
		if p.Status != pipeline.StatusUnchanged {
			t.Errorf("re-run: %s is %s (%s), want unchanged", p.Path, p.Status, p.Message)
		}
	}
	if n := reg.BlobUploads(); n != 0 {
		t.Errorf("re-run made %d blob upload requests, want 0", n)
	}
	t.Logf("re-run: %d registry requests for 100 packs", len(reg.Requests()))
}
