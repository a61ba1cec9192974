package pack

import (
	"cmp"
	"strings"

	"golang.org/x/mod/semver"
	"oras.land/oras-go/v2/registry"
)

// Version and name grammar. The OCI rules are oras-go's (the client that
// pushes); the SemVer rules are golang.org/x/mod/semver's, which wants a
// leading "v" that pack versions do not carry.

// validName reports whether name is a valid OCI repository name component:
// a repository path without '/'.
func validName(name string) bool {
	return !strings.Contains(name, "/") && registry.Reference{Repository: name}.ValidateRepository() == nil
}

// validTag reports whether version is a valid OCI tag.
func validTag(version string) bool {
	return registry.Reference{Reference: version}.ValidateReferenceAsTag() == nil
}

// IsSemVer reports whether v is a full semantic version MAJOR.MINOR.PATCH
// with an optional pre-release, and no leading "v" or build metadata.
func IsSemVer(v string) bool {
	return semver.IsValid("v"+v) && semver.Canonical("v"+v) == "v"+v
}

// CompareVersions orders two pack versions, returning -1, 0 or 1; ok is
// false when either cannot be ordered. Besides semantic versions it orders
// the schemes vendors use and Palette accepts: a leading "v" (v1.12.0),
// leading zeros (23.07.1) and MAJOR.MINOR (1.5, as 1.5.0).
func CompareVersions(a, b string) (order int, ok bool) {
	sa, sb := loose(a), loose(b)
	if !semver.IsValid(sa) || !semver.IsValid(sb) {
		return 0, false
	}
	return semver.Compare(sa, sb), true
}

// loose turns a vendor version into the "v"-prefixed form x/mod/semver
// reads: one leading v or V dropped, then leading zeros dropped from the
// numeric MAJOR.MINOR.PATCH parts.
func loose(v string) string {
	if strings.HasPrefix(v, "v") || strings.HasPrefix(v, "V") {
		v = v[1:]
	}
	core, pre, hasPre := strings.Cut(v, "-")
	parts := strings.Split(core, ".")
	for i, p := range parts {
		if trimmed := strings.TrimLeft(p, "0"); p != "" && strings.Trim(p, "0123456789") == "" {
			parts[i] = cmp.Or(trimmed, "0")
		}
	}
	v = "v" + strings.Join(parts, ".")
	if hasPre {
		v += "-" + pre
	}
	return v
}
