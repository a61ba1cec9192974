package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Options configure the client shared by every repository of a run. The
// zero value talks HTTPS with the system roots, anonymously.
type Options struct {
	PlainHTTP bool // the registry speaks plain HTTP; allows https->http redirects
	// Insecure skips TLS verification for the registry host (Host's name,
	// any port) only: its token service, blob storage and every other host
	// are verified, so that the credentials sent to a token service never
	// go to an unverified server. With Host empty it covers every host.
	Insecure   bool
	Host       string // the registry host[:port]
	CAFile     string // PEM bundle added to the system roots
	Credential auth.CredentialFunc
	UserAgent  string // default "pack-publish"
	Timeouts   Timeouts
}

// Timeouts bound every request, so that a server that accepts a connection
// and never answers (or stops halfway) cannot hang a run. Zero fields take
// the defaults.
type Timeouts struct {
	Dial         time.Duration // TCP connect; default 15s
	TLSHandshake time.Duration // default 2 x Stall (the stall guard covers the handshake)
	// Stall is the longest a request may go without progress: from sending
	// it to the response headers, and between reads of the request body (an
	// upload) or of the response body. Default 1m.
	Stall time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	if t.Dial <= 0 {
		t.Dial = 15 * time.Second
	}
	if t.Stall <= 0 {
		t.Stall = time.Minute
	}
	if t.TLSHandshake <= 0 {
		// A backstop: the stall guard, which names the host and its limit,
		// answers first for a server that accepts and never speaks TLS.
		t.TLSHandshake = 2 * t.Stall
	}
	return t
}

// StallError is returned when a server made no progress on a request for
// Timeouts.Stall. It is deliberately not a net.Error timeout: retry loops
// (oras-go's, publish.RetryPolicy) repeat timeouts, and each repetition
// would wait for the same silent server again.
type StallError struct {
	Host  string
	Limit time.Duration
}

func (e *StallError) Error() string {
	return fmt.Sprintf("%s did not answer for %s (the per-request timeout)", e.Host, e.Limit)
}

// transport is a clone of http.DefaultTransport with the timeouts, wrapped
// in the stall guard.
func transport(t Timeouts) (*http.Transport, http.RoundTripper) {
	t = t.withDefaults()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: t.Dial, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = t.TLSHandshake
	tr.ResponseHeaderTimeout = 2 * t.Stall // a backstop: the stall guard answers first
	tr.IdleConnTimeout = 30 * time.Second
	return tr, &stallGuard{next: tr, stall: t.Stall}
}

// NewHTTPClient returns a plain HTTP client with the same timeouts, for the
// other services of a run (AWS STS and ECR).
func NewHTTPClient(t Timeouts) *http.Client {
	_, rt := transport(t)
	return &http.Client{Transport: rt}
}

// stallGuard cancels a request that makes no progress for stall: no
// response headers, no read of the upload body, no byte of the response
// body. The request then fails with a *StallError.
type stallGuard struct {
	next  http.RoundTripper
	stall time.Duration
}

func (g *stallGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	w := &watchdog{cancel: cancel, err: &StallError{Host: req.URL.Host, Limit: g.stall}, stall: g.stall}
	w.timer = time.AfterFunc(g.stall, w.fire)
	req = req.WithContext(ctx)
	// Large uploads kick the watchdog as they are read. Smaller bodies are
	// left alone: net/http writes known in-memory bodies with the headers,
	// and other readers after flushing the headers, which changes how a
	// connection the server drops fails (an EOF it repeats, or a write to
	// a closed connection it does not). They are written well within stall.
	if req.Body != nil && req.Body != http.NoBody && req.ContentLength > guardedBodyMin {
		req.Body = &guardedBody{rc: req.Body, w: w}
	}
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		w.stop()
		if w.fired() {
			return nil, w.err
		}
		return nil, err
	}
	w.kick()
	resp.Body = &guardedBody{rc: resp.Body, w: w, done: true}
	return resp, nil
}

// guardedBodyMin is the size from which request bodies are watched.
const guardedBodyMin = 1 << 20

// watchdog cancels its request when not kicked for stall.
type watchdog struct {
	cancel context.CancelCauseFunc
	err    *StallError
	stall  time.Duration
	timer  *time.Timer
	mu     sync.Mutex
	gone   bool
}

func (w *watchdog) fire() {
	w.mu.Lock()
	w.gone = true
	w.mu.Unlock()
	w.cancel(w.err)
}

