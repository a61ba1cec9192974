package pack

import (
	"strconv"
	"strings"
)

// CompareVersions orders two pack versions as semantic versions
// (MAJOR.MINOR.PATCH[-pre]), returning -1, 0 or 1; ok is false when either
// is not a semantic version.
func CompareVersions(a, b string) (cmp int, ok bool) {
	if !semverRE.MatchString(a) || !semverRE.MatchString(b) {
		return 0, false
	}
	ca, pa, _ := strings.Cut(a, "-")
	cb, pb, _ := strings.Cut(b, "-")
	na, nb := strings.Split(ca, "."), strings.Split(cb, ".")
	for i := range 3 {
		x, _ := strconv.Atoi(na[i])
		y, _ := strconv.Atoi(nb[i])
		if c := cmpInt(x, y); c != 0 {
			return c, true
		}
	}
	switch {
	case pa == pb:
		return 0, true
	case pa == "": // a release is higher than its pre-releases
		return 1, true
	case pb == "":
		return -1, true
	}
	xa, xb := strings.Split(pa, "."), strings.Split(pb, ".")
	for i := 0; i < len(xa) && i < len(xb); i++ {
		x, ex := strconv.Atoi(xa[i])
		y, ey := strconv.Atoi(xb[i])
		switch {
		case ex == nil && ey == nil:
			if c := cmpInt(x, y); c != 0 {
				return c, true
			}
		case ex == nil: // numeric identifiers sort first
			return -1, true
		case ey == nil:
			return 1, true
		default:
			if c := strings.Compare(xa[i], xb[i]); c != 0 {
				return c, true
			}
		}
	}
	return cmpInt(len(xa), len(xb)), true
}
