package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/errcode"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Layer is a pack's tar.gz: its digest and size, and Open to read it
// whenever it is uploaded or compared (from memory for small archives, from
// a temporary file for large ones: the caller decides).
type Layer struct {
	Digest digest.Digest
	Size   int64
	Open   func() (io.ReadCloser, error)
}

// Options for Pack.
type Options struct {
	Title     string // layer title: NAME-VERSION.tar.gz
	Created   string // org.opencontainers.image.created, RFC 3339 UTC seconds
	Overwrite bool   // replace a tag that holds different files
	// Published and LookedUp carry a Lookup made earlier (overlapping other
	// work); without LookedUp, Pack looks the tag up itself.
	Published *Published
	LookedUp  bool
	// SameFiles compares a published layer whose digest differs from ours
	// with our archive; an empty diff means the same files.
	SameFiles func(ctx context.Context, existing io.Reader) (diff []string, err error)
	// MountConfigFrom names a repository of the same registry that holds the
	// config blob (the base path's): the blob is mounted from it, one request
	// instead of an upload's two. Registries that cannot mount take an
	// ordinary upload.
	MountConfigFrom string
	// Configs, shared by the packs of one run, puts the config blob into
	// each repository once: several versions of one pack go to the same
	// repository, and on docker-registry 2.8 (Harbor's engine) concurrent
	// writes of one blob link make manifest PUTs fail (see Configs). Nil:
	// every pack puts it itself.
	Configs *Configs
	// DryRun reads and writes nothing: the tag is looked up and compared as
	// in a real run, and where a real run would push, Pack returns WouldPush
	// (Digest: the manifest it would push). Same files stay Unchanged and
	// different ones a *ConflictError, exactly as a real run reports them.
	DryRun bool
}

// Status is how a pack ended, spelled as the `status` output does (README, "Outputs").
type Status string

const (
	Pushed    Status = "pushed"
	Unchanged Status = "unchanged"
	WouldPush Status = "dry-run" // Options.DryRun: a real run would push
)

// Outcome of publishing one pack.
type Outcome struct {
	Status   Status
	Digest   digest.Digest // the manifest the tag points at after the run
	Uploaded bool          // whether the layer blob was uploaded
	Replaced bool          // the tag held other files and was replaced (overwrite)
	Message  string
}

// ConflictError: the tag holds different files and overwrite is off.
type ConflictError struct {
	Tag      string
	Existing digest.Digest // manifest digest the tag points at
	Ours     digest.Digest // manifest digest we would have pushed
	Diff     []string
}

const maxDiffShown = 10

func (e *ConflictError) Error() string {
	diff := e.Diff
	more := ""
	if len(diff) > maxDiffShown {
		more = fmt.Sprintf(" and %d more", len(diff)-maxDiffShown)
		diff = diff[:maxDiffShown]
	}
	return fmt.Sprintf("tag %s already holds different files (published %s, ours %s): %s%s; bump version in pack.json, or set overwrite: true to replace it",
		e.Tag, e.Existing, e.Ours, strings.Join(diff, ", "), more)
}

// Manifest returns the exact manifest ORAS CLI v1.0.0 writes for one layer
// (`oras push --image-spec v1.0`), and its descriptor. It is pure.
func Manifest(layer ocispec.Descriptor, created string) ([]byte, ocispec.Descriptor, error) {
	mem := memory.New()
	desc, err := pack(context.Background(), mem, []ocispec.Descriptor{layer}, created)
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	b, err := content.FetchAll(context.Background(), mem, desc)
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("reading the manifest: %w", err)
	}
	return b, desc, nil
}

// pack writes the config and the v1.0 manifest of layers into store.
func pack(ctx context.Context, store content.Pusher, layers []ocispec.Descriptor, created string) (ocispec.Descriptor, error) {
	if layers == nil {
		layers = []ocispec.Descriptor{}
	}
	desc, err := oras.PackManifest(ctx, store, oras.PackManifestVersion1_0, "", oras.PackManifestOptions{
		Layers:              layers,
		ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: created},
	})
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("packing the manifest: %w", err)
	}
	return desc, nil
}