func (w *watchdog) fired() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gone
}

func (w *watchdog) kick() { w.timer.Reset(w.stall) }

func (w *watchdog) stop() {
	w.timer.Stop()
	w.cancel(nil)
}

// guardedBody kicks the watchdog on every read; the response body (done)
// releases it on Close.
type guardedBody struct {
	rc   io.ReadCloser
	w    *watchdog
	done bool
}

func (b *guardedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.w.kick()
	}
	if err != nil && err != io.EOF && b.w.fired() {
		return n, b.w.err
	}
	return n, err
}

func (b *guardedBody) Close() error {
	err := b.rc.Close()
	if b.done {
		b.w.stop()
	}
	return err
}

// retryPolicy is oras-go's default, except that timeouts (a stall, a TLS
// handshake or a connection that did not complete) are not repeated at
// once: the timeout already waited for the server, and five more waits
// would turn one minute into six.
func retryPolicy() retry.Policy {
	return &retry.GenericPolicy{
		Retryable: func(resp *http.Response, err error) (bool, error) {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return false, err
			}
			return retry.DefaultPredicate(resp, err)
		},
		Backoff:  retry.DefaultBackoff,
		MinWait:  200 * time.Millisecond,
		MaxWait:  3 * time.Second,
		MaxRetry: 5,
	}
}

// maxCAFileBytes bounds the ca-file read; real bundles are a few hundred KiB.
const maxCAFileBytes = 16 << 20

// NewClient builds the authenticating client: a clone of
// http.DefaultTransport with the TLS settings and timeouts, wrapped in
// oras-go's retrying transport, with a token cache and the credential.
// Redirects from https to http are refused unless opts.PlainHTTP.
func NewClient(opts Options) (*auth.Client, error) {
	tr, guarded := transport(opts.Timeouts)
	tr.MaxIdleConnsPerHost = 128 // packs are pushed, and tags looked up, concurrently on one host
	if opts.Insecure || opts.CAFile != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if opts.CAFile != "" {
			pool, err := CAPool(opts.CAFile)
			if err != nil {
				return nil, err
			}
			cfg.RootCAs = pool
		}
		tr.TLSClientConfig = cfg
		if opts.Insecure {
			insecure := tr.Clone()
			insecure.TLSClientConfig = cfg.Clone()
			insecure.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // the insecure input asks for it, for the registry host
			guarded.(*stallGuard).next = &insecureHost{host: opts.Host, insecure: insecure, verified: tr}
		}
	}
	c := &auth.Client{
		Client: &http.Client{
			Transport:     &retry.Transport{Base: guarded, Policy: retryPolicy},
			CheckRedirect: checkRedirect(opts.PlainHTTP),
		},
		Cache:      auth.NewCache(),
		Credential: opts.Credential,
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = "pack-publish"
	}
	c.SetUserAgent(ua)
	return c, nil
}

// insecureHost sends requests to the registry host without TLS
// verification (the insecure input), and to any other host, such as a token
// service on another host, with it.
type insecureHost struct {
	host     string // host[:port]; "" covers every host
	insecure http.RoundTripper
	verified http.RoundTripper
}

func (h *insecureHost) RoundTrip(req *http.Request) (*http.Response, error) {
	if h.host == "" || strings.EqualFold(req.URL.Hostname(), hostname(h.host)) {
		return h.insecure.RoundTrip(req)
	}
	resp, err := h.verified.RoundTrip(req)
	var verify *tls.CertificateVerificationError
	if err != nil && errors.As(err, &verify) {
		return nil, fmt.Errorf("%w; insecure skips verification for the registry host %s only, not for %s "+
			"(a token service gets the credentials): give its CA in ca-file", err, hostname(h.host), req.URL.Hostname())
	}
	return resp, err
}

// hostname is the host of host[:port], without brackets.
func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// checkRedirect keeps http.Client's limit of 10 redirects and refuses a
// redirect from https to http, which would send requests (and, for the same
// host, credentials) in the clear.
func checkRedirect(plainHTTP bool) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if !plainHTTP && via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return fmt.Errorf("refusing a redirect from https to %s://%s; set plain-http only if the registry really serves plain HTTP", req.URL.Scheme, req.URL.Host)
		}
		return nil
	}
}

