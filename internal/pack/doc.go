// Package pack finds Palette pack folders (the outermost folders holding a
// pack.json) and validates them: pack.json is valid JSON with non-empty
// name, displayName, version and layer; name is an OCI repository name
// component and version an OCI tag without a leading v; values.yaml exists
// and parses; logo.png exists; every charts[] and kubeManifests[] entry is a
// file inside the pack. Each problem is a Finding with the file, line,
// column, rule ID (from the checklist in the project's reference), message
// and fix. Load reports all findings at once.
package pack
