// Package pipeline runs pack-publish: it selects pack folders (the packs
// input, every pack, or those changed between two commits), validates them,
// archives the valid ones reproducibly and publishes them to a registry, an
// OCI layout or nowhere (dry run), in parallel. It returns one Result that the
// front ends render; it never prints.
package pipeline
