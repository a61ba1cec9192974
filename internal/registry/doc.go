// Package registry connects pack-publish to OCI registries with oras-go.
//
// It builds one authenticating client per run ([NewClient]: TLS settings,
// oras-go's retrying transport, a token cache, no https-to-http downgrade),
// opens repositories with it ([Repository]), builds the repository paths
// Palette expects ([PackPath], [BasePath]), resolves the credentials of the
// auth input ([Credentials]), and turns registry errors into advice
// ([Hint]); internal/redact removes secrets from them.
package registry
