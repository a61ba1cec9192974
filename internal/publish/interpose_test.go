package publish

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/pack-publish/pack-publish/internal/registry"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

// interposer stands in front of a registrytest server (plain HTTP to us,
// TLS to it) and lets a test answer some requests itself, as a real
// registry would in situations the test registry cannot reach: a race
// inside the registry, or an account without push permission.
type interposer struct {
	srv  *registrytest.Server
	host string
	mu   sync.Mutex
	seen []string // "METHOD PATH?QUERY" of every request
	// answer, when it returns a status, answers the request instead of srv.
	answer func(r *http.Request) (status int, body string)
}

func newInterposer(t *testing.T, a registrytest.Auth) *interposer {
	t.Helper()
	ip := &interposer{srv: registrytest.New(t, registrytest.Options{Auth: a})}
	target, _ := url.Parse("https://" + ip.srv.Host)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = ip.srv.Client().Transport
	rp.ErrorLog = log.New(io.Discard, "", 0)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip.mu.Lock()
		ip.seen = append(ip.seen, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		answer := ip.answer
		ip.mu.Unlock()
		if answer != nil {
			if status, body := answer(r); status != 0 {
				w.Header().Set("Content-Type", "application/json")
				if status == http.StatusUnauthorized {
					w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				}
				w.WriteHeader(status)
				_, _ = io.WriteString(w, body)
				return
			}
		}
		r.Host = ""
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	ip.host = strings.TrimPrefix(front.URL, "http://")
	return ip
}

// repo opens a repository through the interposer.
func (ip *interposer) repo(t *testing.T, path string) *remote.Repository {
	t.Helper()
	client, err := registry.NewClient(registry.Options{
		Credential: auth.StaticCredential(ip.host, auth.Credential{Username: ip.srv.Username, Password: ip.srv.Password})})
	if err != nil {
		t.Fatal(err)
	}
	r, err := registry.Repository(client, ip.host, path, true)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// count counts the requests seen whose "METHOD PATH?QUERY" matches.
func (ip *interposer) count(match func(string) bool) int {
	ip.mu.Lock()
	defer ip.mu.Unlock()
	n := 0
	for _, s := range ip.seen {
		if match(s) {
			n++
		}
	}
	return n
}

// primed opens a repository whose client has already met the registry's
// authentication (so that requests carry credentials up front), and
// forgets the requests seen so far.
func (ip *interposer) primed(t *testing.T, path string) *remote.Repository {
	t.Helper()
	r := ip.repo(t, path)
	if _, err := Lookup(context.Background(), r, "primer"); err != nil {
		t.Fatal(err)
	}
	ip.mu.Lock()
	ip.seen = nil
	ip.mu.Unlock()
	return r
}

func (ip *interposer) setAnswer(f func(r *http.Request) (int, string)) {
	ip.mu.Lock()
	ip.answer = f
	ip.mu.Unlock()
}

const (
	basePath = "team/spectro-packs/archive"
	packRepo = basePath + "/demo"
)

// TestPack_versionsShareOneConfigPut publishes 8 versions of one pack at
// once into one repository: the config blob is mounted once, not 8 times
// (docker-registry 2.8 rewrites the blob's link on each, which made
// concurrent manifest PUTs fail), and every version is pushed.
func TestPack_versionsShareOneConfigPut(t *testing.T) {
	t.Parallel()
	for _, shared := range []bool{true, false} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			ip := newInterposer(t, registrytest.Basic)
			if _, _, err := BasePath(ctx, ip.repo(t, basePath), created); err != nil {
				t.Fatal(err)
			}
			var configs *Configs
			if shared {
				configs = &Configs{}
			}
			const versions = 8
			var wg sync.WaitGroup
			errs := make([]error, versions)
			for i := range versions {
				wg.Go(func() {
					o := opts(nil)
					o.MountConfigFrom, o.Configs = basePath, configs
					tag := fmt.Sprintf("1.%d.0", i)
					_, errs[i] = Pack(ctx, ip.repo(t, packRepo), tag, layerOf([]byte("archive "+tag), nil), o)
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("version %d: %v", i, err)
				}
			}
			mounts := ip.count(func(s string) bool {
				return strings.HasPrefix(s, "POST /v2/"+packRepo+"/blobs/uploads/") && strings.Contains(s, "mount=")
			})
			want := versions
			if shared {
				want = 1
			}
			if mounts != want {
				t.Errorf("%d config mounts into %s, want %d", mounts, packRepo, want)
			}
		})
	}
}

// blobUnknownBody is docker-registry 2.8's answer to a manifest PUT that
// read a blob link while another request was rewriting it.
const blobUnknownBody = `{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"},` +
	`{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}]}`

