package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pack-publish/pack-publish/internal/gittest"
)

// statusCounter counts, behind a latencyProxy, the manifest PUTs a
// registry answered 400 (docker-registry 2.8's "digest invalid / manifest
// blob unknown" race).
type statusCounter struct {
	next        http.Handler
	manifest400 atomic.Int64
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

func (c *statusCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	c.next.ServeHTTP(rec, r)
	if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") && rec.status == http.StatusBadRequest {
		c.manifest400.Add(1)
	}
}

// BenchmarkPerfVersions: what publishing many versions of the same packs
// costs on docker-registry 2.8, where concurrent versions of one pack race
// inside the registry: 6 packs x 20 versions into fresh repositories
// through the 25 ms proxy. Reported: wall time, requests per pack, the
// manifest PUTs the registry answered 400, and the packs that failed.
// BENCH_PACK_PUBLISH_BIN runs another build instead (an older one, to
// compare; BENCHMARKS.md has the figures).
func BenchmarkPerfVersions(b *testing.B) {
	reg, _ := startPlainDistribution(b)
	bin := os.Getenv("BENCH_PACK_PUBLISH_BIN")
	if bin == "" {
		bin = buildBinary(b)
	}
	repo := gittest.Init(b)
	const packs, versions = 6, 20
	for p := range packs {
		for v := range versions {
			name, version := fmt.Sprintf("app%d", p), fmt.Sprintf("1.%d.0", v)
			repo.Write(gittest.Pack(filepath.Join("packs", name+"-"+version), name, version))
		}
	}
	repo.Commit("packs")
	proxy, _ := newLatencyProxy(b, reg, 25*time.Millisecond)
	counter := &statusCounter{next: proxy}
	srv := httptest.NewServer(counter)
	b.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	var (
		runs, sumFailed     int
		sumRequests, sum400 int64
		sumWall             time.Duration
	)
	for i := 0; b.Loop(); i++ {
		proxy.requests.Store(0)
		counter.manifest400.Store(0)
		report := filepath.Join(b.TempDir(), "report.json")
		args := []string{"--registry", host, "--plain-http", "--auth", "none", "--detect", "all", "--packs-dir", "packs",
			"--base-path", fmt.Sprintf("v%d", i), "--report-file", report}
		cmd := exec.Command(bin, args...)
		cmd.Dir = repo.Dir
		start := time.Now()
		out, err := cmd.CombinedOutput()
		wall := time.Since(start)
		var rep struct{ Packs []struct{ Status string } }
		if b, rerr := os.ReadFile(report); rerr == nil {
			_ = json.Unmarshal(b, &rep)
		}
		failed := 0
		for _, p := range rep.Packs {
			if p.Status != "pushed" {
				failed++
			}
		}
		if len(rep.Packs) != packs*versions {
			b.Fatalf("pack-publish: %v, %d packs in the report\n%s", err, len(rep.Packs), out)
		}
		runs++
		sumWall += wall
		sumRequests += proxy.requests.Load()
		sum400 += counter.manifest400.Load()
		sumFailed += failed
	}
	// Means over the runs (b.N fresh publishes).
	b.ReportMetric(sumWall.Seconds()/float64(runs), "s")
	b.ReportMetric(float64(sumRequests)/float64(runs*packs*versions), "requests/pack")
	b.ReportMetric(float64(sum400)/float64(runs), "manifest-400s")
	b.ReportMetric(float64(sumFailed)/float64(runs), "failed-packs")
}
