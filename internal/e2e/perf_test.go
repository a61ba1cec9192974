package e2e

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/pack-publish/pack-publish/internal/archive"
	"github.com/pack-publish/pack-publish/internal/gittest"
	"github.com/pack-publish/pack-publish/internal/integration"
)

// The performance targets of BENCHMARKS.md, measured side by side in one
// run as ratios: go test ./internal/e2e -run '^$' -bench Perf -benchtime 1x
// (scripts/bench.sh runs them all and prints the table).

// latencyProxy forwards to target adding delay to every request, like a
// runner talking to a registry in another region; it counts requests.
type latencyProxy struct {
	delay    time.Duration
	proxy    *httputil.ReverseProxy
	requests atomic.Int64
	uploads  atomic.Int64
}

func newLatencyProxy(tb testing.TB, target string, delay time.Duration) (*latencyProxy, string) {
	u, _ := url.Parse("http://" + target)
	p := &latencyProxy{delay: delay, proxy: httputil.NewSingleHostReverseProxy(u)}
	p.proxy.ErrorLog = log.New(io.Discard, "", 0)
	p.proxy.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
	srv := httptest.NewServer(p)
	tb.Cleanup(srv.Close)
	return p, strings.TrimPrefix(srv.URL, "http://")
}

func (p *latencyProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	if strings.Contains(r.URL.Path, "/blobs/uploads/") {
		p.uploads.Add(1)
	}
	time.Sleep(p.delay)
	p.proxy.ServeHTTP(w, r)
}

// startPlainDistribution runs docker-registry over plain HTTP without auth;
// cpu reports the CPU time the registry has used so far.
func startPlainDistribution(tb testing.TB) (host string, cpu func() time.Duration) {
	t, ok := tb.(*testing.B)
	if !ok {
		tb.Fatal("benchmarks only")
	}
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		integration.Skip(t, "docker-registry not installed (.ci/run installs it)")
	}
	dir := t.TempDir()
	port := freePort(t)
	cfg := fmt.Sprintf("version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s/data}}\nhttp: {addr: 127.0.0.1:%d, secret: s}\n", dir, port)
	writeFile(t, filepath.Join(dir, "config.yml"), []byte(cfg))
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	host = fmt.Sprintf("127.0.0.1:%d", port)
	cpu = func() time.Duration { return procCPU(cmd.Process.Pid) }
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + host + "/v2/"); err == nil {
			resp.Body.Close()
			return host, cpu
		}
	}
	t.Fatal("docker-registry did not start")
	return "", nil
}

// procCPU is the user and system CPU time of a running process, from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s); 0 where
// there is no /proc.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; fields are counted after it.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func freePort(tb testing.TB) int {
	srv := httptest.NewServer(http.NotFoundHandler())
	port, _ := strconv.Atoi(srv.URL[strings.LastIndexByte(srv.URL, ':')+1:])
	srv.Close()
	return port
}

// genPacks writes n packs into a new git repository: every fourth a chart
// pack with a 1-5 MB .tgz (incompressible, like real charts), the others
// small manifest packs; about 60 MB for 50 packs.
func genPacks(b *testing.B, n int, charts bool) string {
	repo := gittest.Init(b)
	rng := rand.New(rand.NewPCG(7, 9))
	for i := range n {
		dir := fmt.Sprintf("packs/p%03d", i)
		repo.Write(gittest.Pack(dir, fmt.Sprintf("p%03d", i), "1.0.0"))
		yaml := strings.Repeat(fmt.Sprintf("  key%d: value for pack %d\n", i, i), 2000)
		writeFile(b, filepath.Join(repo.Dir, dir, "manifests/big.yaml"), []byte("data:\n"+yaml))
		if charts && i%4 == 0 {
			tgz := make([]byte, (1+rng.IntN(5))<<20)
			for j := range tgz {
				tgz[j] = byte(rng.Uint32())
			}
			writeFile(b, filepath.Join(repo.Dir, dir, "charts/chart-1.0.0.tgz"), tgz)
		}
	}
	repo.Commit("packs")
	return repo.Dir
}

func buildBinary(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "pack-publish")
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func timed(b *testing.B, dir string, name string, args ...string) time.Duration {
	wall, _ := timedCPU(b, dir, name, args...)
	return wall
}

// timedCPU runs a command and returns its wall time and the CPU time it used.
func timedCPU(b *testing.B, dir string, name string, args ...string) (wall, cpu time.Duration) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return time.Since(start), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// documentedFlow is Palette's documented procedure, one pack after the
// other: tar czf, then oras push --image-spec v1.0, plus the base path.
func documentedFlow(b *testing.B, ws, host, base string) time.Duration {
	oras, err := exec.LookPath("oras")
	if err != nil {
		b.Skip("oras not installed (.ci/run installs it)")
	}
	out := b.TempDir()
	start := time.Now()
	timed(b, out, oras, "push", "--image-spec", "v1.0", "--plain-http", host+"/"+base+"/spectro-packs/archive")
	dirs, _ := filepath.Glob(filepath.Join(ws, "packs", "*"))
	for _, d := range dirs {
		name := filepath.Base(d)
		file := name + "-1.0.0.tar.gz"
		timed(b, out, "tar", "-czf", file, "-C", filepath.Dir(d), name)
		timed(b, out, oras, "push", "--image-spec", "v1.0", "--plain-http", host+"/"+base+"/spectro-packs/archive/"+name+":1.0.0", file)
	}
	return time.Since(start)
}

