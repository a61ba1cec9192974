// Package publish pushes a pack archive in the exact manifest layout of ORAS
// CLI v1.0.0 (`oras push --image-spec v1.0`): an OCI image manifest without
// artifactType, the `{}` config of type application/vnd.unknown.config.v1+json,
// one layer of type application/vnd.oci.image.layer.v1.tar titled
// NAME-VERSION.tar.gz, and the org.opencontainers.image.created annotation.
// It applies the re-run rules (unchanged, conflict, overwrite) and pushes the
// base-path empty artifact. Any oras.Target works: a remote repository, an
// OCI image layout or a memory store.
package publish
