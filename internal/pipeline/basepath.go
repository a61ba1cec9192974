package pipeline

import (
	"context"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/pack-publish/pack-publish/internal/publish"
	"github.com/pack-publish/pack-publish/internal/registry"
)

// ensureRepository creates an ECR repository when it is missing and the
// create-repositories input allows it.
func (r *run) ensureRepository(ctx context.Context, name string) error {
	if !r.cfg.CreateRepositories {
		return nil
	}
	// ECR's API is rate-limited per account: concurrency calls at a time,
	// even while the tag lookups run wider.
	select {
	case r.ecrCalls <- struct{}{}:
		defer func() { <-r.ecrCalls }()
	case <-ctx.Done():
		return ctx.Err()
	}
	created, err := r.ecr.EnsureRepositories(ctx, []string{name})
	if err != nil {
		return err
	}
	for _, c := range created {
		r.opts.Logf("created the ECR repository %s", c)
	}
	return nil
}

// pushBasePath pushes the base-path empty artifact once, before any pack,
// when a registry (not ECR, not a layout, not a dry run) gets packs.
func (r *run) pushBasePath(ctx context.Context) error {
	if r.client == nil {
		return nil
	}
	repoPath, err := registry.BasePath(r.cfg.BasePath)
	if err != nil {
		return err
	}
	if r.ecr != nil { // ECR: the repositories are created instead
		if r.cfg.DryRun { // the login was the check; nothing is created
			return nil
		}
		return r.ensureRepository(ctx, repoPath)
	}
	repo, err := registry.Repository(r.client, r.cfg.Registry, repoPath, r.cfg.PlainHTTP)
	if err != nil {
		return err
	}
	if r.cfg.DryRun { // read only: a missing artifact is what a real run would push
		_, err = r.retry.Do(ctx, func(ctx context.Context) error {
			_, _, err := publish.HasBasePath(ctx, repo, BasePathCreated)
			r.registryAnswered()
			return err
		})
		if err != nil {
			return r.withHint(fmt.Errorf("reading the base-path artifact of %s/%s: %w", r.cfg.Registry, repoPath, err))
		}
		return nil
	}
	var (
		desc   ocispec.Descriptor
		pushed bool
	)
	_, err = r.retry.Do(ctx, func(ctx context.Context) error {
		var err error
		desc, pushed, err = publish.BasePath(ctx, repo, BasePathCreated)
		r.registryAnswered()
		return err
	})
	if err != nil {
		return r.withHint(fmt.Errorf("pushing the base-path artifact to %s/%s: %w", r.cfg.Registry, repoPath, err))
	}
	res := r.res
	res.BasePath = &Pushed{Reference: r.cfg.Registry + "/" + repoPath, Digest: desc.Digest.String(), Pushed: pushed}
	r.mountFrom = repoPath // it holds the config blob every pack's manifest names
	if pushed {
		r.opts.Logf("pushed the base-path artifact %s@%s", res.BasePath.Reference, desc.Digest)
	}
	return nil
}

// basePathRestored is the notice of a run that had to push the base-path
// artifact although packs were already published below it: something
// deleted it, most likely a garbage collection of untagged manifests.
func (r *run) basePathRestored(items []*item) {
	res := r.res
	if res.BasePath == nil || !res.BasePath.Pushed {
		return
	}
	for _, it := range items {
		if it.existed {
			r.notice(fmt.Sprintf("the base-path artifact %s@%s was missing although packs were already published below it (%s), "+
				"and has been pushed again: Palette needs it to list the packs. A garbage collection that deletes untagged manifests removes it "+
				"(on zot it takes every pack below with it); keep it with the settings in README, \"Registry settings that keep packs\"",
				res.BasePath.Reference, res.BasePath.Digest, it.res.Reference))
			return
		}
	}
}
