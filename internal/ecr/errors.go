package ecr

import "errors"

// Sentinel errors, to be tested with errors.Is. The errors returned wrap them
// and add what to do next.
var (
	// ErrNoIDToken: a role is to be assumed but no OIDC token is available.
	ErrNoIDToken = errors.New("no OIDC token to assume the AWS role with")
	// ErrAssumeRoleDenied: STS refused AssumeRoleWithWebIdentity.
	ErrAssumeRoleDenied = errors.New("AWS STS refused AssumeRoleWithWebIdentity")
	// ErrNoCredentials: the AWS SDK's default credential chain found nothing.
	ErrNoCredentials = errors.New("no AWS credentials found")
	// ErrNoRegion: the AWS region is neither given nor derivable.
	ErrNoRegion = errors.New("no AWS region")
	// ErrWrongRegion: the AWS region is malformed, does not match the
	// registry host, or is not usable with the credentials.
	ErrWrongRegion = errors.New("wrong AWS region")
	// ErrAccessDenied: an ECR call was denied by IAM.
	ErrAccessDenied = errors.New("access denied by AWS")
	// ErrInvalidRepositoryName: a name ECR would reject.
	ErrInvalidRepositoryName = errors.New("invalid ECR repository name")
	// ErrInvalidOption: an option that cannot work (session name, token file
	// without a role).
	ErrInvalidOption = errors.New("invalid ECR option")
	// ErrWrongRegistry: the registry is not the host the authorization token
	// was issued for (its proxy endpoint), or would get it without TLS; the
	// token is not sent there. A configuration error.
	ErrWrongRegistry = errors.New("the ECR token is not for this registry")
)
