package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
)

// Layer is a pack's tar.gz, read from a file when it is uploaded.
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
}

// Status is how a pack ended, spelled as in the contract.
type Status string

const (
	Pushed    Status = "pushed"
	Unchanged Status = "unchanged"
)

// Outcome of publishing one pack.
type Outcome struct {
	Status   Status
	Digest   digest.Digest // the manifest the tag points at after the run
	Uploaded bool          // whether the layer blob was uploaded
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
	if layer.Size > headThreshold {
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

	// Blobs first (at once), the manifest last: a tag never points at
	// missing content, whenever the run stops.
	var up errgroup.Group
	if !haveLayer {
		up.Go(func() error {
			rc, err := layer.Open()
			if err != nil {
				return fmt.Errorf("opening the archive: %w", err)
			}
			defer rc.Close()
			return pushBlob(ctx, dst, layerDesc, rc)
		})
	}
	up.Go(func() error { return pushConfig(ctx, dst, m.Config, opts.MountConfigFrom) })
	if err := up.Wait(); err != nil {
		return Outcome{}, fmt.Errorf("pushing %s: %w", tag, err)
	}
	if err := pushManifest(ctx, dst, root, manifest, tag); err != nil {
		return Outcome{}, fmt.Errorf("pushing %s: %w", tag, err)
	}
	msg := "pushed"
	if existing != nil {
		msg = fmt.Sprintf("replaced %s (overwrite)", existing.desc.Digest)
	}
	return Outcome{Status: Pushed, Digest: root.Digest, Uploaded: !haveLayer, Message: msg}, nil
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
// Elsewhere, or when the mount request itself fails, it is uploaded.
func pushConfig(ctx context.Context, dst oras.Target, d ocispec.Descriptor, from string) error {
	if m, ok := dst.(registry.Mounter); ok && from != "" {
		err := m.Mount(ctx, d, from, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(emptyConfig)), nil })
		if err == nil {
			return nil
		}
		// A registry that rejects the mount request itself: upload as usual.
	}
	return pushBlob(ctx, dst, d, bytes.NewReader(emptyConfig))
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
	root, err := pack(ctx, mem, nil, created)
	if err != nil {
		return ocispec.Descriptor{}, false, err
	}
	ok, err := dst.Exists(ctx, root)
	if err != nil && !errors.Is(err, errdef.ErrNotFound) {
		return ocispec.Descriptor{}, false, fmt.Errorf("checking the base-path artifact: %w", err)
	}
	if ok {
		return root, false, nil
	}
	if err := oras.CopyGraph(ctx, mem, dst, root, oras.DefaultCopyGraphOptions); err != nil {
		return ocispec.Descriptor{}, false, fmt.Errorf("pushing the base-path artifact: %w", err)
	}
	return root, true, nil
}
