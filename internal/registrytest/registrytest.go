package registrytest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Auth selects the registry's authentication.
type Auth int

const (
	None   Auth = iota // anonymous
	Basic              // HTTP basic auth, as a distribution registry with htpasswd
	Harbor             // bearer tokens from /service/token, as Harbor
)

// Options for New.
type Options struct {
	Auth     Auth
	Username string // default "robot$ci"
	Password string // default "s3cret"
}

// Request is one request the registry received (the token endpoint's
// included).
type Request struct {
	Method    string
	Path      string
	Status    int
	Upload    bool   // part of a blob upload: POST, PATCH or PUT under /blobs/uploads/
	UserAgent string // as sent by the client
}

// Server is a running test registry.
type Server struct {
	Host     string // 127.0.0.1:port
	CAFile   string // PEM of the server certificate, for ca-file
	Username string
	Password string
	srv      *httptest.Server

	mu       sync.Mutex
	requests []Request
	token    string
}

// New starts a registry that stops when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Username == "" {
		opts.Username = "robot$ci"
	}
	if opts.Password == "" {
		opts.Password = "s3cret"
	}
	s := &Server{Username: opts.Username, Password: opts.Password, token: randomToken()}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var h http.Handler
	switch opts.Auth {
	case Basic:
		h = s.basic(reg)
	case Harbor:
		h = s.harbor(reg)
	default:
		h = reg
	}
	s.srv = httptest.NewUnstartedServer(s.record(h))
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // clients that give up mid-handshake are expected
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	s.Host = strings.TrimPrefix(s.srv.URL, "https://")
	s.CAFile = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
	if err := os.WriteFile(s.CAFile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// Client returns an HTTP client that trusts the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Reset forgets the recorded requests.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// BlobUploads counts the requests that were part of blob uploads (a
// monolithic upload is two: POST, then PUT).
func (s *Server) BlobUploads() int {
	n := 0
	for _, r := range s.Requests() {
		if r.Upload {
			n++
		}
	}
	return n
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		s.mu.Lock()
		upload := r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodDelete &&
			strings.Contains(r.URL.Path, "/blobs/uploads/")
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Status: sw.status, Upload: upload, UserAgent: r.UserAgent()})
		s.mu.Unlock()
	})
}

func (s *Server) basic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != s.Username || p != s.Password {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			unauthorized(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) harbor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/service/token" {
			if u, p, ok := r.BasicAuth(); !ok || u != s.Username || p != s.Password {
				unauthorized(w)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"token": s.token})
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+s.token {
			scope := ""
			if parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v2/"), "/"); len(parts) > 2 {
				name := strings.Join(parts[:len(parts)-2], "/")
				action := "pull,push"
				if r.Method == http.MethodGet || r.Method == http.MethodHead {
					action = "pull"
				}
				scope = `,scope="repository:` + name + `:` + action + `"`
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="https://`+r.Host+`/service/token",service="harbor-registry"`+scope)
			unauthorized(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
