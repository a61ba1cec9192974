// Package palettetest is an in-process fake of the part of Palette's REST API
// that pack-publish uses, written from the OpenAPI spec Spectro Cloud
// publishes ("Palette APIs - 4.9"):
//
//	GET  /v1/registries/oci/summary                    (v1OciRegistriesSummary)
//	GET  /v1/registries/oci/{uid}/{basic|ecr}          (the registry's full spec)
//	POST /v1/registries/oci/{uid}/{basic|ecr}/sync     (v1BasicOciRegistriesUidSync, v1EcrRegistriesUidSync)
//	GET  /v1/registries/oci/{uid}/{basic|ecr}/sync/status
//	GET  /v1/packs/{packName}/registries/{registryUid} (v1PacksNameRegistryUidList)
//
// with the ApiKey header and v1Error bodies. A sync is asynchronous: it stays
// InProgress for a few status polls, then reads what the registry really
// holds (Catalog), and Palette lists those packs from then on.
package palettetest

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// Registry is one OCI registry as registered in Palette.
type Registry struct {
	UID             string
	Name            string
	Kind            string // "basic" or "ecr"
	Endpoint        string // as Palette stores it: https://host for basic, host for ECR
	BaseContentPath string
	ProviderType    string // default "pack"
	SyncDisabled    bool
}

// Catalog returns what a registry holds under its base content path: pack
// name -> versions.
type Catalog func(ctx context.Context, r Registry) (map[string][]string, error)

// Options configure the fake.
type Options struct {
	APIKey     string // the key the ApiKey header must carry; default "palette-test-key"
	Registries []Registry
	// Catalog is read when a sync completes, as Palette reads the registry.
	Catalog Catalog
	// SyncPolls is how many status reads a sync stays InProgress for before
	// it ends; default 3.
	SyncPolls int
	// Fail: the sync ends "Failed" with FailMessage and lists nothing new.
	Fail        bool
	FailMessage string
	NeverEnds   bool // the sync stays InProgress forever
	// Running: a sync is already running when the fake starts, and it ends
	// without the packs pushed since (it read the registry before them).
	// Asking for a sync while one runs is answered 409.
	Running   bool
	Forbidden bool // the sync call is refused with 403
	// RateLimit: the first RateLimit requests are answered 429 with
	// Retry-After: RetryAfter (default "1").
	RateLimit  int
	RetryAfter string
	// Unavailable: the first Unavailable requests are answered 503.
	Unavailable int
	// Hang: every request is accepted and never answered (until the client
	// gives up).
	Hang bool
	// LastSync is the status the registry's previous (daily) sync left,
	// default "Completed"; LastMessage its message.
	LastSync, LastMessage string
	// StatusLag: the first StatusLag status reads after a sync is asked for
	// still show the previous sync, as a status that is updated late would.
	StatusLag int
	// EchoKey makes the 401 answer quote the key it refused, as a careless
	// server might: pack-publish must still never print it.
	EchoKey bool
}

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Status int
	APIKey bool // carried the right key
	Time   time.Time
}

// Server is a running fake.
type Server struct {
	URL    string // https://127.0.0.1:port
	CAFile string // its certificate, PEM
	APIKey string
	opts   Options
	srv    *httptest.Server

	mu       sync.Mutex
	requests []Request
	syncs    map[string]*syncState // by registry UID
}

type syncState struct {
	triggered  int // sync calls
	polls      int // status reads since the last trigger
	running    bool
	status     string
	message    string
	lastRun    time.Time
	lastSynced time.Time
	packs      map[string][]string // what Palette lists
	prev       *syncState          // before the running sync: shown during StatusLag
	stale      bool                // the running sync read the registry before the push
}

