package changes

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// Range is the pair of commits to compare, or the reason why every pack is
// selected instead.
type Range struct {
	Base, Head string
	// MergeBase: compare from the merge base of Base and Head (pull
	// requests), not from Base itself.
	MergeBase bool
	Source    string // where the range came from, for messages
	AllReason string // non-empty: select every pack, for this reason
}

var zeroSHA = regexp.MustCompile(`^0+$`)

// MaxEventSize caps the event payload read from GITHUB_EVENT_PATH.
const MaxEventSize = 32 << 20

// ResolveRange decides which commits to compare: the base/head inputs when
// given, else the GitHub event (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH), else
// GitLab's CI_* variables, as README's "Which packs a run publishes" table says.
func ResolveRange(getenv func(string) string, base, head string) (Range, error) {
	if base != "" {
		if head == "" {
			head = "HEAD"
		}
		return Range{Base: base, Head: head, Source: "the base and head inputs"}, nil
	}
	if head != "" {
		return Range{}, fmt.Errorf("input head is set but base is not: set base to the commit to compare from")
	}
	switch {
	case getenv("GITHUB_EVENT_NAME") != "":
		return githubRange(getenv)
	case getenv("GITLAB_CI") != "":
		return gitlabRange(getenv), nil
	}
	return Range{AllReason: "no CI event to take commits from and no base input (set base and head to compare commits)"}, nil
}

type event struct {
	Ref         string `json:"ref"`
	Before      string `json:"before"`
	After       string `json:"after"`
	Created     bool   `json:"created"`
	Deleted     bool   `json:"deleted"`
	PullRequest *struct {
		Base struct {
			SHA string `json:"sha"`
		} `json:"base"`
		Head struct {
			SHA string `json:"sha"`
		} `json:"head"`
	} `json:"pull_request"`
	MergeGroup *struct {
		BaseSHA string `json:"base_sha"`
		HeadSHA string `json:"head_sha"`
	} `json:"merge_group"`
}

func githubRange(getenv func(string) string) (Range, error) {
	name := getenv("GITHUB_EVENT_NAME")
	switch name {
	case "push", "pull_request", "pull_request_target", "merge_group":
	default:
		return Range{AllReason: fmt.Sprintf("the %s event has no commit range", name)}, nil
	}
	path := getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return Range{}, fmt.Errorf("GITHUB_EVENT_PATH is not set for the %s event; set the base and head inputs", name)
	}
	b, err := readCapped(path)
	if err != nil {
		return Range{}, fmt.Errorf("reading the %s event payload: %w", name, err)
	}
	return parseEvent(name, b)
}

// parseEvent reads a GitHub event payload.
func parseEvent(name string, payload []byte) (Range, error) {
	var ev event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return Range{}, fmt.Errorf("decoding the %s event payload: %w", name, err)
	}
	src := "the " + name + " event"
	switch name {
	case "push":
		switch {
		case strings.HasPrefix(ev.Ref, "refs/tags/"):
			return Range{AllReason: "a tag push has no previous state to compare with"}, nil
		case ev.Deleted:
			return Range{AllReason: "the push deleted the branch"}, nil
		case ev.Created || ev.Before == "" || zeroSHA.MatchString(ev.Before):
			return Range{AllReason: "the push created a new branch (before is all zeros)"}, nil
		}
		return checked(Range{Base: ev.Before, Head: ev.After, Source: src})
	case "merge_group":
		if ev.MergeGroup == nil {
			return Range{}, fmt.Errorf("the merge_group event payload has no merge_group")
		}
		return checked(Range{Base: ev.MergeGroup.BaseSHA, Head: ev.MergeGroup.HeadSHA, Source: src})
	default: // pull_request, pull_request_target
		if ev.PullRequest == nil {
			return Range{}, fmt.Errorf("the %s event payload has no pull_request", name)
		}
		return checked(Range{Base: ev.PullRequest.Base.SHA, Head: ev.PullRequest.Head.SHA, MergeBase: true, Source: src})
	}
}

var shaRE = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// checked refuses event values that are not commit SHAs, so that a payload
// can never smuggle options or refs into git's command line.
func checked(r Range) (Range, error) {
	for _, s := range []string{r.Base, r.Head} {
		if !shaRE.MatchString(s) {
			return Range{}, fmt.Errorf("%s gives %q, which is not a commit SHA; set the base and head inputs", r.Source, truncate(s))
		}
	}
	return r, nil
}

func gitlabRange(getenv func(string) string) Range {
	head := getenv("CI_COMMIT_SHA")
	if head == "" {
		head = "HEAD"
	}
	if b := getenv("CI_MERGE_REQUEST_DIFF_BASE_SHA"); b != "" {
		return Range{Base: b, Head: head, Source: "the GitLab merge request"}
	}
	if getenv("CI_COMMIT_TAG") != "" {
		return Range{AllReason: "a tag pipeline has no previous state to compare with"}
	}
	if src := getenv("CI_PIPELINE_SOURCE"); src != "" && src != "push" {
		return Range{AllReason: fmt.Sprintf("the GitLab %s pipeline has no commit range", src)}
	}
	before := getenv("CI_COMMIT_BEFORE_SHA")
	if before == "" || zeroSHA.MatchString(before) {
		return Range{AllReason: "the push created a new branch (CI_COMMIT_BEFORE_SHA is all zeros)"}
	}
	return Range{Base: before, Head: head, Source: "the GitLab push"}
}

// readCapped reads the event payload, at most MaxEventSize bytes: the size
// a special file (a FIFO, /dev/zero) reports says nothing.
func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxEventSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxEventSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, MaxEventSize)
	}
	return b, nil
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
