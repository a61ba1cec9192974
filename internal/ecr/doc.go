// Package ecr logs in to Amazon ECR and creates its repositories.
//
// Login gets AWS credentials, either by assuming a role with an OIDC token
// (GitHub's ID token, or a token file such as a GitLab id_token) through STS
// AssumeRoleWithWebIdentity, or from the AWS SDK's default credential chain,
// and exchanges them for an ECR authorization token: the basic credentials
// ("AWS" and a password) for the registry. Session.EnsureRepositories creates
// the repositories a push needs, because ECR does not create them on push.
//
// Everything goes through aws-sdk-go-v2, so the standard AWS environment
// variables (AWS_REGION, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_ECR, profiles,
// ...) are honoured. Every secret is added to the run's redact.Secrets
// (Options.Secrets, whose Mask hides it) as soon as it is obtained, and no
// error returned by this package contains one. The token is used only for
// the registry it was issued for (its proxy endpoint), over HTTPS.
// The package never prints.
package ecr