// Pack publishes layer as tag of dst (a remote repository, an OCI layout or
// a memory store) in the ORAS v1.0.0 layout, following the re-run rules:
// an absent tag is pushed; a tag with the same layer, or with a different
// layer holding the same files, is left alone (unchanged, nothing uploaded);
// a tag with different files is a *ConflictError unless opts.Overwrite.
// The manifest is written last, so the tag never points at missing blobs.
func Pack(ctx context.Context, dst oras.Target, tag string, layer Layer, opts Options) (Outcome, error) {
	layerDesc := ocispec.Descriptor{
		MediaType:   ocispec.MediaTypeImageLayer,
		Digest:      layer.Digest,
		Size:        layer.Size,
		Annotations: map[string]string{ocispec.AnnotationTitle: opts.Title},
	}
	mem := memory.New()
	root, err := pack(ctx, mem, []ocispec.Descriptor{layerDesc}, opts.Created)
	if err != nil {
		return Outcome{}, err
	}
	manifest, err := content.FetchAll(ctx, mem, root)
	if err != nil {
		return Outcome{}, fmt.Errorf("reading the manifest: %w", err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		return Outcome{}, fmt.Errorf("decoding the manifest: %w", err)
	}

	// Ask for the tag and, for a large layer that an interrupted run may
	// already have uploaded, whether the layer is there, at once: one round
	// trip, and at most two requests when nothing changed. Small blobs are
	// simply uploaded when needed, which costs no more round trips than
	// asking first.
	var (
		existing  *Published
		tagErr    error
		haveLayer bool
		g         errgroup.Group
	)
	g.Go(func() error {
		if opts.LookedUp {
			existing = opts.Published
		} else {
			existing, tagErr = Lookup(ctx, dst, tag)
		}
		return nil
	})
	if layer.Size > headThreshold && !opts.DryRun {
		g.Go(func() error { haveLayer, _ = dst.Exists(ctx, layerDesc); return nil })
	}
	_ = g.Wait()

	switch {
	case tagErr == nil && existing == nil:
		// absent: push below
	case tagErr != nil:
		return Outcome{}, fmt.Errorf("checking tag %s: %w", tag, tagErr)
	default:
		same, diff, err := sameContent(ctx, dst, existing, layerDesc, opts)
		if err != nil {
			return Outcome{}, fmt.Errorf("comparing with the published %s: %w", tag, err)
		}
		if same {
			return Outcome{Status: Unchanged, Digest: existing.desc.Digest, Message: "same content already published"}, nil
		}
		if !opts.Overwrite {
			return Outcome{}, &ConflictError{Tag: tag, Existing: existing.desc.Digest, Ours: root.Digest, Diff: diff}
		}
	}

	if opts.DryRun {
		msg := "would push: the tag is not published yet (dry run, nothing written)"
		if existing != nil {
			msg = fmt.Sprintf("would replace the published %s, which holds other files (overwrite; dry run, nothing written)", existing.desc.Digest)
		}
		return Outcome{Status: WouldPush, Digest: root.Digest, Replaced: existing != nil, Message: msg}, nil
	}

	// Blobs first (at once), the manifest last: a tag never points at
	// missing content, whenever the run stops.
	pushLayer := func(ctx context.Context) error {
		rc, err := layer.Open()
		if err != nil {
			return fmt.Errorf("opening the archive: %w", err)
		}
		defer rc.Close()
		return pushBlob(ctx, dst, layerDesc, rc)
	}
	pushCfg := func(ctx context.Context) error { return pushConfig(ctx, dst, m.Config, opts.MountConfigFrom) }
	var up errgroup.Group
	if !haveLayer {
		up.Go(func() error { return pushLayer(ctx) })
	}
	up.Go(func() error { return opts.Configs.put(ctx, dst, pushCfg) })
	if err := up.Wait(); err != nil {
		return Outcome{}, fmt.Errorf("pushing %s: %w", tag, err)
	}
	repush := map[digest.Digest]func(context.Context) error{m.Config.Digest: pushCfg, layerDesc.Digest: pushLayer}
	if err := pushManifestVerified(ctx, dst, root, manifest, tag, []ocispec.Descriptor{m.Config, layerDesc}, repush); err != nil {
		return Outcome{}, fmt.Errorf("pushing %s: %w", tag, err)
	}
	msg := "pushed"
	if existing != nil {
		msg = fmt.Sprintf("replaced %s (overwrite)", existing.desc.Digest)
	}
	return Outcome{Status: Pushed, Digest: root.Digest, Uploaded: !haveLayer, Replaced: existing != nil, Message: msg}, nil
}

// headThreshold is the layer size above which Pack asks whether the layer
// is already in the registry before uploading it.
const headThreshold = 8 << 20

// emptyConfig is the config blob of the ORAS v1.0.0 layout.
var emptyConfig = []byte("{}")

// pushBlob uploads a blob; a registry that refuses to take a blob it
// already holds is fine too.
func pushBlob(ctx context.Context, dst oras.Target, d ocispec.Descriptor, r io.Reader) error {
	err := dst.Push(ctx, d, r)
	if err == nil || errors.Is(err, errdef.ErrAlreadyExists) {
		return nil
	}
	if ok, _ := dst.Exists(ctx, d); ok {
		return nil
	}
	return err
}

// pushConfig puts the config blob into dst. On a registry, and given the
// repository from, it is mounted from there: the registry answers 201, or,
// when it cannot mount, opens an upload that Mount completes with the blob.
// Elsewhere, or when the mount request itself fails, it is uploaded; but not
// when the registry refused the mount for want of permission (401, 403):
// from is the base path, which the run has just read, so the account lacks
// push on dst, and an upload would be refused the same way, costing another
// failed login (zot with failDelay, LDAP lockouts).
func pushConfig(ctx context.Context, dst oras.Target, d ocispec.Descriptor, from string) error {
	if m, ok := dst.(registry.Mounter); ok && from != "" {
		err := m.Mount(ctx, d, from, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(emptyConfig)), nil })
		if err == nil || refused(err) {
			return err
		}
		// A registry that rejects the mount request itself: upload as usual.
	}
	return pushBlob(ctx, dst, d, bytes.NewReader(emptyConfig))
}

