package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pack-publish/pack-publish/internal/publish"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

func TestNewClient_stalledServer(t *testing.T) {
	t.Parallel()
	addr, conns := registrytest.Hanging(t)
	tests := []struct {
		name string
		url  string
	}{
		{"plain http", "http://" + addr + "/v2/"},
		{"tls handshake", "https://" + addr + "/v2/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewClient(Options{Timeouts: Timeouts{Stall: 200 * time.Millisecond, TLSHandshake: 150 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, tc.url, nil)
			start := time.Now()
			_, err = c.Client.Do(req)
			if err == nil {
				t.Fatal("Do() = nil error against a server that never answers")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Do() took %s, want about the stall timeout", d)
			}
			var ne net.Error
			var stall *StallError
			if !errors.As(err, &stall) && (!errors.As(err, &ne) || !ne.Timeout()) {
				t.Errorf("Do() = %v, want a stall or a timeout", err)
			}
		})
	}
	// oras-go's transport repeats timeouts five times; a stall is not repeated.
	if n := conns.Load(); n > 2 {
		t.Errorf("%d connections to a stalled server, want one per request", n)
	}
}

func TestNewClient_stallNamesHost(t *testing.T) {
	t.Parallel()
	addr, conns := registrytest.Hanging(t)
	c, _ := NewClient(Options{PlainHTTP: true, Timeouts: Timeouts{Stall: 100 * time.Millisecond}})
	req, _ := http.NewRequest(http.MethodHead, "http://"+addr+"/v2/x/manifests/1.0.0", nil)
	_, err := c.Client.Do(req)
	var stall *StallError
	if !errors.As(err, &stall) || stall.Host != addr || !strings.Contains(err.Error(), addr+" did not answer for 100ms") {
		t.Fatalf("Do() = %v, want a *StallError naming %s and 100ms", err, addr)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1: a stall is not repeated", n)
	}
}

// TestNewClient_bodyStall: headers arrive, then the body stops.
func TestNewClient_bodyStall(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		<-release
	})}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { close(release); srv.Close() })

	c, _ := NewClient(Options{PlainHTTP: true, Timeouts: Timeouts{Stall: 150 * time.Millisecond}})
	resp, err := c.Client.Get("http://" + ln.Addr().String() + "/v2/x/blobs/sha256:00")
	if err != nil {
		t.Fatalf("Get() = %v", err)
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	var stall *StallError
	if !errors.As(err, &stall) {
		t.Fatalf("reading a stalled body = %v, want a *StallError", err)
	}
}

// TestNewClient_slowButSteady: a body that keeps coming, slower than the
// stall timeout in total, is not cut. The gaps are a fifth of the stall
// timeout, so a loaded machine cannot make them look like a stall.
func TestNewClient_slowButSteady(t *testing.T) {
	t.Parallel()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		for range 8 {
			_, _ = io.WriteString(w, "chunk")
			w.(http.Flusher).Flush()
			time.Sleep(200 * time.Millisecond)
		}
	})}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	c, _ := NewClient(Options{PlainHTTP: true, Timeouts: Timeouts{Stall: time.Second}})
	resp, err := c.Client.Get("http://" + ln.Addr().String() + "/v2/")
	if err != nil {
		t.Fatalf("Get() = %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || len(b) != 40 {
		t.Fatalf("ReadAll() = %d bytes, %v; want 40, nil", len(b), err)
	}
}

// TestNewClient_uploadStall: the server takes the headers of a large upload
// and stops reading its body.
func TestNewClient_uploadStall(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // never reads the body
	})}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { close(release); srv.Close() })

	c, _ := NewClient(Options{PlainHTTP: true, Timeouts: Timeouts{Stall: 200 * time.Millisecond}})
	body := strings.Repeat("x", 64<<20) // more than the socket buffers take
	req, _ := http.NewRequest(http.MethodPut, "http://"+ln.Addr().String()+"/v2/x/blobs/uploads/1", strings.NewReader(body))
	start := time.Now()
	_, err := c.Client.Do(req)
	var stall *StallError
	if !errors.As(err, &stall) {
		t.Fatalf("Do() = %v, want a *StallError", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Do() took %s", d)
	}
}

// TestStallError_notRetried: neither oras-go's transport nor the pack
// retry policy repeats a stall, which would wait for the same silent server
// again (four attempts made a dead registry cost four minutes).
func TestStallError_notRetried(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("HEAD: %w", &StallError{Host: "h", Limit: time.Minute})
	if publish.Transient(err) {
		t.Error("publish.Transient(stall) = true")
	}
	if retry, _ := retryPolicy().Retry(0, nil, err); retry >= 0 {
		t.Errorf("retryPolicy().Retry(stall) = %s, want no retry", retry)
	}
}

// TestNewClient_tlsStallNamesHost: a server that accepts and never speaks
// TLS (the default, HTTPS) also ends in a *StallError naming host and limit.
func TestNewClient_tlsStallNamesHost(t *testing.T) {
	t.Parallel()
	addr, _ := registrytest.Hanging(t)
	// The handshake's own timeout is set far off: the stall guard must end
	// the hung handshake, whatever the load delays its timer by.
	c, _ := NewClient(Options{Timeouts: Timeouts{Stall: 150 * time.Millisecond, TLSHandshake: time.Minute}})
	req, _ := http.NewRequest(http.MethodHead, "https://"+addr+"/v2/x/manifests/1.0.0", nil)
	_, err := c.Client.Do(req)
	var stall *StallError
	if !errors.As(err, &stall) || !strings.Contains(err.Error(), addr+" did not answer for 150ms") {
		t.Fatalf("Do() = %v, want a *StallError naming %s and 150ms", err, addr)
	}
}
