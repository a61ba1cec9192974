package registry

import (
	"fmt"
	"regexp"
	"strings"
)

// archivePath is where Palette looks for packs below the base path.
const archivePath = "spectro-packs/archive"

// maxPathLen is the repository name limit many clients and registries apply
// (distribution-spec: 255 for host and name together).
const maxPathLen = 255

// component is one path component of the distribution-spec repository
// name grammar.
var component = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$`)

// BasePath returns the repository of the base-path artifact,
// "<base-path>/spectro-packs/archive". Empty segments of basePath ("",
// "/team-a/", "a//b") are dropped.
func BasePath(basePath string) (string, error) {
	segs, err := baseSegments(basePath)
	if err != nil {
		return "", err
	}
	return joinPath(append(segs, archivePath))
}

// PackPath returns the repository of a pack,
// "<base-path>/spectro-packs/archive/<name>".
func PackPath(basePath, name string) (string, error) {
	segs, err := baseSegments(basePath)
	if err != nil {
		return "", err
	}
	if !component.MatchString(name) {
		return "", fmt.Errorf("pack name %q cannot be a repository name: use lower-case letters and digits, separated by '.', '_', '__' or '-' (no '/'); fix name in pack.json", name)
	}
	return joinPath(append(segs, archivePath, name))
}

func baseSegments(basePath string) ([]string, error) {
	var segs []string
	for _, s := range strings.Split(basePath, "/") {
		if s == "" {
			continue
		}
		if !component.MatchString(s) {
			return nil, fmt.Errorf("input base-path: %q has the segment %q, which is not a valid repository name: use lower-case letters and digits, separated by '.', '_', '__' or '-'", basePath, s)
		}
		segs = append(segs, s)
	}
	return segs, nil
}

func joinPath(segs []string) (string, error) {
	p := strings.Join(segs, "/")
	if len(p) > maxPathLen {
		return "", fmt.Errorf("repository path %s is %d characters long, more than %d; shorten base-path or the pack name", p, len(p), maxPathLen)
	}
	return p, nil
}
