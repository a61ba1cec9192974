package pack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

// bomb returns a chart archive whose first entry decompresses to size
// zero bytes, followed by the chart's Chart.yaml.
func bomb(t *testing.T, size int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "demo/zeros", Mode: 0o644, Size: size}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(tw, zeros{}, size); err != nil {
		t.Fatal(err)
	}
	chart := "apiVersion: v2\nname: demo\nversion: 1.2.3\n"
	_ = tw.WriteHeader(&tar.Header{Name: "demo/Chart.yaml", Mode: 0o644, Size: int64(len(chart))})
	_, _ = tw.Write([]byte(chart))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// countingFS counts the opens of, and the bytes read from, each file; after
// cancelAt bytes of one file it calls cancel.
type countingFS struct {
	fstest.MapFS
	mu       sync.Mutex
	opens    map[string]int
	read     map[string]int64
	cancelAt int64
	cancel   func()
}

func (c *countingFS) Open(name string) (fs.File, error) {
	f, err := c.MapFS.Open(name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.opens[name]++
	c.mu.Unlock()
	return &countingFile{File: f, fs: c, name: name}, nil
}

type countingFile struct {
	fs.File
	fs   *countingFS
	name string
}

func (f *countingFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	f.fs.mu.Lock()
	f.fs.read[f.name] += int64(n)
	over := f.fs.cancel != nil && f.fs.read[f.name] > f.fs.cancelAt
	f.fs.mu.Unlock()
	if over {
		f.fs.cancel()
	}
	return n, err
}

// TestLoad_chartBomb (security review F4): a chart archive listed many
// times is opened and read once, its decompression stops at the cap, and
// the listing repeats are reported.
func TestLoad_chartBomb(t *testing.T) {
	t.Parallel()
	const file = "charts/demo-1.2.3.tgz"
	const capBytes = 1 << 20
	b := bomb(t, 64*capBytes)
	entries := make([]string, 50)
	for i := range entries {
		entries[i] = file
	}
	fsys := &countingFS{MapFS: withJSON(basePack(), map[string]any{"charts": entries}), opens: map[string]int{}, read: map[string]int64{}}
	fsys.MapFS[file] = &fstest.MapFile{Data: b}
	_, findings := Load(t.Context(), fsys, Options{MaxChartBytes: capBytes})
	if fsys.opens[file] != 1 {
		t.Errorf("the chart archive was opened %d times, want 1", fsys.opens[file])
	}
	// Reading up to the Chart.yaml behind the zeros would read it all.
	if got := fsys.read[file]; got >= int64(len(b))/8 {
		t.Errorf("read %d of the archive's %d compressed bytes; the decompressed cap of %d bytes (1/64 of it) should stop it", got, len(b), capBytes)
	}
	t.Logf("read %d of %d compressed bytes", fsys.read[file], len(b))
	dups := 0
	for _, f := range findings {
		switch {
		case f.Rule == "F17":
			dups++
		case f.Rule == "F17" || f.Rule == "F18" || f.Severity == SeverityError:
			t.Errorf("unexpected finding %v", f)
		}
	}
	if dups < maxPerRule {
		t.Errorf("%d F17 findings for 49 repeats, want the cap of %d (and a summary)", dups, maxPerRule)
	}
}

// TestLoad_chartBombCancelled: cancelling stops the decompression of a
// single huge entry.
func TestLoad_chartBombCancelled(t *testing.T) {
	t.Parallel()
	const file = "charts/demo-1.2.3.tgz"
	b := bomb(t, 2*DefaultMaxChartBytes)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	fsys := &countingFS{MapFS: basePack(), opens: map[string]int{}, read: map[string]int64{}, cancelAt: 4 << 10, cancel: cancel}
	fsys.MapFS[file] = &fstest.MapFile{Data: b}
	_, findings := Load(ctx, fsys, Options{})
	// gzip reads ahead in blocks of 4 KiB (bufio); a few blocks past the
	// cancellation is all that may be read.
	if got := fsys.read[file]; got > 64<<10 {
		t.Errorf("read %d compressed bytes after cancelling at 4 KiB (of %d)", got, len(b))
	}
	if len(findings) == 0 || !strings.Contains(findings[len(findings)-1].Message, "validation stopped") {
		t.Errorf("findings = %v, want the last to say validation stopped", findings)
	}
}

// TestLoad_filesReadOnce: Load opens each file of a pack at most once, also
// values.yaml, which several rules (F2, V6, R3) look at.
func TestLoad_filesReadOnce(t *testing.T) {
	t.Parallel()
	fsys := &countingFS{MapFS: basePack(), opens: map[string]int{}, read: map[string]int64{}}
	fsys.MapFS["values.yaml"].Data = append([]byte("# spectrocloud.com/enabled-presets: size:one\n"), fsys.MapFS["values.yaml"].Data...)
	if _, findings := Load(t.Context(), fsys, Options{}); HasErrors(findings, true) {
		t.Fatalf("Load() findings = %v, want none failing", findings)
	}
	for name, n := range fsys.opens {
		if n > 1 {
			t.Errorf("%s was opened %d times, want once", name, n)
		}
	}
	if fsys.opens["values.yaml"] == 0 {
		t.Error("values.yaml was never opened")
	}
}
