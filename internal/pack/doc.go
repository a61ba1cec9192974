// Package pack finds Palette pack folders and validates them.
//
// Discover returns the outermost folders holding a pack.json under a set of
// roots. Load parses one pack folder and runs every check on it, reporting
// all problems at once as Findings that carry the rule ID of the project's
// lint checklist (reference/palette-packs.md §5), the file, line and column,
// a message and a fix.
//
// The checks are two ordered lists. coreChecks (load.go) parse the metadata
// and hold the rules that block publishing: pack.json is a JSON object with
// non-empty name, displayName, version and layer (F1, F5); name is an OCI
// repository name component and version an OCI tag without a leading v (N1
// to N3); values.yaml parses (F2); logo.png exists (F3); every charts[] and
// kubeManifests[] entry names a file inside the pack (F11, F12).
// lintChecks (lint.go) hold the rest of the checklist; a new rule is one
// more method in that list.
//
// Pack content is treated as hostile: symlinks are followed only while they
// stay inside the pack, special files are never opened, reads are capped,
// and YAML alias bombs are refused before anything expands them.
package pack
