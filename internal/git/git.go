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
	"strconv"
	"strings"
	"time"

	"github.com/pack-publish/pack-publish/internal/redact"
)

// ErrNoGit is returned when the git CLI is not installed.
var ErrNoGit = errors.New("git is not installed")

// Runner runs git in Dir.
type Runner struct {
	Dir string
	Env []string // extra environment, KEY=VALUE
}

// command builds the git command every call uses: the repository (and its
// physical path) trusted as safe.directory, names unquoted, signatures not
// checked, no prompts, no optional locks, the C locale.
func (r Runner) command(ctx context.Context, args []string) (*exec.Cmd, error) {
	dir, err := filepath.Abs(r.Dir)
	if err != nil {
		return nil, fmt.Errorf("git: %w", err)
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
	return cmd, nil
}

// runError is the error of a failed git call: the exit status and git's
// standard error, without credentials (redact's rules: the userinfo and
// query values of URLs, tokens and passwords) and cut at 500 bytes.
func runError(args []string, err error, stderr string) error {
	if errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("running git: %w; install git", ErrNoGit)
	}
	msg := redact.String(strings.TrimSpace(stderr))
	if len(msg) > 500 {
		msg = msg[:500] + "..."
	}
	return fmt.Errorf("git %s: %w: %s", args[0], err, msg)
}

// Run runs git with args and returns its standard output. Errors carry git's
// standard error.
func (r Runner) Run(ctx context.Context, args ...string) (string, error) {
	cmd, err := r.command(ctx, args)
	if err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), runError(args, err, stderr.String())
	}
	return stdout.String(), nil
}

// Show returns the content of path at rev (`git show rev:path`); ok is false
// when the path does not exist there. Any other failure (rev unknown, a
// folder at path, git missing, ctx done) is an error, not an absent file.
func (r Runner) Show(ctx context.Context, rev, file string) ([]byte, bool, error) {
	out, err := r.Run(ctx, "--literal-pathspecs", "ls-tree", "-z", rev, "--", file)
	if err != nil {
		return nil, false, err
	}
	if out == "" {
		return nil, false, nil
	}
	// <mode> SP <type> SP <object> TAB <path> NUL
	meta, name, _ := strings.Cut(strings.TrimSuffix(out, "\x00"), "\t")
	f := strings.Fields(meta)
	if len(f) != 3 || name != file {
		return nil, false, fmt.Errorf("git ls-tree: unexpected output %q for %s", out, file)
	}
	if f[1] != "blob" {
		return nil, false, fmt.Errorf("%s at %s is a %s, not a file", file, rev, f[1])
	}
	blob, err := r.Run(ctx, "cat-file", "blob", f[2])
	if err != nil {
		return nil, false, err
	}
	return []byte(blob), true, nil
}

// LastCommitTimes returns, for each dir (relative to Dir), the committer time
// of the last commit that touched it, reading the history once, for all
// folders together, and stopping as soon as every folder is found. Folders
// no commit touched are absent from the map. A failure of git (no
// repository, a repository git does not trust, git missing) is an error.
func (r Runner) LastCommitTimes(ctx context.Context, dirs []string) (map[string]time.Time, error) {
	found := map[string]time.Time{}
	if len(dirs) == 0 {
		return found, nil
	}
	want := map[string]bool{}
	// Each commit is "\x01<time>\0", then its names, the first after a
	// newline, each ending in NUL, then one NUL more (the separator): file
	// names may hold newlines, and only NUL separates.
	args := []string{"log", "--format=format:%x01%ct%x00", "-z", "--name-only", "--no-renames", "--"}
	for _, d := range dirs {
		want[d] = true
		if d == "." {
			args = append(args, ".")
		} else {
			args = append(args, ":(literal)"+d)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd, err := r.command(ctx, args)
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, runError(args, err, "")
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sc.Split(splitNul)
	var (
		when    time.Time
		inNames bool // between a commit's header and its closing NUL
		first   bool // the next name is the commit's first
		stopped bool // every folder found: git is stopped early
	)
	for sc.Scan() {
		tok := sc.Text()
		switch {
		case !inNames:
			if tok == "" {
				continue
			}
			sec, err := strconv.ParseInt(strings.TrimPrefix(tok, "\x01"), 10, 64)
			if !strings.HasPrefix(tok, "\x01") || err != nil {
				cancel()
				_ = cmd.Wait()
				return nil, fmt.Errorf("git log: unexpected output %q where a commit header belongs", tok)
			}
			when, inNames, first = time.Unix(sec, 0).UTC(), true, true
			continue
		case tok == "":
			inNames = false
			continue
		case first:
			tok, first = strings.TrimPrefix(tok, "\n"), false
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
			stopped = true
			break
		}
	}
	scanErr := sc.Err()
	if stopped {
		cancel() // the rest of the history is not needed
	}
	waitErr := cmd.Wait()
	switch {
	case stopped:
		return found, nil
	case waitErr != nil:
		return nil, runError(args, waitErr, stderr.String())
	case scanErr != nil:
		return nil, fmt.Errorf("reading git log: %w", scanErr)
	}
	return found, nil
}

// splitNul splits git's -z output at NUL bytes only.
func splitNul(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