// CAPool returns the system roots plus the certificates of the PEM bundle
// file (the ca-file input), which also serves a self-hosted Palette.
func CAPool(file string) (*x509.CertPool, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("input ca-file: opening %s: %w; give the path of a PEM bundle", file, err)
	}
	defer f.Close()
	pem, err := io.ReadAll(io.LimitReader(f, maxCAFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("input ca-file: reading %s: %w", file, err)
	}
	if len(pem) > maxCAFileBytes {
		return nil, fmt.Errorf("input ca-file: %s is larger than %d MiB; give a PEM bundle", file, maxCAFileBytes>>20)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("input ca-file: %s holds no PEM certificate; give a file with -----BEGIN CERTIFICATE----- blocks", file)
	}
	return pool, nil
}

// Repository returns the repository path (no tag) on host, using client.
// plainHTTP must match the client's Options.PlainHTTP.
func Repository(client *auth.Client, host, path string, plainHTTP bool) (*remote.Repository, error) {
	switch {
	case strings.Contains(host, "@"): // never echo what may be user:password
		return nil, errors.New("input registry: holds user information; give host[:port] only, and credentials as username and password")
	case host == "" || strings.ContainsAny(host, "/ "):
		return nil, fmt.Errorf("input registry: %q is not a host[:port]; give it without scheme or path", host)
	}
	repo, err := remote.NewRepository(host + "/" + path)
	if err != nil {
		return nil, fmt.Errorf("opening repository %s/%s: %w", host, path, err)
	}
	if repo.Reference.Reference != "" {
		return nil, fmt.Errorf("opening repository %s/%s: a repository path takes no tag or digest", host, path)
	}
	repo.Client = newPushScoped(client, []registry.Reference{repo.Reference})
	repo.PlainHTTP = plainHTTP
	return repo, nil
}

// TokenGroup is how many repositories Repositories puts under one token. A
// token names every repository it covers (about 100 bytes each) and travels
// in a request header: 16 keep it at 2 to 3 KB, well below the 8 KB header
// limits of common proxies.
const TokenGroup = 16

// Repositories opens the repositories at paths on host, each as Repository
// does, but asking in groups of TokenGroup for one token that covers pull
// and push on the whole group: a token registry (Harbor, GHCR, Docker Hub)
// then issues one token per group instead of one per repository, and each
// group meets one 401 instead of one per repository. Every group's token
// also covers the shared repositories (the base path, which the packs mount
// the config blob from).
func Repositories(client *auth.Client, host string, paths []string, plainHTTP bool, shared ...string) ([]*remote.Repository, error) {
	var sharedRefs []registry.Reference
	for _, p := range shared {
		repo, err := Repository(client, host, p, plainHTTP)
		if err != nil {
			return nil, err
		}
		sharedRefs = append(sharedRefs, repo.Reference)
	}
	repos := make([]*remote.Repository, len(paths))
	for i, p := range paths {
		repo, err := Repository(client, host, p, plainHTTP)
		if err != nil {
			return nil, err
		}
		repos[i] = repo
	}
	for start := 0; start < len(repos); start += TokenGroup {
		group := repos[start:min(start+TokenGroup, len(repos))]
		refs := slices.Clone(sharedRefs)
		for _, repo := range group {
			refs = append(refs, repo.Reference)
		}
		scoped := newPushScoped(client, refs)
		for _, repo := range group {
			repo.Client = scoped
		}
	}
	return repos, nil
}

// pushScoped asks for pull and push access to its repositories on every
// request. Token registries issue a token per set of scopes, and oras-go
// meets a new set with an unauthenticated request, a 401 and a token fetch:
// asking for pull access to look the tag up and for push access later cost
// four such detours per new pack; one set per repository costs one, one set
// per group of repositories one per group. A pull-only account still gets
// its pull token: token services grant the part of the request they allow.
type pushScoped struct {
	client *auth.Client
	host   string
	scopes []string // repository:NAME:pull,push of each repository, cleaned once
}

func newPushScoped(client *auth.Client, refs []registry.Reference) pushScoped {
	scopes := make([]string, len(refs))
	for i, ref := range refs {
		scopes[i] = auth.ScopeRepository(ref.Repository, auth.ActionPull, auth.ActionPush)
	}
	return pushScoped{client: client, host: refs[0].Host(), scopes: auth.CleanScopes(scopes)}
}

func (c pushScoped) Do(req *http.Request) (*http.Response, error) {
	return c.client.Do(req.WithContext(auth.AppendScopesForHost(req.Context(), c.host, c.scopes...)))
}
