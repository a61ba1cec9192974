package palette

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/pack-publish/pack-publish/internal/redact"
)

// DefaultURL is Palette SaaS's API root.
const DefaultURL = "https://api.spectrocloud.com"

// Defaults of Options.
const (
	DefaultTimeout        = 10 * time.Minute
	DefaultRequestTimeout = 30 * time.Second
	DefaultPoll           = 500 * time.Millisecond
	DefaultMaxPoll        = 10 * time.Second
)

// Kind is how Palette registered the OCI registry; the sync and status
// paths differ.
type Kind string

const (
	KindBasic Kind = "basic" // Harbor, distribution and other basic-auth registries
	KindECR   Kind = "ecr"   // Amazon ECR
)

// Pack is one pushed pack version to confirm.
type Pack struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Options configure Sync. URL, APIKey, Registry, Kind, Host and Packs are
// required.
type Options struct {
	URL      string // Palette's API root; "" is DefaultURL
	APIKey   string
	Registry string // name or UID of the OCI registry as registered in Palette
	Kind     Kind   // of the destination the packs went to
	Host     string // destination registry host[:port]
	BasePath string // destination base path (Palette's Base Content Path)
	Packs    []Pack // the pushed versions

	Timeout        time.Duration // the whole step; 0 is DefaultTimeout
	RequestTimeout time.Duration // each request; 0 is DefaultRequestTimeout
	// Poll is the first wait between two looks at the sync; it doubles up
	// to MaxPoll, with jitter. 0: DefaultPoll, DefaultMaxPoll.
	Poll, MaxPoll time.Duration

	RootCAs   *x509.CertPool    // trusted roots; nil: the system's
	Transport http.RoundTripper // nil: a clone of http.DefaultTransport using RootCAs
	UserAgent string            // default "pack-publish"
	// Redact removes secrets from text quoted from Palette (the run's
	// redact.Secrets.String); nil: redact.String with APIKey.
	Redact func(string) string
	Logf   func(format string, args ...any) // progress, redacted; nil discards
	Now    func() time.Time
}

// Result is what the step did, for the report and the step summary.
type Result struct {
	Registry    string `json:"registry"` // as registered in Palette, or as given when not found
	RegistryUID string `json:"registryUid,omitempty"`
	Kind        Kind   `json:"kind,omitempty"`
	// Synced: every pushed pack was confirmed visible in Palette.
	Synced bool `json:"synced"`
	// SyncStatus and SyncMessage are the last sync status Palette reported.
	SyncStatus  string `json:"syncStatus,omitempty"`
	SyncMessage string `json:"syncMessage,omitempty"`
	// SyncMS runs from asking for the sync until every pack was confirmed,
	// or until the step gave up.
	SyncMS int64        `json:"syncMs"`
	Packs  []PackStatus `json:"packs"`
	Error  string       `json:"error,omitempty"`
}

// PackStatus says whether Palette lists one pushed version.
type PackStatus struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Visible bool   `json:"visible"`
	PackUID string `json:"packUid,omitempty"`
}

// Confirmed counts the visible packs.
func (r *Result) Confirmed() int {
	n := 0
	for _, p := range r.Packs {
		if p.Visible {
			n++
		}
	}
	return n
}

