package publish

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/pack-publish/pack-publish/internal/registry"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

const created = "2023-01-01T00:00:00Z"

// The exact bytes ORAS CLI v1.0.0 pushed (`oras push --image-spec v1.0`);
// internal/e2e checks them against the real CLI as well.
const (
	orasPackManifest = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.unknown.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:600d7a8a5ba80f9a8fa262b4c53e0d924aff44d25c3cb1069b71d6a71e4fa1a9","size":281,"annotations":{"org.opencontainers.image.title":"demo-1.0.0.tar.gz"}}],"annotations":{"org.opencontainers.image.created":"2023-01-01T00:00:00Z"}}`
	orasPackDigest   = "sha256:716381543b8181dd7db23d0ae7f2c8314595c0c793dda9abe3391b3586a8c1d6"
	orasBaseDigest   = "sha256:b6979198984a95d78527ae696f8b49fcfa236177b0a61af9cc89291eb2b6b1ef"
)

func TestManifest_matchesORASv1(t *testing.T) {
	t.Parallel()
	layer := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Size: 281,
		Digest:      "sha256:600d7a8a5ba80f9a8fa262b4c53e0d924aff44d25c3cb1069b71d6a71e4fa1a9",
		Annotations: map[string]string{ocispec.AnnotationTitle: "demo-1.0.0.tar.gz"}}
	b, desc, err := Manifest(layer, created)
	if err != nil {
		t.Fatalf("Manifest() = %v", err)
	}
	if string(b) != orasPackManifest {
		t.Errorf("Manifest() =\n%s\nwant\n%s", b, orasPackManifest)
	}
	if desc.Digest != orasPackDigest || desc.Size != 535 {
		t.Errorf("Manifest() digest %s size %d, want %s 535", desc.Digest, desc.Size, orasPackDigest)
	}
}

func TestBasePath_matchesORASv1AndIsPushedOnce(t *testing.T) {
	t.Parallel()
	store := memory.New()
	desc, pushed, err := BasePath(context.Background(), store, created)
	if err != nil || !pushed {
		t.Fatalf("BasePath() = %v, %v, %v", desc, pushed, err)
	}
	if desc.Digest != orasBaseDigest {
		t.Errorf("base-path digest %s, want %s", desc.Digest, orasBaseDigest)
	}
	if _, pushed, err := BasePath(context.Background(), store, created); err != nil || pushed {
		t.Errorf("second BasePath() pushed=%v err=%v, want nothing pushed", pushed, err)
	}
}

// layerOf returns a Layer over bytes, counting how often it is opened.
func layerOf(b []byte, opens *int) Layer {
	return Layer{Digest: digest.FromBytes(b), Size: int64(len(b)), Open: func() (io.ReadCloser, error) {
		if opens != nil {
			*opens++
		}
		return io.NopCloser(bytes.NewReader(b)), nil
	}}
}

func opts(diff []string) Options {
	return Options{Title: "demo-1.0.0.tar.gz", Created: created, SameFiles: func(context.Context, io.Reader) ([]string, error) { return diff, nil }}
}

