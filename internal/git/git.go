// Package git runs the git CLI for pack-publish. Every call trusts exactly
// the repository it runs in (-c safe.directory=<dir>), so a workspace mounted
// into a container and owned by another user works without trusting every
// directory on the machine, and never prints configuration values (where
// actions/checkout keeps its credentials).
package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrNoGit is returned when the git CLI is not installed.
var ErrNoGit = errors.New("git is not installed")

// Runner runs git in Dir.
type Runner struct {
	Dir string
	Env []string // extra environment, KEY=VALUE
}

// Run runs git with args and returns its standard output. Errors carry git's
// standard error.
func (r Runner) Run(ctx context.Context, args ...string) (string, error) {
	dir, err := filepath.Abs(r.Dir)
	if err != nil {
		return "", fmt.Errorf("git: %w", err)
	}
	full := append([]string{
		"-c", "safe.directory=" + dir,
		"-c", "core.quotePath=false",
		"-c", "log.showSignature=false",
	}, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0")
	cmd.Env = append(cmd.Env, r.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", fmt.Errorf("running git: %w; install git", ErrNoGit)
		}
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 500 {
			msg = msg[:500] + "..."
		}
		return stdout.String(), fmt.Errorf("git %s: %w: %s", args[0], err, msg)
	}
	return stdout.String(), nil
}

// LastCommitTime returns the committer time of the last commit that touched
// path (relative to Dir). ok is false outside a repository, or when no commit
// touched the path.
func (r Runner) LastCommitTime(ctx context.Context, path string) (time.Time, bool, error) {
	out, err := r.Run(ctx, "log", "-1", "--format=%ct", "--", path)
	if err != nil {
		if strings.Contains(err.Error(), "not a git repository") {
			return time.Time{}, false, nil
		}
		return time.Time{}, false, err
	}
	s := strings.TrimSpace(out)
	if s == "" {
		return time.Time{}, false, nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("git log: unexpected output %q", s)
	}
	return time.Unix(sec, 0).UTC(), true, nil
}

// Show returns the content of path at rev (`git show rev:path`); ok is false
// when the path does not exist there.
func (r Runner) Show(ctx context.Context, rev, path string) ([]byte, bool, error) {
	if _, err := r.Run(ctx, "cat-file", "-e", rev+":"+path); err != nil {
		return nil, false, nil
	}
	out, err := r.Run(ctx, "cat-file", "blob", rev+":"+path)
	if err != nil {
		return nil, false, err
	}
	return []byte(out), true, nil
}
