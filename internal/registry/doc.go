// Package registry connects to OCI registries with oras-go: one
// authenticating client per run (TLS settings, retries, token cache,
// credentials from basic auth or a docker config), the repository paths
// Palette expects, and hints for the errors users meet most.
package registry