// TestPack_manifestBlobUnknownRetried: a manifest PUT answered "blob
// unknown" is sent again after the blobs are checked; a blob that is really
// gone is put again first; other 400s and a persistent race are not
// retried forever.
func TestPack_manifestBlobUnknownRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		failPUTs    int // manifest PUTs answered 400 blob unknown
		body        string
		loseLayer   bool // the registry really lost the layer with the first 400
		wantErr     bool
		wantPUTs    int
		wantUploads int // layer and config uploads (POSTs without mount)
	}{
		{name: "race once", failPUTs: 1, body: blobUnknownBody, wantPUTs: 2, wantUploads: 2},
		{name: "race three times", failPUTs: 3, body: blobUnknownBody, wantPUTs: 4, wantUploads: 2},
		{name: "layer really lost", failPUTs: 1, body: blobUnknownBody, loseLayer: true, wantPUTs: 2, wantUploads: 3},
		{name: "race persists", failPUTs: 100, body: blobUnknownBody, wantErr: true, wantPUTs: manifestAttempts, wantUploads: 2},
		{name: "other 400", failPUTs: 1, body: `{"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid"}]}`, wantErr: true, wantPUTs: 1, wantUploads: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			ip := newInterposer(t, registrytest.Basic)
			layer := layerOf([]byte("archive of "+tc.name), nil)
			var mu sync.Mutex
			puts := 0
			ip.setAnswer(func(r *http.Request) (int, string) {
				if r.Method != http.MethodPut || !strings.Contains(r.URL.Path, "/manifests/") {
					return 0, ""
				}
				mu.Lock()
				defer mu.Unlock()
				puts++
				if puts > tc.failPUTs {
					return 0, ""
				}
				if tc.loseLayer && puts == 1 {
					del, _ := http.NewRequest(http.MethodDelete, "https://"+ip.srv.Host+"/v2/"+packRepo+"/blobs/"+layer.Digest.String(), nil)
					del.SetBasicAuth(ip.srv.Username, ip.srv.Password)
					if resp, err := ip.srv.Client().Do(del); err != nil || resp.StatusCode/100 != 2 {
						t.Errorf("deleting the layer: %v %v", resp, err)
					}
				}
				return http.StatusBadRequest, tc.body
			})
			out, err := Pack(ctx, ip.primed(t, packRepo), "1.0.0", layer, opts(nil))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Pack() = %+v, %v; want error %v", out, err, tc.wantErr)
			}
			gotPUTs := ip.count(func(s string) bool { return strings.HasPrefix(s, "PUT /v2/"+packRepo+"/manifests/") })
			uploads := ip.count(func(s string) bool { return strings.HasPrefix(s, "POST /v2/"+packRepo+"/blobs/uploads/") })
			if gotPUTs != tc.wantPUTs || uploads != tc.wantUploads {
				t.Errorf("%d manifest PUTs and %d upload starts, want %d and %d", gotPUTs, uploads, tc.wantPUTs, tc.wantUploads)
			}
			if tc.wantErr {
				return
			}
			r := ip.repo(t, packRepo)
			desc, err := r.Resolve(ctx, "1.0.0")
			if err != nil || desc.Digest != out.Digest {
				t.Fatalf("tag resolves to %v, %v; want %s", desc.Digest, err, out.Digest)
			}
			if ok, err := r.Exists(ctx, ocispec.Descriptor{Digest: layer.Digest, Size: layer.Size, MediaType: ocispec.MediaTypeImageLayer}); !ok || err != nil {
				t.Errorf("the layer is missing after the push: %v", err)
			}
		})
	}
}

// TestPack_refusedMountIsNotFollowedByAnUpload (interop E): when the
// registry refuses the config mount for want of permission, the plain
// upload that would be refused the same way is not tried; a registry that
// cannot mount still gets the upload.
func TestPack_refusedMountIsNotFollowedByAnUpload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int // answer to every write into the pack repository; 0: the registry's own
		body        string
		noMount     bool // the registry rejects the mount request itself (400), as some do
		wantErr     bool
		wantUploads int // POSTs to the pack repository's uploads, the mount's included
	}{
		{name: "403 like zot", status: http.StatusForbidden, body: `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`, wantErr: true, wantUploads: 2},
		// oras-go sends a request refused with 401 once more with fresh
		// credentials, so each refused start counts twice.
		{name: "401 insufficient scope", status: http.StatusUnauthorized, body: `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, wantErr: true, wantUploads: 4},
		{name: "mount unsupported", noMount: true, wantUploads: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			ip := newInterposer(t, registrytest.Basic)
			if _, _, err := BasePath(ctx, ip.repo(t, basePath), created); err != nil {
				t.Fatal(err)
			}
			ip.setAnswer(func(r *http.Request) (int, string) {
				write := r.Method != http.MethodGet && r.Method != http.MethodHead
				if !write || !strings.HasPrefix(r.URL.Path, "/v2/"+packRepo+"/") {
					return 0, ""
				}
				if tc.noMount && r.URL.Query().Get("mount") != "" {
					return http.StatusBadRequest, `{"errors":[{"code":"UNSUPPORTED","message":"mount not supported"}]}`
				}
				return tc.status, tc.body
			})
			repo := ip.primed(t, packRepo)
			o := opts(nil)
			o.MountConfigFrom, o.LookedUp = basePath, true
			_, err := Pack(ctx, repo, "1.0.0", layerOf([]byte("archive"), nil), o)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Pack() error = %v, want error %v", err, tc.wantErr)
			}
			// One start for the layer, one for the config mount; the old
			// code added a third, refused the same way, for the config.
			uploads := ip.count(func(s string) bool { return strings.HasPrefix(s, "POST /v2/"+packRepo+"/blobs/uploads/") })
			if uploads != tc.wantUploads {
				t.Errorf("%d upload starts in %s, want %d", uploads, packRepo, tc.wantUploads)
			}
			if tc.wantErr && !strings.Contains(err.Error(), fmt.Sprint(tc.status)) {
				t.Errorf("error %v does not carry the registry's %d", err, tc.status)
			}
		})
	}
}
