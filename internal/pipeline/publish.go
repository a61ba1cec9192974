package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/pack-publish/pack-publish/internal/archive"
	"github.com/pack-publish/pack-publish/internal/publish"
	"github.com/pack-publish/pack-publish/internal/registry"
)

// publish archives one valid pack and pushes it (or, in a dry run, looks
// its tag up and reports what a real run would do; without the registry,
// computes the manifest it would push).
func (r *run) publish(ctx context.Context, it *item) {
	name, version := it.res.Name, it.res.Version
	it.res.Reference = r.reference(name, version)
	if ctx.Err() != nil {
		it.cancelled()
		return
	}
	start := time.Now()
	layer, err := r.build(ctx, it)
	it.res.Timings.ArchiveMS = time.Since(start).Milliseconds()
	if err != nil {
		if ctx.Err() != nil {
			it.cancelled()
			return
		}
		it.res.Status, it.res.Message = StatusFailed, err.Error()
		return
	}
	it.res.Size, it.res.LayerDigest = layer.Size, layer.Digest.String()
	it.res.Created = r.created(it.dir)
	// The tag lookup, started by lookAhead, has overlapped the archiving.
	var a ahead
	if it.ahead != nil {
		a = <-it.ahead
	} else {
		a.dst, a.tag, a.destErr = r.destination(ctx, it)
		a.lookupErr = errNotLookedUp
	}
	dst, tag := a.dst, a.tag
	if err := a.destErr; err != nil {
		if ctx.Err() != nil {
			it.cancelled()
			return
		}
		it.res.Status, it.res.Message = StatusFailed, r.withHint(err).Error()
		return
	}

	start = time.Now()
	defer func() {
		it.res.Timings.PublishMS = time.Since(start).Milliseconds()
		r.opts.Logf("%s: %s %s %s", it.dir, it.res.Status, it.res.Reference, it.res.Digest)
	}()

	opts := publish.Options{
		Title:           archive.FileName(name, version),
		Created:         it.res.Created,
		Overwrite:       r.cfg.Overwrite,
		MountConfigFrom: r.mountFrom,
		Configs:         &r.configs,
		DryRun:          r.cfg.DryRun,
		// Only when the digests differ: our files are read back from our own
		// archive then, rather than hashed while every archive is written.
		SameFiles: func(ctx context.Context, existing io.Reader) ([]string, error) {
			theirs, err := archive.ReadContents(existing, archive.Options{})
			if err != nil {
				return nil, fmt.Errorf("reading the published archive: %w", err)
			}
			rc, err := layer.Open()
			if err != nil {
				return nil, fmt.Errorf("reading our archive: %w", err)
			}
			defer rc.Close()
			ours, err := archive.ReadContents(rc, archive.Options{})
			if err != nil {
				return nil, fmt.Errorf("reading our archive: %w", err)
			}
			return archive.Diff(ours, theirs), nil
		},
	}
	if dst == nil { // a dry run that does not read the registry
		_, desc, err := publish.Manifest(ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: layer.Digest, Size: layer.Size,
			Annotations: map[string]string{ocispec.AnnotationTitle: opts.Title}}, opts.Created)
		if err != nil {
			it.res.Status, it.res.Message = StatusFailed, err.Error()
			return
		}
		it.res.Status, it.res.Digest, it.res.Message = StatusDryRun, desc.Digest.String(), "built and validated, not pushed (dry run)"
		return
	}

	var out publish.Outcome
	first := true
	attempts, err := r.retry.Do(ctx, func(ctx context.Context) error {
		o := opts
		if first && a.lookupErr == nil { // later attempts look again
			o.Published, o.LookedUp = a.published, true
		}
		first = false
		var err error
		out, err = publish.Pack(ctx, dst, tag, layer, o)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			it.cancelled()
			return
		}
		var conflict *publish.ConflictError
		if errors.As(err, &conflict) {
			it.existed = true
			it.res.Status, it.res.Message = StatusConflict, conflict.Error()+r.immutableNote(ctx, dst)
			it.res.Digest, it.res.BuiltDigest = conflict.Existing.String(), conflict.Ours.String()
			return
		}
		if attempts > 1 {
			err = fmt.Errorf("%w (after %d attempts)", err, attempts)
		}
		it.res.Status, it.res.Message = StatusFailed, r.withHint(err).Error()
		return
	}
	it.res.Status, it.res.Digest, it.res.Message = Status(out.Status), out.Digest.String(), out.Message
	it.existed = out.Status == publish.Unchanged || out.Replaced
}

// immutableNote explains, on ECR, that a repository with IMMUTABLE tags
// cannot take the overwrite fix either.
func (r *run) immutableNote(ctx context.Context, dst oras.Target) string {
	repo, ok := dst.(*remote.Repository)
	if r.ecr == nil || !ok {
		return ""
	}
	if imm, err := r.ecr.TagImmutable(ctx, repo.Reference.Repository); err == nil && imm {
		return "; the ECR repository has IMMUTABLE tags, so overwrite cannot replace the tag either: bump version"
	}
	return ""
}

// reference is where a pack is shown to go: REGISTRY/PATH:VERSION (also in
// a dry run, when a registry is given) or LAYOUT:NAME-VERSION; empty when
// its name cannot be a repository.
func (r *run) reference(name, version string) string {
	if r.cfg.OCILayout != "" && !r.cfg.DryRun {
		return displayPath(r.cfg, r.cfg.OCILayout) + ":" + name + "-" + version
	}
	repoPath, err := registry.PackPath(r.cfg.BasePath, name)
	if err != nil || r.cfg.Registry == "" {
		return ""
	}
	return r.cfg.Registry + "/" + repoPath + ":" + version
}

// destination returns where a pack goes and under which tag; a dry run has
// no destination. On ECR the repository is created first when it is
// missing.
func (r *run) destination(ctx context.Context, it *item) (oras.Target, string, error) {
	name, version := it.res.Name, it.res.Version
	switch {
	case r.client == nil && r.layout == nil: // a dry run that does not read the registry
		return nil, "", nil
	case r.layout != nil:
		return r.layout, name + "-" + version, nil
	}
	repoPath, err := registry.PackPath(r.cfg.BasePath, name)
	if err != nil {
		return nil, "", err
	}
	repo := it.repo
	if repo == nil {
		if repo, err = registry.Repository(r.client, r.cfg.Registry, repoPath, r.cfg.PlainHTTP); err != nil {
			return nil, "", err
		}
	}
	if r.ecr != nil && !r.cfg.DryRun { // a dry run creates nothing: a missing repository reads as an absent tag
		if err := r.ensureRepository(ctx, repoPath); err != nil {
			return nil, "", err
		}
	}
	return repo, version, nil
}

// withHint rewrites the registry's Go-formatted error detail for people,
// removes every secret of the run from the result (last, so that what the
// rewrite takes from the server's answer is redacted too) and appends
// advice for common registry failures.
func (r *run) withHint(err error) error {
	err = r.secrets.Error(registry.Readable(err))
	h := registry.HintFor(err, registry.HintContext{
		Bearer: r.tokenAuth(context.Background()), Credentials: r.credentials, Overwrite: r.cfg.Overwrite,
	})
	if h != "" && !strings.Contains(err.Error(), h) {
		return fmt.Errorf("%w; %s", err, h)
	}
	return err
}