// New starts the fake; it stops when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = "palette-test-key"
	}
	if opts.SyncPolls == 0 {
		opts.SyncPolls = 3
	}
	if opts.RetryAfter == "" {
		opts.RetryAfter = "1"
	}
	if opts.LastSync == "" {
		opts.LastSync = "Completed"
	}
	if opts.FailMessage == "" {
		opts.FailMessage = "failed to pull index from registry: connection refused"
	}
	s := &Server{APIKey: opts.APIKey, opts: opts, syncs: map[string]*syncState{}}
	day := time.Now().Add(-24 * time.Hour).UTC().Truncate(time.Second)
	for _, r := range opts.Registries {
		// The daily sync ran yesterday and found nothing new.
		s.syncs[r.UID] = &syncState{status: opts.LastSync, message: opts.LastMessage, lastRun: day, lastSynced: day, packs: map[string][]string{}}
		if opts.Running {
			st := s.syncs[r.UID]
			prev := *st
			st.prev, st.running, st.stale = &prev, true, true
			st.status, st.lastRun = "InProgress", time.Now().UTC()
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/registries/oci/summary", s.summary)
	mux.HandleFunc("GET /v1/registries/oci/{uid}/{kind}", s.registry)
	mux.HandleFunc("POST /v1/registries/oci/{uid}/{kind}/sync", s.sync)
	mux.HandleFunc("GET /v1/registries/oci/{uid}/{kind}/sync/status", s.status)
	mux.HandleFunc("GET /v1/packs/{name}/registries/{uid}", s.pack)
	s.srv = httptest.NewUnstartedServer(s.record(mux))
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	s.CAFile = filepath.Join(t.TempDir(), "palette-ca.pem")
	if err := os.WriteFile(s.CAFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// Client returns an HTTP client that trusts the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Syncs returns how many times the registry's sync was asked for.
func (s *Server) Syncs(uid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.syncs[uid]; st != nil {
		return st.triggered
	}
	return 0
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		key := r.Header.Get("ApiKey")
		s.mu.Lock()
		n := len(s.requests)
		s.mu.Unlock()
		switch {
		case s.opts.Hang:
			<-r.Context().Done()
			s.mu.Lock()
			s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, APIKey: key == s.opts.APIKey, Time: at})
			s.mu.Unlock()
			panic(http.ErrAbortHandler) // no answer at all
		case n < s.opts.RateLimit:
			sw.Header().Set("Retry-After", s.opts.RetryAfter)
			writeError(sw, http.StatusTooManyRequests, "TooManyRequests", "rate limit exceeded")
		case n < s.opts.Unavailable:
			writeError(sw, http.StatusServiceUnavailable, "ServiceUnavailable", "try again")
		case key != s.opts.APIKey:
			msg := "invalid api key"
			if s.opts.EchoKey {
				msg = fmt.Sprintf("api key %q is not valid", key)
			}
			writeError(sw, http.StatusUnauthorized, "Unauthorized", msg)
		default:
			next.ServeHTTP(sw, r)
		}
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Status: sw.status, APIKey: key == s.opts.APIKey, Time: at})
		s.mu.Unlock()
	})
}

// writeError answers with the spec's v1Error.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg, "ref": "test"})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) find(uid, kind string) (Registry, bool) {
	for _, r := range s.opts.Registries {
		if r.UID == uid && (kind == "" || r.Kind == kind) {
			return r, true
		}
	}
	return Registry{}, false
}

func providerType(r Registry) string {
	if r.ProviderType == "" {
		return "pack"
	}
	return r.ProviderType
}

// summary is v1OciRegistriesSummary: {items: [v1OciRegistry]}, no base
// content path.
func (s *Server) summary(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []any{}
	for _, r := range s.opts.Registries {
		st := s.syncs[r.UID]
		items = append(items, map[string]any{
			"metadata": map[string]any{"name": r.Name, "uid": r.UID},
			"spec": map[string]any{"endpoint": r.Endpoint, "providerType": providerType(r), "registryType": r.Kind,
				"scope": "tenant", "isPrivate": true},
			"status": map[string]any{"sync": st.json(r)},
		})
	}
	writeJSON(w, map[string]any{"items": items})
}

// registry is v1BasicOciRegistriesUidGet / v1EcrRegistriesUidGet.
func (s *Server) registry(w http.ResponseWriter, r *http.Request) {
	reg, ok := s.find(r.PathValue("uid"), r.PathValue("kind"))
	if !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("%s registry %s not found", r.PathValue("kind"), r.PathValue("uid")))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	spec := map[string]any{"endpoint": reg.Endpoint, "baseContentPath": reg.BaseContentPath, "providerType": providerType(reg),
		"isSyncSupported": !reg.SyncDisabled, "scope": "tenant"}
	if reg.Kind == "basic" {
		spec["auth"] = map[string]any{"type": "basic", "username": "robot$palette"}
	} else {
		spec["isPrivate"] = true
	}
	writeJSON(w, map[string]any{"kind": reg.Kind, "metadata": map[string]any{"name": reg.Name, "uid": reg.UID}, "spec": spec,
		"status": map[string]any{"syncStatus": s.syncs[reg.UID].json(reg)}})
}

// sync is v1BasicOciRegistriesUidSync / v1EcrRegistriesUidSync: 202, no body.
func (s *Server) sync(w http.ResponseWriter, r *http.Request) {
	reg, ok := s.find(r.PathValue("uid"), r.PathValue("kind"))
	if !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "registry not found")
		return
	}
	if s.opts.Forbidden {
		writeError(w, http.StatusForbidden, "Forbidden", "operation 'packRegistry.update' is not allowed for the user")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.syncs[reg.UID]
	st.triggered++
	if st.running && s.opts.Running {
		writeError(w, http.StatusConflict, "Conflict", "registry sync is already in progress")
		return
	}
	if !st.running {
		st.running, st.polls = true, 0
		prev := *st
		st.prev = &prev
		st.status, st.message, st.lastRun = "InProgress", "", time.Now().UTC()
	}
	w.Header().Set("AuditUid", fmt.Sprintf("audit-%d", st.triggered))
	w.WriteHeader(http.StatusAccepted)
}