// targets returns each kind of destination Pack must work with.
func targets(t *testing.T) map[string]func(t *testing.T) (oras.Target, *registrytest.Server) {
	remoteTarget := func(a registrytest.Auth) func(t *testing.T) (oras.Target, *registrytest.Server) {
		return func(t *testing.T) (oras.Target, *registrytest.Server) {
			srv := registrytest.New(t, registrytest.Options{Auth: a})
			client, err := registry.NewClient(registry.Options{CAFile: srv.CAFile,
				Credential: auth.StaticCredential(srv.Host, auth.Credential{Username: srv.Username, Password: srv.Password})})
			if err != nil {
				t.Fatal(err)
			}
			repo, err := registry.Repository(client, srv.Host, "team-a/spectro-packs/archive/demo", false)
			if err != nil {
				t.Fatal(err)
			}
			return repo, srv
		}
	}
	return map[string]func(t *testing.T) (oras.Target, *registrytest.Server){
		"memory": func(t *testing.T) (oras.Target, *registrytest.Server) { return memory.New(), nil },
		"oci-layout": func(t *testing.T) (oras.Target, *registrytest.Server) {
			s, err := oci.New(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s, nil
		},
		"tls-basic":  remoteTarget(registrytest.Basic),
		"tls-harbor": remoteTarget(registrytest.Harbor),
	}
}

func TestPack_rerunRules(t *testing.T) {
	t.Parallel()
	for name, mk := range targets(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dst, srv := mk(t)
			v1 := []byte("archive v1")
			out, err := Pack(ctx, dst, "1.0.0", layerOf(v1, nil), opts(nil))
			if err != nil || out.Status != Pushed || !out.Uploaded {
				t.Fatalf("first Pack() = %+v, %v; want pushed and uploaded", out, err)
			}
			first := out.Digest

			// Same layer, later commit time: unchanged, no upload, no re-tag.
			if srv != nil {
				srv.Reset()
			}
			opens := 0
			o := opts(nil)
			o.Created = "2024-01-01T00:00:00Z"
			out, err = Pack(ctx, dst, "1.0.0", layerOf(v1, &opens), o)
			if err != nil || out.Status != Unchanged || out.Digest != first || opens != 0 {
				t.Fatalf("re-run Pack() = %+v, %v, opens %d; want unchanged %s without reading the layer", out, err, opens, first)
			}
			if srv != nil {
				if n := len(srv.Requests()); n > 2 {
					t.Errorf("unchanged re-run made %d registry requests, want at most 2: %+v", n, srv.Requests())
				}
				if srv.BlobUploads() != 0 {
					t.Errorf("unchanged re-run uploaded blobs")
				}
			}

			// Different bytes, same files (e.g. pushed by hand): unchanged.
			out, err = Pack(ctx, dst, "1.0.0", layerOf([]byte("archive v1, other gzip"), nil), opts(nil))
			if err != nil || out.Status != Unchanged || out.Digest != first {
				t.Fatalf("same-files Pack() = %+v, %v; want unchanged", out, err)
			}

			// Different files: a conflict naming them and the fix.
			_, err = Pack(ctx, dst, "1.0.0", layerOf([]byte("archive v2"), nil), opts([]string{"values.yaml (content differs)"}))
			var conflict *ConflictError
			if !errors.As(err, &conflict) || conflict.Existing != first {
				t.Fatalf("conflicting Pack() error = %v, want a ConflictError on %s", err, first)
			}
			for _, want := range []string{"values.yaml (content differs)", "bump version in pack.json", "overwrite", first.String()} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("conflict error %q lacks %q", err, want)
				}
			}

			// Overwrite replaces it.
			o = opts([]string{"values.yaml (content differs)"})
			o.Overwrite = true
			out, err = Pack(ctx, dst, "1.0.0", layerOf([]byte("archive v2"), nil), o)
			if err != nil || out.Status != Pushed || out.Digest == first {
				t.Fatalf("overwrite Pack() = %+v, %v; want pushed with a new digest", out, err)
			}
			desc, err := dst.Resolve(ctx, "1.0.0")
			if err != nil || desc.Digest != out.Digest {
				t.Errorf("tag resolves to %v (%v), want %s", desc.Digest, err, out.Digest)
			}
		})
	}
}

