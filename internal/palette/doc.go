// Package palette asks Spectro Cloud Palette to synchronise the OCI pack
// registry that a run pushed to, and confirms that Palette now lists each
// pushed pack version.
//
// Palette syncs a registered OCI registry on its own only every 24 hours.
// Sync finds the registry by name or UID, checks that its Endpoint and Base
// Content Path are the destination the packs went to, triggers its sync
// (POST /v1/registries/oci/{uid}/{basic|ecr}/sync), polls the sync status
// with backoff that honours 429 and Retry-After, and looks each pack up with
// GET /v1/packs/{name}/registries/{uid}: that lookup, not the sync status
// (whose values Palette does not document), says when the step is done.
//
// It is plain net/http with the API key in the ApiKey header, tenant scope
// (no ProjectUid), a bounded timeout on every request and on the whole step.
// The API key never appears in an error, a progress line or the result. The package never
// prints: progress goes to Options.Logf.
package palette