// status is v1BasicOciRegistriesUidSyncStatus / v1EcrRegistriesUidSyncStatus.
// A running sync ends on the SyncPolls+1-th read: it then reads the
// registry, unless it fails or never ends.
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	reg, ok := s.find(r.PathValue("uid"), r.PathValue("kind"))
	if !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "registry not found")
		return
	}
	s.mu.Lock()
	st := s.syncs[reg.UID]
	finish := false
	if st.running {
		st.polls++
		finish = st.polls > s.opts.StatusLag+s.opts.SyncPolls && !s.opts.NeverEnds
	}
	s.mu.Unlock()
	var packs map[string][]string
	var err error
	stale := st.stale
	if finish && !s.opts.Fail && !stale {
		if s.opts.Catalog == nil {
			err = fmt.Errorf("no catalog")
		} else {
			packs, err = s.opts.Catalog(r.Context(), reg)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if finish {
		st.running = false
		switch {
		case s.opts.Fail:
			st.status, st.message = "Failed", s.opts.FailMessage
		case err != nil:
			st.status, st.message = "Failed", err.Error()
		case stale:
			st.status, st.message, st.stale = "Completed", "", false
			st.lastSynced = time.Now().UTC()
		default:
			st.status, st.message, st.packs = "Completed", "", packs
			st.lastSynced = time.Now().UTC()
		}
	}
	if st.running && st.polls <= s.opts.StatusLag {
		writeJSON(w, st.prev.json(reg))
		return
	}
	writeJSON(w, st.json(reg))
}

func (st *syncState) json(reg Registry) map[string]any {
	return map[string]any{"status": st.status, "message": st.message, "lastRunTime": st.lastRun.Format(time.RFC3339Nano),
		"lastSyncedTime": st.lastSynced.Format(time.RFC3339Nano), "isSyncSupported": !reg.SyncDisabled}
}

// pack is v1PacksNameRegistryUidList: v1PackTagEntity with one tag per
// version Palette lists, or 404 ResourceNotFound.
func (s *Server) pack(w http.ResponseWriter, r *http.Request) {
	name, uid := r.PathValue("name"), r.PathValue("uid")
	reg, ok := s.find(uid, "")
	if !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "registry not found")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	versions, ok := s.syncs[uid].packs[name]
	if !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("pack %s not found in registry %s", name, uid))
		return
	}
	tags := []any{}
	for _, v := range versions {
		tags = append(tags, map[string]any{"tag": v, "version": v, "packUid": fmt.Sprintf("pack-%s-%s", name, v), "group": ""})
	}
	writeJSON(w, map[string]any{"name": name, "displayName": name, "layer": "addon", "registryUid": reg.UID,
		"cloudTypes": []string{"all"}, "tags": tags, "packValues": []any{}})
}

// OCICatalog reads a real OCI registry the way Palette's sync does: every
// repository <base content path>/spectro-packs/archive/<name> and its tags.
// client must trust the registry; username and password may be empty.
func OCICatalog(client *http.Client, username, password string) Catalog {
	return func(ctx context.Context, r Registry) (map[string][]string, error) {
		host, plain := r.Endpoint, false
		if h, ok := strings.CutPrefix(host, "https://"); ok {
			host = h
		} else if h, ok := strings.CutPrefix(host, "http://"); ok {
			host, plain = h, true
		}
		host = strings.TrimSuffix(host, "/")
		reg, err := remote.NewRegistry(host)
		if err != nil {
			return nil, err
		}
		reg.PlainHTTP = plain
		reg.Client = &auth.Client{Client: client, Credential: auth.StaticCredential(host, auth.Credential{Username: username, Password: password})}
		prefix := path.Join(strings.Trim(r.BaseContentPath, "/"), "spectro-packs/archive") + "/"
		out := map[string][]string{}
		var repos []string
		if err := reg.Repositories(ctx, "", func(page []string) error {
			for _, name := range page {
				if rest, ok := strings.CutPrefix(name, prefix); ok && rest != "" && !strings.Contains(rest, "/") {
					repos = append(repos, name)
				}
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("listing the repositories of %s: %w", host, err)
		}
		for _, name := range repos {
			repo, err := reg.Repository(ctx, name)
			if err != nil {
				return nil, err
			}
			if err := repo.Tags(ctx, "", func(tags []string) error {
				out[strings.TrimPrefix(name, prefix)] = append(out[strings.TrimPrefix(name, prefix)], tags...)
				return nil
			}); err != nil {
				return nil, fmt.Errorf("listing the tags of %s/%s: %w", host, name, err)
			}
		}
		return out, nil
	}
}