func (o *Options) defaults() {
	if o.URL == "" {
		o.URL = DefaultURL
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.MaxPoll <= 0 {
		o.MaxPoll = DefaultMaxPoll
	}
	if o.UserAgent == "" {
		o.UserAgent = "pack-publish"
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Redact == nil {
		key := o.APIKey
		o.Redact = func(s string) string { return redact.String(s, key) }
	}
	// Progress lines quote Palette's text (registry names and UIDs, sync
	// statuses) too: they are redacted like errors and the result.
	logf, redact := o.Logf, o.Redact
	o.Logf = func(format string, args ...any) { logf("%s", redact(fmt.Sprintf(format, args...))) }
}

// Sync asks Palette to sync the registry and waits until every pack in
// opts.Packs is visible from it, or opts.Timeout expires. The result is
// never nil; on failure its Error holds the returned error's text. Nothing
// is sent when opts.Packs is empty.
func Sync(ctx context.Context, opts Options) (*Result, error) {
	opts.defaults()
	res := &Result{Registry: opts.Registry, Kind: opts.Kind, Packs: make([]PackStatus, len(opts.Packs))}
	for i, p := range opts.Packs {
		res.Packs[i] = PackStatus{Name: p.Name, Version: p.Version}
	}
	if len(opts.Packs) == 0 {
		res.Synced = true
		return res, nil
	}
	err := sync(ctx, opts, res)
	if err != nil {
		res.Synced = false
		res.Error = opts.Redact(err.Error())
		return res, &redactedError{msg: res.Error, err: err}
	}
	res.Synced = true
	return res, nil
}

// redactedError is an error whose text went through Options.Redact; the
// chain stays open to errors.Is and errors.As (*HTTPError).
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func sync(ctx context.Context, opts Options, res *Result) error {
	c, err := newClient(opts)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, opts.Timeout, fmt.Errorf("%w (%s)", errTimeout, opts.Timeout))
	defer cancel()

	reg, err := c.findRegistry(ctx, opts.Registry)
	if err != nil {
		return err
	}
	res.Registry, res.RegistryUID = opts.Redact(reg.Metadata.Name), opts.Redact(reg.Metadata.UID)
	if err := c.checkRegistry(ctx, opts, reg); err != nil {
		return err
	}
	st := &syncer{c: c, opts: opts, res: res, uid: reg.Metadata.UID, name: reg.Metadata.Name}
	return st.run(ctx)
}

func newClient(opts Options) (*client, error) {
	base, err := ParseURL(opts.URL)
	if err != nil {
		return nil, err
	}
	tr := opts.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: opts.RootCAs}
		tr = t
	}
	return &client{
		base: base, key: opts.APIKey, ua: opts.UserAgent, reqTimeout: opts.RequestTimeout,
		poll: opts.Poll, maxPoll: opts.MaxPoll, redact: opts.Redact, logf: opts.Logf,
		hc: &http.Client{Transport: tr, CheckRedirect: sameOrigin},
	}, nil
}

// sameOrigin refuses redirects to another scheme, host or port: the ApiKey
// header is not one of those net/http drops when a redirect leaves the host.
func sameOrigin(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Scheme != via[0].URL.Scheme || req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("refusing a redirect to %s://%s, which would carry the API key to another server; set palette-url to the API root itself", req.URL.Scheme, req.URL.Host)
	}
	return nil
}

