package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/pack-publish/pack-publish/internal/config"
	"github.com/pack-publish/pack-publish/internal/ecr"
	"github.com/pack-publish/pack-publish/internal/registry"
	"github.com/pack-publish/pack-publish/internal/safefile"
)

// PreflightError is a failed pre-flight check of the destination: nothing
// was pushed. It is a configuration error (errors.Is(err, ErrConfig), exit
// 2) with one message that names the destination, the cause and the fix.
type PreflightError struct {
	Destination string
	Err         error
}

func (e *PreflightError) Error() string {
	return fmt.Sprintf("the pre-flight check of %s failed, nothing was pushed: %v", e.Destination, e.Err)
}

func (e *PreflightError) Unwrap() error { return e.Err }

func (e *PreflightError) Is(target error) bool { return target == ErrConfig }

// preflightError makes a failed pre-flight check a configuration error.
func (r *run) preflightError(err error) error {
	if errors.Is(err, ErrConfig) {
		return r.secrets.Error(err)
	}
	return &PreflightError{Destination: r.cfg.Registry, Err: r.secrets.Error(err)}
}

// notChecked makes a dry run stop reading the registry, and says why (in a
// notice, which redacts it): its packs are then dry-run whatever the
// registry holds.
func (r *run) notChecked(why string) {
	r.client, r.ecr = nil, nil
	r.res.Destination = "dry run (nothing written; the registry was not checked)"
	r.notice("dry run: the registry was not checked (" + why + "), so a conflict with a published " +
		"version cannot show here; every valid pack is dry-run")
}

// openDestination opens the registry or the OCI layout. A dry run opens the
// registry too, to read it, when it can: with no registry, or with a
// username whose password is empty (secrets are withheld from pull requests
// from forks), it reads nothing, and a notice says so.
func (r *run) openDestination(ctx context.Context) error {
	cfg := r.cfg
	switch {
	case cfg.DryRun && cfg.Registry == "":
		return &notCheckedError{"no registry is set"}
	case cfg.DryRun && cfg.Username != "" && cfg.Password == "":
		return &notCheckedError{"username is set but password is empty, as in pull requests from forks, which get no secrets"}
	case cfg.DryRun && cfg.OCILayout != "":
		return &notCheckedError{"oci-layout is set"}
	case cfg.OCILayout != "":
		// Repository content cannot redirect the layout (contract, Safety).
		if err := safefile.CheckDir(cfg.Workspace, cfg.OCILayout); err != nil {
			return fmt.Errorf("%w: input oci-layout: %w", ErrConfig, err)
		}
		store, err := oci.New(cfg.OCILayout)
		if err != nil {
			return fmt.Errorf("%w: opening oci-layout %s: %w", ErrConfig, cfg.OCILayout, err)
		}
		r.layout = store
		return nil
	}
	var cred auth.CredentialFunc
	if cfg.Auth == "ecr" {
		var loginErr error
		r.ecr, loginErr = ecr.Login(ctx, ecr.Options{
			Registry: cfg.Registry, Region: cfg.AWSRegion, RoleToAssume: cfg.RoleToAssume, RoleSessionName: cfg.RoleSessionName,
			Audience: cfg.Audience, WebIdentityTokenFile: cfg.WebIdentityTokenFile,
			IDToken: r.opts.IDToken, Getenv: r.opts.Getenv, Secrets: r.secrets,
			HTTPClient: registry.NewHTTPClient(r.opts.Timeouts),
		})
		if loginErr == nil {
			cred = auth.StaticCredential(cfg.Registry, auth.Credential{Username: r.ecr.Username, Password: r.ecr.Password})
			r.opts.Logf("logged in to ECR %s as %s (account %s, region %s)", cfg.Registry, r.ecr.Username, r.ecr.RegistryID, r.ecr.Region)
		} else {
			r.ecr = nil
			// The login is the first step of the pre-flight check: nothing
			// is attempted (Run makes it a PreflightError).
			return fmt.Errorf("logging in to ECR %s: %w", cfg.Registry, loginErr)
		}
	} else {
		var err error
		cred, _, err = registry.Credentials(ctx, registry.AuthOptions{
			Mode: cfg.Auth, Host: cfg.Registry, Username: cfg.Username, Password: cfg.Password, DockerConfig: cfg.DockerConfig,
			Getenv: r.opts.Getenv,
		})
		if err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	r.credentials = cred != nil
	var err error
	r.client, err = registry.NewClient(registry.Options{
		PlainHTTP: cfg.PlainHTTP, Insecure: cfg.Insecure, Host: cfg.Registry, CAFile: cfg.CAFile, Credential: cred, UserAgent: r.opts.UserAgent,
		Timeouts: r.opts.Timeouts,
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// notCheckedError is why a dry run does not read the registry; it is not
// a failure.
type notCheckedError struct{ why string }

func (e *notCheckedError) Error() string { return e.why }

func destination(cfg *config.Config) string {
	switch {
	case cfg.DryRun && cfg.Registry != "":
		return "dry run against " + path.Join(cfg.Registry, cfg.BasePath) + " (read only, nothing written)"
	case cfg.DryRun:
		return "dry run (nothing written)"
	case cfg.OCILayout != "":
		return "OCI layout " + displayPath(cfg, cfg.OCILayout)
	}
	return path.Join(cfg.Registry, cfg.BasePath)
}

// displayPath shows p relative to the workspace when it lies inside it.
func displayPath(cfg *config.Config, p string) string {
	if rel, err := filepath.Rel(cfg.Workspace, p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return p
}
