// Package git runs the git CLI for pack-publish. Every call trusts exactly
// the repository it runs in (-c safe.directory=<dir>), so a workspace mounted
// into a container and owned by another user works without trusting every
// directory on the machine, and never prints configuration values (where
// actions/checkout keeps its credentials).
package git

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// userinfo matches credentials in URLs git may print ("https://user:token@host").
var userinfo = regexp.MustCompile(`://[^/@\s]*@`)

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
	full := []string{"-c", "safe.directory=" + dir}
	// git compares safe.directory with the physical path of the work tree.
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		full = append(full, "-c", "safe.directory="+real)
	}
	full = append(full, "-c", "core.quotePath=false", "-c", "log.showSignature=false")
	full = append(full, args...)
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
		msg := userinfo.ReplaceAllString(strings.TrimSpace(stderr.String()), "://")
		if len(msg) > 500 {
			msg = msg[:500] + "..."
		}
		return stdout.String(), fmt.Errorf("git %s: %w: %s", args[0], err, msg)
	}
	return stdout.String(), nil
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

// LastCommitTimes returns, for each dir (relative to Dir), the committer time
// of the last commit that touched it, reading the history once instead of
// once per folder and stopping as soon as every folder is found. Folders no
// commit touched are absent from the map; outside a repository the map is
// empty.
func (r Runner) LastCommitTimes(ctx context.Context, dirs []string) (map[string]time.Time, error) {
	found := map[string]time.Time{}
	if len(dirs) == 0 {
		return found, nil
	}
	want := map[string]bool{}
	args := []string{"log", "--format=%x01%ct", "-z", "--name-only", "--no-renames", "--"}
	for _, d := range dirs {
		want[d] = true
		if d == "." {
			args = append(args, ".")
		} else {
			args = append(args, ":(literal)"+d)
		}
	}
	dir, err := filepath.Abs(r.Dir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "safe.directory=" + dir, "-c", "core.quotePath=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "GIT_OPTIONAL_LOCKS=0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("running git: %w", err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sc.Split(splitNulOrNewline)
	var when time.Time
	for sc.Scan() {
		tok := sc.Text()
		if strings.HasPrefix(tok, "\x01") {
			sec, err := strconv.ParseInt(strings.TrimSpace(tok[1:]), 10, 64)
			if err == nil {
				when = time.Unix(sec, 0).UTC()
			}
			continue
		}
		if tok == "" {
			continue
		}
		for d := tok; ; d = path.Dir(d) {
			if want[d] {
				found[d] = when
				delete(want, d)
			}
			if d == "." || d == "/" {
				break
			}
		}
		if len(want) == 0 {
			break
		}
	}
	return found, nil
}

// splitNulOrNewline splits git's -z output, where the format line ends with
// a newline and file names with NUL.
func splitNulOrNewline(data []byte, atEOF bool) (int, []byte, error) {
	for i, b := range data {
		if b == 0 || b == '\n' {
			return i + 1, data[:i], nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