// refused reports whether the registry answered 401 or 403: the account
// (or the token it was given) may not do this.
func refused(err error) bool {
	var er *errcode.ErrorResponse
	return errors.As(err, &er) && (er.StatusCode == http.StatusUnauthorized || er.StatusCode == http.StatusForbidden)
}

// Configs puts the config blob into each repository once per run. Several
// versions of one pack share a repository; docker-registry 2.8 (and Harbor,
// built on it) rewrites a blob's link file in place on every mount or
// upload of it, truncating it first, so a manifest PUT that reads the link
// meanwhile finds it empty and is answered 400 "digest invalid" / "manifest
// blob unknown" (distribution v3 writes a temporary file and renames it).
// Measured on the Debian docker-registry 2.8.2: every fresh publish of 6
// packs x 20 versions lost 7 to 15 packs that way (BENCHMARKS.md). With Configs the first pack
// of a repository puts the blob and the others wait for it (alongside their
// own layer upload) instead of rewriting the link. The zero value is ready.
type Configs struct {
	mu    sync.Mutex
	repos map[string]*configPut
}

type configPut struct {
	done chan struct{}
	err  error
}

// put runs push for dst's repository unless another pack has done it in
// this run; it waits while one is doing it. A push that failed is tried
// again by the next pack, unless the registry refused it (401, 403): the
// next would be refused the same way, so it gets the same error.
func (c *Configs) put(ctx context.Context, dst oras.Target, push func(context.Context) error) error {
	repo, ok := dst.(*remote.Repository)
	if c == nil || !ok {
		return push(ctx)
	}
	key := repo.Reference.Registry + "/" + repo.Reference.Repository
	for {
		c.mu.Lock()
		p, running := c.repos[key]
		if !running {
			if c.repos == nil {
				c.repos = map[string]*configPut{}
			}
			p = &configPut{done: make(chan struct{})}
			c.repos[key] = p
			c.mu.Unlock()
			p.err = push(ctx)
			if p.err != nil && !refused(p.err) {
				c.mu.Lock()
				delete(c.repos, key)
				c.mu.Unlock()
			}
			close(p.done)
			return p.err
		}
		c.mu.Unlock()
		select {
		case <-p.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if p.err == nil || refused(p.err) {
			return p.err
		}
	}
}

// manifestAttempts bounds the PUTs of one manifest that the registry
// answered "blob unknown" while its blobs are there.
const manifestAttempts = 4

// manifestBackoff is the wait before such a PUT is sent again: 200 ms
// doubled each time, +-50 % so that packs that met the race together do not
// meet again.
var manifestBackoff = retry.ExponentialBackoff(200*time.Millisecond, 2, 0.5)

// pushManifestVerified pushes the manifest; when the registry answers that
// a blob it names is unknown or its digest invalid (docker-registry 2.8
// does so while another request rewrites the blob's link, see Configs),
// it asks for each blob (HEAD), puts again those really missing, and sends
// the manifest again after a short, jittered wait.
func pushManifestVerified(ctx context.Context, dst oras.Target, root ocispec.Descriptor, manifest []byte, tag string,
	blobs []ocispec.Descriptor, repush map[digest.Digest]func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := pushManifest(ctx, dst, root, manifest, tag)
		if err == nil || !blobUnknown(err) || attempt >= manifestAttempts {
			return err
		}
		for _, b := range blobs {
			ok, herr := dst.Exists(ctx, b)
			if herr != nil {
				return fmt.Errorf("%w (checking blob %s after it: %w)", err, b.Digest, herr)
			}
			if ok {
				continue
			}
			if perr := repush[b.Digest](ctx); perr != nil {
				return fmt.Errorf("%w (putting the missing blob %s again: %w)", err, b.Digest, perr)
			}
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(manifestBackoff(attempt-1, nil)):
		}
	}
}

