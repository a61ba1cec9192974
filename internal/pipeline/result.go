package pipeline

import (
	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/palette"
)

// Status is the outcome of one pack, spelled as the `status` output does
// (README, "Outputs").
type Status string

const (
	StatusPushed    Status = "pushed"
	StatusUnchanged Status = "unchanged"
	StatusInvalid   Status = "invalid"
	StatusFailed    Status = "failed"
	StatusDryRun    Status = "dry-run"
	// StatusConflict: the version is already published with different files
	// and overwrite is off.
	StatusConflict Status = "conflict"
	// StatusCancelled: not finished, because the run was interrupted or
	// timed out.
	StatusCancelled Status = "cancelled"
)

// Result is everything a run produced. The GitHub, GitLab and terminal front
// ends render this one model.
type Result struct {
	Packs    []PackResult `json:"packs"`
	Selected []string     `json:"changedPacks"` // selected pack folders, workspace-relative
	Deleted  []string     `json:"deletedPacks,omitempty"`
	BaseSHA  string       `json:"baseSha,omitempty"`
	HeadSHA  string       `json:"headSha,omitempty"`
	Notices  []string     `json:"notices,omitempty"`
	// Destination describes where packs went: "registry.example.com/team-a",
	// "OCI layout out/", or "dry run".
	Destination string  `json:"destination"`
	BasePath    *Pushed `json:"basePath,omitempty"`
	// Interrupted says why the run stopped early (a signal, or the timeout
	// input) and where it was; empty when it ran to the end. Packs it did
	// not finish are StatusCancelled.
	Interrupted string  `json:"interrupted,omitempty"`
	Timings     Timings `json:"timings"`
	// Palette is the sync of the registry in Palette: nil when not asked
	// (no palette-api-key) or when nothing was pushed.
	Palette *palette.Result `json:"palette,omitempty"`
}

// Pushed records the base-path artifact.
type Pushed struct {
	Reference string `json:"reference"`
	Digest    string `json:"digest"`
	Pushed    bool   `json:"pushed"`
}

// PackResult is the outcome of one selected pack.
type PackResult struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Path      string `json:"path"`
	Reference string `json:"reference"`
	Digest    string `json:"digest"`
	// BuiltDigest is the manifest digest this run built when it differs
	// from Digest, which is what the registry holds: on a conflict.
	BuiltDigest string         `json:"builtDigest,omitempty"`
	Status      Status         `json:"status"`
	Message     string         `json:"message"`
	Size        int64          `json:"size"`
	LayerDigest string         `json:"layerDigest,omitempty"`
	Created     string         `json:"created,omitempty"`
	Findings    []pack.Finding `json:"findings"`
	Timings     Timings        `json:"timings"`
}

// Timings are wall-clock durations in milliseconds.
type Timings struct {
	ValidateMS int64 `json:"validateMs,omitempty"`
	ArchiveMS  int64 `json:"archiveMs,omitempty"`
	PublishMS  int64 `json:"publishMs,omitempty"`
	TotalMS    int64 `json:"totalMs,omitempty"`
}

// ExitCode is 0 when every selected pack is pushed, unchanged or dry-run
// (also when nothing was selected) and 1 when any is invalid, conflict,
// failed or cancelled, when the run was interrupted, or when the Palette
// sync was asked for and failed (the packs stay pushed). Exit code 2
// (nothing attempted) is never a Result: Run returns an ErrConfig error
// instead.
func (r *Result) ExitCode() int {
	if r.Interrupted != "" || (r.Palette != nil && !r.Palette.Synced) {
		return 1
	}
	for _, p := range r.Packs {
		switch p.Status {
		case StatusPushed, StatusUnchanged, StatusDryRun:
		default:
			return 1
		}
	}
	return 0
}

// Counts returns how many packs ended in each status.
func (r *Result) Counts() map[Status]int {
	m := map[Status]int{}
	for _, p := range r.Packs {
		m[p.Status]++
	}
	return m
}