// ParseURL checks a palette-url value: https (plain http only to a loopback
// address, for tests), no credentials, query or fragment. A bare host gets
// https://.
func ParseURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	// shown is what an error quotes: the value without the query values or
	// fragment, where a key pasted into the wrong place would sit.
	shown := redact.URL(s)
	switch {
	case err != nil:
		return nil, errors.New("input palette-url: not a URL; give https://api.spectrocloud.com or https://<palette-host>")
	case u.User != nil:
		return nil, errors.New("input palette-url: must not contain credentials; the API key goes in palette-api-key")
	case u.Host == "":
		return nil, fmt.Errorf("input palette-url: %q has no host; give https://api.spectrocloud.com or https://<palette-host>", shown)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("input palette-url: %q has a query or fragment; give the API root only", shown)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return nil, fmt.Errorf("input palette-url: %q is plain HTTP, which would send the API key in the clear; use https://", shown)
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("input palette-url: scheme %q is not https", u.Scheme)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// ociRegistry is the part of v1OciRegistry (GET /v1/registries/oci/summary)
// and of v1BasicOciRegistry / v1EcrRegistry that is read.
type ociRegistry struct {
	Metadata struct {
		Name string `json:"name"`
		UID  string `json:"uid"`
	} `json:"metadata"`
	Spec struct {
		Endpoint        string `json:"endpoint"`
		BaseContentPath string `json:"baseContentPath"`
		ProviderType    string `json:"providerType"`
		RegistryType    string `json:"registryType"`
		IsSyncSupported *bool  `json:"isSyncSupported"`
	} `json:"spec"`
}

// findRegistry looks the registry up among the OCI registries: a UID match
// wins over a name match; two registries of that name are an error.
func (c *client) findRegistry(ctx context.Context, want string) (ociRegistry, error) {
	var list struct {
		Items []ociRegistry `json:"items"`
	}
	if err := c.call(ctx, "listing Palette's OCI registries", http.MethodGet, "/v1/registries/oci/summary", nil, &list); err != nil {
		return ociRegistry{}, err
	}
	var byName []ociRegistry
	var names []string
	for _, r := range list.Items {
		if r.Metadata.UID == want {
			return r, nil
		}
		if r.Metadata.Name == want {
			byName = append(byName, r)
		}
		names = append(names, fmt.Sprintf("%q", r.Metadata.Name))
	}
	switch len(byName) {
	case 1:
		return byName[0], nil
	case 0:
		known := "Palette lists none for this API key"
		if len(names) > 0 {
			if len(names) > 20 {
				names = append(names[:20], "...")
			}
			known = "Palette lists " + strings.Join(names, ", ")
		}
		return ociRegistry{}, fmt.Errorf("no OCI registry named %q in Palette (%s); set palette-registry to the name or UID shown under Tenant Settings > Registries > OCI Registries", want, c.clean(known))
	}
	return ociRegistry{}, fmt.Errorf("%d OCI registries in Palette are named %q; set palette-registry to the UID of the one to sync", len(byName), want)
}

// checkRegistry reads the registry's full spec and checks that it is a pack
// registry of the destination's kind whose Endpoint and Base Content Path
// are where the packs went.
func (c *client) checkRegistry(ctx context.Context, opts Options, reg ociRegistry) error {
	name := reg.Metadata.Name
	if t := strings.ToLower(reg.Spec.RegistryType); t != "" && t != string(opts.Kind) && (t == string(KindBasic) || t == string(KindECR)) {
		return fmt.Errorf("registry %q in Palette is of type %s, but this run pushed to %s; set palette-registry to the Palette registry of that destination", name, t, kindText(opts.Kind))
	}
	var full ociRegistry
	err := c.call(ctx, fmt.Sprintf("reading registry %q", name), http.MethodGet, "/v1/registries/oci/"+url.PathEscape(reg.Metadata.UID)+"/"+string(opts.Kind), nil, &full)
	var herr *HTTPError
	if errors.As(err, &herr) && herr.Status == http.StatusNotFound {
		herr.Hint = fmt.Sprintf("registry %q is not registered in Palette as %s, the kind of registry this run pushed to; set palette-registry to the Palette registry of that destination", name, kindText(opts.Kind))
	}
	if err != nil {
		return err
	}
	if p := full.Spec.ProviderType; p != "" && !strings.EqualFold(p, "pack") {
		return fmt.Errorf("registry %q in Palette has provider type %q: Palette reads packs only from OCI registries of provider type pack; register the destination with provider type Pack and set palette-registry to it", name, p)
	}
	if full.Spec.IsSyncSupported != nil && !*full.Spec.IsSyncSupported {
		return syncOff(name)
	}
	host, epPath := splitEndpoint(full.Spec.Endpoint)
	bcp := path.Join(epPath, strings.Trim(full.Spec.BaseContentPath, "/"))
	wantHost := normHost(opts.Host)
	if host != wantHost || bcp != strings.Trim(opts.BasePath, "/") {
		return fmt.Errorf("registry %q in Palette reads endpoint %q with base content path %q, but this run pushed to %s with base-path %q, so Palette would not see these packs; set palette-registry to the Palette registry of that destination, or correct the registry's Endpoint and Base Content Path in Palette",
			name, c.clean(full.Spec.Endpoint), c.clean(full.Spec.BaseContentPath), opts.Host, opts.BasePath)
	}
	return nil
}

func kindText(k Kind) string {
	if k == KindECR {
		return "an ECR registry"
	}
	return "a basic (non-ECR) registry"
}

// splitEndpoint reads Palette's Endpoint (stored with https:// for basic
// registries, without for ECR) as a normalised host and a path.
func splitEndpoint(e string) (host, p string) {
	e = strings.TrimSpace(e)
	if i := strings.Index(e, "://"); i >= 0 {
		e = e[i+3:]
	}
	host, p, _ = strings.Cut(e, "/")
	return normHost(host), strings.Trim(path.Clean("/"+p), "/")
}

func normHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ":443")
}