// compressionFloor gzips the packs' tar streams with pack-publish's
// compressor and level on all cores, the least time any tool needs.
func compressionFloor(b *testing.B, ws string) time.Duration {
	dirs, _ := filepath.Glob(filepath.Join(ws, "packs", "*"))
	tars := make([][]byte, len(dirs))
	for i, d := range dirs {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		_ = filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			data, _ := os.ReadFile(p)
			_ = tw.WriteHeader(&tar.Header{Name: p, Mode: 0o644, Size: int64(len(data))})
			_, _ = tw.Write(data)
			return nil
		})
		tw.Close()
		tars[i] = buf.Bytes()
	}
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0)) // all cores, one stream each
	for _, t := range tars {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			gz, _ := gzip.NewWriterLevel(io.Discard, archive.CompressionLevel)
			_, _ = gz.Write(t)
			gz.Close()
		}()
	}
	wg.Wait()
	return time.Since(start)
}

func packPublish(b *testing.B, bin, ws, host, base string, extra ...string) time.Duration {
	wall, _ := packPublishCPU(b, bin, ws, host, base, extra...)
	return wall
}

func packPublishCPU(b *testing.B, bin, ws, host, base string, extra ...string) (wall, cpu time.Duration) {
	args := append([]string{"--registry", host, "--plain-http", "--auth", "none", "--detect", "all", "--packs-dir", "packs", "--base-path", base}, extra...)
	return timedCPU(b, ws, bin, args...)
}

// BenchmarkPerfP1: 50 packs (about 60 MB) through a 25 ms proxy, against the
// documented flow; and on bare loopback, against the compression floor. On
// loopback the CPU time of pack-publish and of the registry is reported too:
// on a small machine the registry's own write path bounds the run.
func BenchmarkPerfP1(b *testing.B) {
	reg, regCPU := startPlainDistribution(b)
	bin := buildBinary(b)
	ws := genPacks(b, 50, true)
	_, slow := newLatencyProxy(b, reg, 25*time.Millisecond)
	for i := 0; b.Loop(); i++ {
		ours := packPublish(b, bin, ws, slow, fmt.Sprintf("ours%d", i))
		theirs := documentedFlow(b, ws, slow, fmt.Sprintf("doc%d", i))
		before := regCPU()
		bare, bareCPU := packPublishCPU(b, bin, ws, reg, fmt.Sprintf("bare%d", i))
		b.ReportMetric((regCPU() - before).Seconds(), "loopback-registry-cpu-s")
		b.ReportMetric(bareCPU.Seconds(), "loopback-our-cpu-s")
		floor := compressionFloor(b, ws)
		b.ReportMetric(ours.Seconds(), "ours-25ms-s")
		b.ReportMetric(theirs.Seconds(), "documented-25ms-s")
		b.ReportMetric(theirs.Seconds()/ours.Seconds(), "x-faster-than-documented")
		b.ReportMetric(bare.Seconds(), "ours-loopback-s")
		b.ReportMetric(floor.Seconds(), "compression-floor-s")
		b.ReportMetric(bare.Seconds()/floor.Seconds(), "x-of-floor")
		layout := timed(b, ws, bin, "--oci-layout", filepath.Join(b.TempDir(), "oci"), "--detect", "all", "--packs-dir", "packs")
		b.ReportMetric(layout.Seconds(), "ours-oci-layout-s")
		b.ReportMetric(layout.Seconds()/floor.Seconds(), "layout-x-of-floor")
	}
}

// BenchmarkPerfConcurrency measures the default concurrency's neighbours
// through the 25 ms proxy.
func BenchmarkPerfConcurrency(b *testing.B) {
	reg, _ := startPlainDistribution(b)
	bin := buildBinary(b)
	ws := genPacks(b, 50, true)
	_, slow := newLatencyProxy(b, reg, 25*time.Millisecond)
	for _, c := range []int{4, 8, 16, 32} {
		b.Run(strconv.Itoa(c), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				d := packPublish(b, bin, ws, slow, fmt.Sprintf("c%d-%d", c, i), "--concurrency", strconv.Itoa(c))
				b.ReportMetric(d.Seconds(), "s")
			}
		})
	}
}

// BenchmarkPerfP2: a re-run over 200 published packs: blob uploads,
// requests per pack and time against the full push, through the proxy. The
// CPU time pack-publish and the registry spend on the re-run is reported
// too: on a small machine running both, it bounds the re-run.
func BenchmarkPerfP2(b *testing.B) {
	reg, regCPU := startPlainDistribution(b)
	bin := buildBinary(b)
	ws := genPacks(b, 200, false)
	proxy, slow := newLatencyProxy(b, reg, 25*time.Millisecond)
	for i := 0; b.Loop(); i++ {
		base := fmt.Sprintf("rerun%d", i)
		full := packPublish(b, bin, ws, slow, base)
		proxy.requests.Store(0)
		proxy.uploads.Store(0)
		before := regCPU()
		again, ourCPU := packPublishCPU(b, bin, ws, slow, base)
		b.ReportMetric((regCPU() - before).Seconds(), "rerun-registry-cpu-s")
		b.ReportMetric(ourCPU.Seconds(), "rerun-our-cpu-s")
		b.ReportMetric(full.Seconds(), "full-push-s")
		b.ReportMetric(again.Seconds(), "rerun-s")
		b.ReportMetric(100*again.Seconds()/full.Seconds(), "rerun-%-of-full")
		b.ReportMetric(float64(proxy.requests.Load())/200, "requests/pack")
		b.ReportMetric(float64(proxy.uploads.Load()), "blob-uploads")
	}
}