// blobUnknown reports whether a manifest PUT was refused because the
// registry could not find, or could not read, a blob the manifest names.
func blobUnknown(err error) bool {
	var er *errcode.ErrorResponse
	if !errors.As(err, &er) || er.StatusCode != http.StatusBadRequest {
		return false
	}
	for _, e := range er.Errors {
		switch e.Code {
		case errcode.ErrorCodeManifestBlobUnknown, errcode.ErrorCodeBlobUnknown, errcode.ErrorCodeDigestInvalid:
			return true
		}
	}
	return false
}

// pushManifest puts the manifest under the tag: in one request on a
// registry, as push-then-tag elsewhere.
func pushManifest(ctx context.Context, dst oras.Target, root ocispec.Descriptor, manifest []byte, tag string) error {
	if rp, ok := dst.(registry.ReferencePusher); ok {
		return rp.PushReference(ctx, root, bytes.NewReader(manifest), tag)
	}
	if err := dst.Push(ctx, root, bytes.NewReader(manifest)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return err
	}
	return dst.Tag(ctx, root, tag)
}

// Published is what a tag holds: its manifest.
type Published struct {
	desc     ocispec.Descriptor
	manifest ocispec.Manifest
}

// Lookup reads the manifest a tag points at, in one request where the
// target can (a registry's GET by tag); nil without error when the tag is
// absent.
func Lookup(ctx context.Context, dst oras.Target, tag string) (*Published, error) {
	var (
		desc ocispec.Descriptor
		rc   io.ReadCloser
		err  error
	)
	if rf, ok := dst.(registry.ReferenceFetcher); ok {
		desc, rc, err = rf.FetchReference(ctx, tag)
	} else {
		desc, err = dst.Resolve(ctx, tag)
		if err == nil {
			rc, err = dst.Fetch(ctx, desc)
		}
	}
	if errors.Is(err, errdef.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := content.ReadAll(rc, desc)
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	p := &Published{desc: desc}
	if err := json.Unmarshal(b, &p.manifest); err != nil {
		return nil, fmt.Errorf("decoding manifest %s: %w", desc.Digest, err)
	}
	return p, nil
}

// sameContent decides whether the published manifest carries our pack: the
// same single layer digest, or a layer whose unpacked files equal ours.
func sameContent(ctx context.Context, dst oras.Target, p *Published, ours ocispec.Descriptor, opts Options) (bool, []string, error) {
	if len(p.manifest.Layers) != 1 {
		return false, []string{fmt.Sprintf("the published manifest has %d layers, not 1", len(p.manifest.Layers))}, nil
	}
	theirs := p.manifest.Layers[0]
	if theirs.Digest == ours.Digest {
		return true, nil, nil
	}
	if opts.SameFiles == nil {
		return false, []string{"the layer digest differs"}, nil
	}
	rc, err := dst.Fetch(ctx, theirs)
	if err != nil {
		return false, nil, fmt.Errorf("fetching the published layer: %w", err)
	}
	defer rc.Close()
	diff, err := opts.SameFiles(ctx, content.NewVerifyReader(rc, theirs))
	if err != nil {
		return false, []string{"the published layer cannot be read as a pack archive: " + err.Error()}, nil
	}
	return len(diff) == 0, diff, nil
}

// BasePath pushes the untagged empty artifact of ORAS v1.0.0 (`oras push
// REG/BASE/spectro-packs/archive` with no files) unless it is already there.
// created must be fixed, so that its digest is stable and a re-run finds it.
func BasePath(ctx context.Context, dst oras.Target, created string) (ocispec.Descriptor, bool, error) {
	mem := memory.New()
	root, ok, err := hasBasePath(ctx, mem, dst, created)
	if err != nil || ok {
		return root, false, err
	}
	if err := oras.CopyGraph(ctx, mem, dst, root, oras.DefaultCopyGraphOptions); err != nil {
		return ocispec.Descriptor{}, false, fmt.Errorf("pushing the base-path artifact: %w", err)
	}
	return root, true, nil
}

// HasBasePath reports, reading only, whether dst holds the base-path
// artifact BasePath would push, and returns its descriptor.
func HasBasePath(ctx context.Context, dst oras.Target, created string) (ocispec.Descriptor, bool, error) {
	return hasBasePath(ctx, memory.New(), dst, created)
}

func hasBasePath(ctx context.Context, mem *memory.Store, dst oras.Target, created string) (ocispec.Descriptor, bool, error) {
	root, err := pack(ctx, mem, nil, created)
	if err != nil {
		return ocispec.Descriptor{}, false, err
	}
	ok, err := dst.Exists(ctx, root)
	if err != nil && !errors.Is(err, errdef.ErrNotFound) {
		return ocispec.Descriptor{}, false, fmt.Errorf("checking the base-path artifact: %w", err)
	}
	return root, ok, nil
}
