// Package pack finds Palette pack folders and validates them.
//
// Discover returns the outermost folders holding a pack.json under a set of
// roots. Load parses one pack folder and runs every check on it, reporting
// all problems at once as Findings with a rule id, a level, the file, line
// and column, a message and a fix. CheckSet and CheckBump hold the rules
// that need more than one pack folder: the packs of a run, or a pack's
// pack.json at an earlier commit.
//
// Every rule is registered once in rules.go with its level (error: Palette
// or the registry would refuse or break the pack; warning: very likely a
// mistake that Palette accepts; notice: a convention), what it checks, why
// and the document it follows. The README's rule table is generated from
// that registry, and a finding can only be reported at its rule's level.
//
// The checks are two ordered lists (load.go). coreChecks parse the
// metadata and hold the rules that block publishing; lintChecks hold the
// rest. Each check lives in the file named after what it inspects:
// lint_packjson.go, lint_values.go, lint_schema.go, lint_presets.go,
// lint_charts.go (the chart archives) and lint_folder.go (logo, README,
// stray archives). A new rule is one registry entry and one method.
//
// Pack content is treated as hostile: symlinks are followed only while they
// stay inside the pack, special files are never opened, reads are capped,
// each chart archive is read once and only up to a decompressed size, and
// YAML alias bombs are refused before anything expands them.
package pack