func TestPack_wrongPassword(t *testing.T) {
	t.Parallel()
	for _, a := range []registrytest.Auth{registrytest.Basic, registrytest.Harbor} {
		srv := registrytest.New(t, registrytest.Options{Auth: a})
		client, err := registry.NewClient(registry.Options{CAFile: srv.CAFile,
			Credential: auth.StaticCredential(srv.Host, auth.Credential{Username: srv.Username, Password: "wrong-Pa55word"})})
		if err != nil {
			t.Fatal(err)
		}
		repo, _ := registry.Repository(client, srv.Host, "team-a/spectro-packs/archive/demo", false)
		_, err = Pack(context.Background(), repo, "1.0.0", layerOf([]byte("x"), nil), opts(nil))
		if err == nil {
			t.Fatal("Pack() with a wrong password = nil error")
		}
		if strings.Contains(err.Error(), "wrong-Pa55word") {
			t.Errorf("error leaks the password: %v", err)
		}
		if h := registry.Hint(err); !strings.Contains(h, "check username and password") {
			t.Errorf("Hint(%v) = %q, want advice about credentials", err, h)
		}
	}
}

func TestPack_streamsLayerFromOpen(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	opens := 0
	store := memory.New()
	out, err := Pack(context.Background(), store, "1.0.0", layerOf(big, &opens), opts(nil))
	if err != nil || opens != 1 {
		t.Fatalf("Pack() = %+v, %v, opens %d; want one open", out, err, opens)
	}
}

// TestPack_dryRun: a dry run reports what a real run would, and the
// registry sees reads only.
func TestPack_dryRun(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"tls-basic", "tls-harbor"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dst, srv := targets(t)[name](t)
			dry := func(diff []string, overwrite bool) Options {
				o := opts(diff)
				o.DryRun, o.Overwrite = true, overwrite
				return o
			}
			v1 := []byte("archive v1")
			_, want, _ := Manifest(ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromBytes(v1), Size: int64(len(v1)),
				Annotations: map[string]string{ocispec.AnnotationTitle: "demo-1.0.0.tar.gz"}}, created)
			for _, tc := range []struct {
				name       string
				publish    bool // publish v1 for real first
				layer      []byte
				o          Options
				want       Status
				conflict   bool
				replaced   bool
				wantDigest digest.Digest
			}{
				{name: "absent", layer: v1, o: dry(nil, false), want: WouldPush, wantDigest: want.Digest},
				{name: "same", publish: true, layer: v1, o: dry(nil, false), want: Unchanged, wantDigest: want.Digest},
				{name: "same files", layer: []byte("archive v1, other gzip"), o: dry(nil, false), want: Unchanged, wantDigest: want.Digest},
				{name: "different", layer: []byte("archive v2"), o: dry([]string{"values.yaml (content differs)"}, false), conflict: true},
				{name: "overwrite", layer: []byte("archive v2"), o: dry([]string{"values.yaml (content differs)"}, true), want: WouldPush, replaced: true},
			} {
				if tc.publish {
					if _, err := Pack(ctx, dst, "1.0.0", layerOf(v1, nil), opts(nil)); err != nil {
						t.Fatal(err)
					}
				}
				srv.Reset()
				out, err := Pack(ctx, dst, "1.0.0", layerOf(tc.layer, nil), tc.o)
				var conflict *ConflictError
				switch {
				case tc.conflict:
					if !errors.As(err, &conflict) {
						t.Errorf("%s: Pack() = %+v, %v; want a ConflictError", tc.name, out, err)
					}
				case err != nil || out.Status != tc.want || out.Replaced != tc.replaced || (tc.wantDigest != "" && out.Digest != tc.wantDigest):
					t.Errorf("%s: Pack() = %+v, %v; want %s (replaced %v, digest %s)", tc.name, out, err, tc.want, tc.replaced, tc.wantDigest)
				}
				for _, r := range srv.Requests() {
					if r.Method != http.MethodGet && r.Method != http.MethodHead {
						t.Errorf("%s: the dry run sent %s %s", tc.name, r.Method, r.Path)
					}
				}
			}
			if desc, err := dst.Resolve(ctx, "1.0.0"); err != nil || desc.Digest != want.Digest {
				t.Errorf("after the dry runs the tag resolves to %v (%v), want the first publish's %s", desc.Digest, err, want.Digest)
			}
		})
	}
}
