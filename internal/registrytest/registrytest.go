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
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// tokenPath is where Harbor's token service answers.
const tokenPath = "/service/token"

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
	Upload    bool     // part of a blob upload: POST, PATCH or PUT under /blobs/uploads/
	Mounted   bool     // a cross-repository mount the registry carried out (201)
	Scopes    []string // of a token request: the scope parameters asked for
	UserAgent string   // as sent by the client
	// Credentials: the request carried basic credentials (a registry
	// request on Basic, a token request on Harbor).
	Credentials bool
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
	tokens   map[string]map[string]string // Harbor: token -> repository -> actions it grants
	access   func(repo string) string     // Harbor: the actions the account may have on repo
}

// SetAccess sets what the account may do on each repository (Harbor): the
// comma-separated actions ("pull,push", "pull" for a pull-only robot, ""
// outside its projects). The token service grants the part of each scope
// asked for that access allows, as real token services do, and the registry
// answers a request its token does not cover with 401 insufficient_scope.
// nil (the default) allows everything.
func (s *Server) SetAccess(access func(repo string) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = access
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
	s := &Server{Username: opts.Username, Password: opts.Password, tokens: map[string]map[string]string{}}
	reg := s.mount(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
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

// Mounts counts the cross-repository mounts the registry carried out.
func (s *Server) Mounts() int { return s.count(func(r Request) bool { return r.Mounted }) }

// BlobUploads counts the requests that were part of blob uploads (a
// monolithic upload is two: POST, then PUT).
func (s *Server) BlobUploads() int { return s.count(func(r Request) bool { return r.Upload }) }

// AuthDetours counts what authentication cost: 401 answers to registry
// requests, and token fetches (Harbor).
func (s *Server) AuthDetours() (challenges, tokens int) {
	tokens = s.count(func(r Request) bool { return r.Path == tokenPath })
	challenges = s.count(func(r Request) bool { return r.Path != tokenPath && r.Status == http.StatusUnauthorized })
	return challenges, tokens
}

// FailedLogins counts the requests that carried basic credentials and were
// refused with 401: what an LDAP-backed registry counts towards locking the
// account.
func (s *Server) FailedLogins() int {
	return s.count(func(r Request) bool { return r.Credentials && r.Status == http.StatusUnauthorized })
}

func (s *Server) count(match func(Request) bool) int {
	n := 0
	for _, r := range s.Requests() {
		if match(r) {
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
		_, _, creds := r.BasicAuth()
		req := Request{Method: r.Method, Path: r.URL.Path, Status: sw.status, Upload: upload, UserAgent: r.UserAgent(), Credentials: creds,
			Mounted: upload && r.URL.Query().Get("mount") != "" && sw.status == http.StatusCreated}
		if r.URL.Path == tokenPath {
			req.Scopes = r.URL.Query()["scope"]
		}
		s.requests = append(s.requests, req)
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

// harbor answers as Harbor's token flow does: a token from /service/token
// grants the actions asked for in its scope parameters (all of them, for the
// robot account), and a registry request needs a token that grants its
// action on its repository, else 401 with the challenge for that scope. A
// mount also needs pull on the repository mounted from, else it is refused
// as a mount and starts an ordinary upload, as distribution does.
func (s *Server) harbor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == tokenPath {
			if u, p, ok := r.BasicAuth(); !ok || u != s.Username || p != s.Password {
				unauthorized(w)
				return
			}
			grants := map[string]string{}
			s.mu.Lock()
			access := s.access
			s.mu.Unlock()
			for _, sc := range r.URL.Query()["scope"] {
				if parts := strings.Split(sc, ":"); len(parts) == 3 && parts[0] == "repository" {
					for _, a := range strings.Split(parts[2], ",") {
						if access == nil || slices.Contains(strings.Split(access(parts[1]), ","), a) {
							grants[parts[1]] += "," + a
						}
					}
				}
			}
			token := randomToken()
			s.mu.Lock()
			s.tokens[token] = grants
			s.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"token": token})
			return
		}
		name, action := repositoryOf(r)
		s.mu.Lock()
		grants, known := s.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		s.mu.Unlock()
		if !known || (name != "" && !grantsAction(grants[name], action)) {
			// As distribution's token authentication answers: the scope
			// the request needs, and, when a token came but does not cover
			// it, error="insufficient_scope" and the access list.
			challenge := `Bearer realm="https://` + r.Host + `/service/token",service="harbor-registry"`
			if name != "" {
				challenge += `,scope="repository:` + name + `:` + action + `"`
			}
			if known {
				challenge += `,error="insufficient_scope"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
			if known && name != "" {
				insufficientScope(w, name, action)
				return
			}
			unauthorized(w)
			return
		}
		if from := r.URL.Query().Get("from"); from != "" && !grantsAction(grants[from], "pull") {
			q := r.URL.Query()
			q.Del("mount")
			q.Del("from")
			r.URL.RawQuery = q.Encode()
		}
		next.ServeHTTP(w, r)
	})
}

// repositoryOf returns the repository a /v2/ request names and the action
// it needs: pull to read, pull,push to write.
func repositoryOf(r *http.Request) (name, action string) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v2/"), "/")
	if len(parts) < 3 {
		return "", ""
	}
	for i := len(parts) - 2; i > 0; i-- {
		if parts[i] == "manifests" || parts[i] == "blobs" || parts[i] == "tags" {
			name = strings.Join(parts[:i], "/")
			break
		}
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return name, "pull"
	}
	return name, "pull,push"
}

// grantsAction reports whether the comma-separated granted actions hold
// every action of want.
func grantsAction(granted, want string) bool {
	for _, a := range strings.Split(want, ",") {
		if !slices.Contains(strings.Split(granted, ","), a) {
			return false
		}
	}
	return true
}

// mount carries out cross-repository blob mounts (POST
// /v2/NAME/blobs/uploads/?mount=DIGEST&from=OTHER), which
// go-containerregistry's registry does not: it keeps blobs by digest for all
// repositories, so a blob OTHER can serve is mounted by answering 201. A
// mount of a blob it does not hold starts an ordinary upload.
func (s *Server) mount(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		dgst, from := q.Get("mount"), q.Get("from")
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/blobs/uploads/") || dgst == "" || from == "" {
			next.ServeHTTP(w, r)
			return
		}
		probe := httptest.NewRecorder()
		next.ServeHTTP(probe, httptest.NewRequest(http.MethodHead, "/v2/"+from+"/blobs/"+dgst, nil))
		if probe.Code != http.StatusOK {
			q.Del("mount")
			q.Del("from")
			r.URL.RawQuery = q.Encode()
			next.ServeHTTP(w, r)
			return
		}
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v2/"), "/blobs/uploads/")
		w.Header().Set("Location", "/v2/"+name+"/blobs/"+dgst)
		w.Header().Set("Docker-Content-Digest", dgst)
		w.WriteHeader(http.StatusCreated)
	})
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
}

// insufficientScope writes distribution's 401 body for a token that lacks
// actions: detail lists every action the request needed.
func insufficientScope(w http.ResponseWriter, name, actions string) {
	var detail []map[string]string
	for _, a := range strings.Split(actions, ",") {
		detail = append(detail, map[string]string{"Type": "repository", "Class": "", "Name": name, "Action": a})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{
		{"code": "UNAUTHORIZED", "message": "authentication required", "detail": detail}}})
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
