package ecr

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	// ecrHost matches private ECR registry hosts: <account>.dkr.ecr.<region>.amazonaws.com,
	// the .amazonaws.com.cn (China) form and the FIPS forms (dkr.ecr-fips, dkr-fips.ecr),
	// with an optional port. Input is lower-cased first.
	ecrHost = regexp.MustCompile(`^([0-9]{12})\.dkr(?:-fips)?\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?(?::[0-9]{1,5})?$`)
	// regionName matches AWS region names: eu-west-1, us-gov-west-1, cn-north-1, eu-isoe-west-1.
	regionName = regexp.MustCompile(`^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$`)
	// repositoryName is ECR's repositoryName pattern (CreateRepository API reference).
	repositoryName = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	// sessionName is STS's RoleSessionName pattern.
	sessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// ParseHost returns the account and region of a private ECR registry host
// name such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com (an optional
// :port is ignored), and ok=false for any other host.
func ParseHost(host string) (account, region string, ok bool) {
	m := ecrHost.FindStringSubmatch(strings.ToLower(host))
	if m == nil || !regionName.MatchString(m[2]) {
		return "", "", false
	}
	return m[1], m[2], true
}

// ValidRoleSessionName reports whether STS accepts name as a
// RoleSessionName: 2 to 64 letters, digits and +=,.@_- characters.
func ValidRoleSessionName(name string) bool { return sessionName.MatchString(name) }

// ValidateRepositoryName reports whether ECR accepts name as a repository
// name: 2 to 256 characters, lower-case letters and digits in components
// separated by '/', each component joined by single '.', '_' or '-'.
func ValidateRepositoryName(name string) error {
	if len(name) < 2 || len(name) > 256 || !repositoryName.MatchString(name) {
		return fmt.Errorf("%w %q: ECR needs 2 to 256 characters of lower-case letters and digits, "+
			"with single '.', '_' or '-' between them and '/' between path components; "+
			"fix base-path or the pack name", ErrInvalidRepositoryName, name)
	}
	return nil
}

// partition is the ARN partition of a region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
