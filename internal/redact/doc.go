// Package redact is pack-publish's one way of keeping secrets out of errors,
// messages, logs, outputs and reports (modelled on go-containerregistry's
// internal/redact).
//
// A run keeps every secret it holds in one [Secrets] list: the basic
// password, the web identity (OIDC) token, the STS keys, the ECR
// authorization token and its password, the Palette API key. Each secret is
// handed to the list's mask function (the CI's log masking) as it is added.
// [Secrets.Error] and [Secrets.String] then replace every listed secret by
// [Marker] and apply the rules that catch secrets the run never held: the
// userinfo and query values of URLs ([URL]), Authorization headers, bearer
// and basic tokens, and token or password fields.
//
// A redacted error wraps the original, so errors.Is and errors.As still
// work; URLs held by *url.Error and *errcode.ErrorResponse in the chain are
// redacted in place.
package redact
