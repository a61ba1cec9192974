package pack

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pack-publish/pack-publish/internal/spell"
)

// Rule is one validation rule: its id, the level of every finding it
// reports, and what the README says about it.
type Rule struct {
	ID    string
	Level Severity
	// File is what the rule inspects: a file of the pack, "pack folder",
	// or "packs of a run".
	File   string
	Checks string // what it checks
	Why    string // what goes wrong otherwise
	Source string // the document the rule follows
	// Required rules cannot be ignored (ignore-rules): without them no
	// archive or reference can be built, or it would be unsafe.
	Required bool
}

// Sources, named once: the documents each rule's Why comes from.
const (
	srcACP      = "Palette docs, *Add a Custom Pack* (JSON schema and field table)"
	srcACPTable = "Palette docs, *Add a Custom Pack* (field table)"
	srcPCON     = "Palette docs, *Pack Constraints*"
	srcDP       = "Palette docs, *Deploy a Custom Pack* (pack folder layout)"
	srcOCI      = "Palette docs, *Add a Pack to an OCI Registry* (name becomes the repository, version the tag); OCI distribution-spec (name and tag grammar)"
	srcPCVal    = "pack-central `validator/validate-packs.sh`"
	srcPCReadme = "pack-central `README.md` (naming conventions)"
	srcSemVer   = "Palette docs, *Add a Custom Pack* (\"a Semantic version for the pack\"); semver.org"
	srcSafety   = "pack-publish safety rules (contract: repository content is hostile)"
)

// rules is the registry of every rule, in the order of the README table.
var rules = []Rule{
	// pack.json
	{ID: "F1", Level: SeverityError, File: "pack.json", Required: true,
		Checks: "pack.json exists, is readable and holds one JSON object (no BOM, no trailing commas)",
		Why:    "Palette reads every pack through its pack.json", Source: srcACP + "; " + srcPCVal},
	{ID: "F5", Level: SeverityError, File: "pack.json", Required: true,
		Checks: "`name`, `displayName`, `version` and `layer` are non-empty strings",
		Why:    "the JSON schema requires them; name and version make the OCI reference", Source: srcACP},
	{ID: "F6", Level: SeverityError, File: "pack.json",
		Checks: "`layer` is one of kernel, os, k8s, cni, csi, addon",
		Why:    "Palette places the pack in a profile layer by it", Source: srcACP},
	{ID: "F7", Level: SeverityWarning, File: "pack.json",
		Checks: "an addon pack has a non-empty `addonType`",
		Why:    "the field table says it must be set for addon packs, but the schema does not require it: Palette accepts the pack and files it under no category", Source: srcACPTable},
	{ID: "F8", Level: SeverityWarning, File: "pack.json",
		Checks: "`addonType` is one Palette knows (" + strings.Join(addonTypes, ", ") + "; also " + strings.Join(addonTypeAliases, ", ") + ")",
		Why:    "an unknown category hides the pack from Palette's category filters", Source: srcACPTable + "; Palette API `AllowedAddonType` (terraform-provider-spectrocloud)"},
	{ID: "F19", Level: SeverityNotice, File: "pack.json",
		Checks: "`addonType` is set only on addon packs",
		Why:    "Palette ignores it on other layers", Source: srcACPTable},
	{ID: "F9", Level: SeverityWarning, File: "pack.json",
		Checks: "`cloudTypes` is a non-empty list of known cloud types",
		Why:    "the field table marks it required; an unknown cloud type makes the pack unavailable where it was meant to be", Source: srcACP + "; pack-central `validator/pack-schema.json` (adds tencent, custom)"},
	{ID: "F10", Level: SeverityError, File: "pack.json",
		Checks: "the other fields have the documented JSON types (`annotations` maps strings to strings, `charts` and `kubeManifests` are lists of strings, `constraints` is an object, ...)",
		Why:    "Palette cannot read a field of the wrong type", Source: srcACP},
	{ID: "F11", Level: SeverityError, File: "pack.json",
		Checks: "every `charts` entry is a relative path to a file inside the pack",
		Why:    "Palette deploys the chart from that file", Source: srcACP + "; " + srcDP},
	{ID: "F12", Level: SeverityError, File: "pack.json",
		Checks: "every `kubeManifests` entry is a relative path to a file inside the pack",
		Why:    "Palette deploys the manifest from that file", Source: srcACP},
	{ID: "F17", Level: SeverityWarning, File: "pack.json",
		Checks: "no `charts` or `kubeManifests` entry is listed twice",
		Why:    "the same chart or manifest would be deployed twice", Source: srcACP},
	{ID: "F18", Level: SeverityError, File: "charts/*.tgz",
		Checks: "every `charts` file is a Helm chart archive: a gzip tar with `<chart>/Chart.yaml` naming the chart (read once, up to a size cap)",
		Why:    "Palette cannot deploy a chart it cannot unpack", Source: srcACP + " (\"helm chart archives\"); Helm docs, *Charts* (Chart.yaml `name` is required)"},
	{ID: "F13", Level: SeverityWarning, File: "pack.json",
		Checks: "an addon pack lists at least one chart or manifest",
		Why:    "an addon pack that deploys nothing is almost always a mistake", Source: "Palette docs, *Add an Add-on Pack*; " + srcDP},
	{ID: "F14", Level: SeverityWarning, File: "pack.json",
		Checks: "no top-level field is a misspelling of a documented one (e.g. `KubeManifests`, `chart`)",
		Why:    "Palette ignores the misspelled field, so what it holds is never deployed", Source: srcACP + " (the field table spells `KubeManifests`, the schema `kubeManifests`)"},
	{ID: "F15", Level: SeverityNotice, File: "pack.json",
		Checks: "every top-level field is a documented one (`ansibleRoles`, `commit_msg`, `kubeVersion`, `readme` are known extras)",
		Why:    "Palette ignores unknown fields (the schema allows them)", Source: srcACP + "; pack-central `validator/pack-schema.json`"},
	{ID: "N1", Level: SeverityError, File: "pack.json", Required: true,
		Checks: "`name` is a valid OCI repository name component (lower-case letters and digits separated by `.`, `_`, `__` or `-`)",
		Why:    "the name becomes the repository `.../spectro-packs/archive/<name>`", Source: srcOCI},
	{ID: "N9", Level: SeverityNotice, File: "pack.json",
		Checks: "`name` separates words with `-` only",
		Why:    "pack-central convention", Source: srcPCReadme},
	{ID: "N2", Level: SeverityError, File: "pack.json", Required: true,
		Checks: "`version` is a valid OCI tag (at most 128 letters, digits, `.`, `_`, `-`; no `+`)",
		Why:    "the version becomes the tag", Source: srcOCI},
	{ID: "N3", Level: SeverityWarning, File: "pack.json",
		Checks: "`version` has no leading `v`",
		Why:    "Palette accepts it, but versions are compared and shown without one; a policy of pack-central's CI", Source: srcPCVal + " (`validate_pack_version`)"},
	{ID: "N4", Level: SeverityNotice, File: "pack.json",
		Checks: "`version` is a semantic version MAJOR.MINOR.PATCH[-pre]",
		Why:    "Palette accepts vendor schemes such as 23.07.1 or 1.5; SemVer orders reliably", Source: srcSemVer},
	{ID: "C1", Level: SeverityError, File: "pack.json",
		Checks: "every `constraints.dependencies` entry has a non-empty `packName`, a known `layer` and, when set, a `type` of required, optional, notSupported or upgrade",
		Why:    "Palette cannot evaluate the dependency", Source: srcACP + "; " + srcPCON},
	{ID: "C8", Level: SeverityWarning, File: "pack.json",
		Checks: "every dependency has a `type`",
		Why:    "the documented JSON schema requires it, but Palette serves packs without one (pack-central `nvidia-dra-driver-25.8.1`), so the dependency is probably not enforced as meant", Source: srcACP + " (`dependency.required`); " + srcPCON},
	{ID: "C2", Level: SeverityWarning, File: "pack.json",
		Checks: "a dependency's `minVersion` is not above its `maxVersion`",
		Why:    "no version can satisfy the range", Source: srcPCON},
	{ID: "C7", Level: SeverityNotice, File: "pack.json",
		Checks: "a dependency sets `minVersion` or `maxVersion`",
		Why:    "without either, Palette skips the dependency's version check", Source: srcPCON},
	{ID: "C3", Level: SeverityError, File: "pack.json",
		Checks: "every `constraints.resources` entry has a `type` of cpu, memory or diskSize and a numeric `minLimit`",
		Why:    "Palette cannot evaluate the constraint", Source: srcACP + "; " + srcPCON},
	{ID: "C4", Level: SeverityWarning, File: "pack.json",
		Checks: "`minLimit` looks like the documented unit (cpu millicores, memory MiB, disk GB)",
		Why:    "\"any change of unit will cause inaccurate computation\"", Source: srcPCON},
	{ID: "C5", Level: SeverityError, File: "pack.json",
		Checks: "every resource component has a `scheduleType` of all, master, worker or control-plane",
		Why:    "Palette cannot evaluate the constraint", Source: srcPCON + "; " + srcACP + " (its copies differ: master or control-plane)"},
	{ID: "C6", Level: SeverityWarning, File: "pack.json",
		Checks: "`resourceRequestParamRef` and `replicaCountParamRef` are paths in values.yaml (or in a preset's `add`)",
		Why:    "Palette computes the requirement from those values", Source: srcPCON},
	// Files of the pack folder.
	{ID: "F2", Level: SeverityError, File: "values.yaml",
		Checks: "values.yaml exists and parses as YAML (an empty file is fine)",
		Why:    "\"a values.yaml file is mandatory for every pack\"", Source: srcACP + "; " + srcDP},
	{ID: "F3", Level: SeverityError, File: "logo.png",
		Checks: "logo.png exists",
		Why:    "\"a pack must have the logo file named logo.png\"", Source: srcACP + "; " + srcPCVal + " (`validate_logo`)"},
	{ID: "F16", Level: SeverityWarning, File: "logo.png",
		Checks: "logo.png starts with the PNG signature",
		Why:    "a JPEG or SVG renamed to .png may not show in Palette", Source: srcACP + "; PNG specification (file signature)"},
	{ID: "F4", Level: SeverityNotice, File: "README.md",
		Checks: "README.md exists",
		Why:    "optional for Palette; pack-central requires one", Source: srcDP + "; " + srcPCVal + " (`validate_readme`)"},
	{ID: "V1", Level: SeverityError, File: "values.yaml",
		Checks: "the top level of values.yaml is a mapping (or the file is empty)",
		Why:    "Palette merges the values by key", Source: srcACP},
	{ID: "V2", Level: SeverityWarning, File: "values.yaml",
		Checks: "`pack.namespace`, when set, is a string (an empty `namespace:` counts as not set)",
		Why:    "Palette deploys the charts and manifests into that namespace", Source: srcACP + "; " + srcDP},
	{ID: "V3", Level: SeverityWarning, File: "values.yaml",
		Checks: "a manifest that uses `.Values` has a `manifests.<file name without extension>` section",
		Why:    "Palette renders the manifest with the values of that section only", Source: srcDP + " (\"same name as the YAML file\"); " + srcACP},
	{ID: "V4", Level: SeverityWarning, File: "values.yaml",
		Checks: "every key under `charts:` names a chart of the pack (by its Chart.yaml name or its file name without version) when a chart has no section of its own",
		Why:    "the values of a misnamed section never reach the chart", Source: srcACP + " (values.yaml layout)"},
	{ID: "V7", Level: SeverityNotice, File: "values.yaml",
		Checks: "every chart has a `charts.<chart name>` section (Chart.yaml name or file name without version)",
		Why:    "without one the chart deploys with its own defaults and the profile shows nothing to edit", Source: srcACP + " (values.yaml layout)"},
	{ID: "V5", Level: SeverityNotice, File: "values.yaml",
		Checks: "`pack.content.images` lists the images of packs other than os and k8s",
		Why:    "pack-central policy: image scanning and air-gapped mirrors use the list", Source: "pack-central `README.md`; " + srcPCVal + " (`validate_content`)"},
	{ID: "V8", Level: SeverityWarning, File: "values.yaml",
		Checks: "every `pack.content.images` entry is `image: <reference>` with no other key",
		Why:    "a misspelled key (`- iamge:`) hides the image from scanning and air-gapped mirrors", Source: srcPCVal + " (`validate_content` reads `.image`)"},
	{ID: "V9", Level: SeverityWarning, File: "values.yaml",
		Checks: "`pack.content` is a mapping, and keys of `pack:` (such as `namespace`) or misspellings of `images`/`charts` are not nested in it",
		Why:    "a list there, or a misspelled key, hides the images from scanning and air-gapped mirrors; a `namespace` there is not `pack.namespace`, so the pack deploys into the default namespace", Source: srcPCVal + " (`validate_content` reads `.pack.content.images`); " + srcACP + " (values.yaml layout); " + srcDP},
	{ID: "V6", Level: SeverityNotice, File: "values.yaml",
		Checks: "values.yaml is indented with spaces, in steps of two",
		Why:    "pack-central style", Source: "pack-central `validator/validate-values.sh`"},
	{ID: "S1", Level: SeverityError, File: "schema.yaml",
		Checks: "schema.yaml, when present and not empty, maps values.yaml paths to `{schema: '<template>'}`",
		Why:    "Palette validates the pack's values with it", Source: srcPCON},
	{ID: "S2", Level: SeverityWarning, File: "schema.yaml",
		Checks: "each template is `{{ required | readonly | format \"${type}\" | hints \"...\" }}` with known format types, regular expressions that compile (RE2) and numeric ranges",
		Why:    "Palette cannot apply a broken constraint", Source: srcPCON},
	{ID: "S3", Level: SeverityWarning, File: "schema.yaml",
		Checks: "each key is a path in values.yaml or in a preset's `add` (`$[]` for list items)",
		Why:    "a constraint on a path that does not exist is never applied", Source: srcPCON + " (\"the complete path of the parameter\")"},
	{ID: "R1", Level: SeverityError, File: "presets.yaml",
		Checks: "presets.yaml, when present and not empty, has a `presets:` list whose items have a unique `name`, a `displayName`, a `group`, and `add` text or a `remove` list",
		Why:    "Palette offers the presets from it", Source: srcPCON + " (*Pack Presets*)"},
	{ID: "R2", Level: SeverityError, File: "presets.yaml",
		Checks: "each preset's `add` is a YAML mapping",
		Why:    "Palette merges it into the values", Source: srcPCON + " (*Pack Presets*)"},
	{ID: "R3", Level: SeverityWarning, File: "values.yaml",
		Checks: "when the pack has presets, those that the comment `# spectrocloud.com/enabled-presets: <group>:<name>, ...` selects by default exist in presets.yaml",
		Why:    "a misspelled default preset leaves the pack without the defaults it was written for", Source: "pack-central `packs/hello-universe-1.3.1/values.yaml` (the comment is not in the Palette docs)"},
	{ID: "A2", Level: SeverityWarning, File: "pack folder",
		Checks: "the folder does not hold its own `<name>-<version>.tar.gz`",
		Why:    "the old archive would be published inside the new one", Source: "pack-central `.gitignore`"},
	{ID: "A3", Level: SeverityError, File: "pack folder", Required: true,
		Checks: "symlinks are readable, relative and stay inside the pack",
		Why:    "a link out of the pack would publish a file of the runner", Source: srcSafety},
	{ID: "A4", Level: SeverityError, File: "pack folder", Required: true,
		Checks: "no special files (devices, FIFOs, sockets)",
		Why:    "they cannot be archived", Source: srcSafety},
	{ID: "A5", Level: SeverityError, File: "pack folder", Required: true,
		Checks: "files stay under 1 GiB each, 4 GiB together and 100,000 entries",
		Why:    "bounded time and memory", Source: srcSafety},
	{ID: "A6", Level: SeverityError, File: "pack folder", Required: true,
		Checks: "file names and link targets are printable UTF-8; the pack folder's path has no comma, control character or surrounding space",
		Why:    "they end up in logs, tar headers and registry UIs, and the matrix output hands folders to the comma-separated packs input", Source: srcSafety},
	// Across the packs of a run.
	{ID: "N6", Level: SeverityError, File: "packs of a run", Required: true,
		Checks: "no two packs publish the same `name` and `version`",
		Why:    "both would push the same tag", Source: srcOCI},
	{ID: "N7", Level: SeverityNotice, File: "packs of a run",
		Checks: "the folder is named `<name>` or `<name>-<version>`",
		Why:    "pack-central convention; Palette ignores folder names", Source: srcPCReadme + "; " + srcDP + " (its folder hello-universe-pack holds the pack hellouniverse)"},
	{ID: "N8", Level: SeverityWarning, File: "packs of a run",
		Checks: "packs with the same `name` have the same `displayName`",
		Why:    "Palette shows them as different packs", Source: srcPCReadme},
	{ID: "B1", Level: SeverityError, File: "pack.json",
		Checks: "with check-version-increment, a pack changed since the base commit has a higher version than it had there",
		Why:    "the registry already holds the old version's tag", Source: "pack-publish contract (`check-version-increment`); " + srcPCReadme},
	{ID: "B2", Level: SeverityNotice, File: "pack.json",
		Checks: "with check-version-increment, the old and new versions can be ordered (SemVer, leading zeros and a leading v allowed)",
		Why:    "when they cannot, the increment is not checked", Source: srcSemVer},
}

// Rules returns every rule in the order of the README table.
func Rules() []Rule { return slices.Clone(rules) }

// RuleByID returns the rule with that id.
func RuleByID(id string) (Rule, bool) {
	i := slices.IndexFunc(rules, func(r Rule) bool { return r.ID == id })
	if i < 0 {
		return Rule{}, false
	}
	return rules[i], true
}

// level is the level of a registered rule; it panics on an unregistered id,
// so a rule cannot report findings without its README entry.
func level(id string) Severity {
	r, ok := RuleByID(id)
	if !ok {
		panic("pack: rule " + id + " is not in the rule registry (rules.go)")
	}
	return r.Level
}

// NewFinding returns a finding of a registered rule, at the rule's level.
func NewFinding(rule, file, msg, fix string) Finding {
	return Finding{Rule: rule, Severity: level(rule), File: file, Message: msg, Fix: fix}
}

// Ignore is a set of rule ids whose findings are dropped (ignore-rules).
type Ignore map[string]bool

// ParseIgnore checks rule ids given to ignore-rules: each must be a
// registered rule that is not required. Ids are matched case-insensitively.
func ParseIgnore(ids []string) (Ignore, error) {
	ig := Ignore{}
	var bad []string
	for _, id := range ids {
		r, ok := RuleByID(strings.ToUpper(strings.TrimSpace(id)))
		switch {
		case !ok:
			msg := fmt.Sprintf("%q is not a rule id", id)
			if s := suggest(id); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			bad = append(bad, msg)
		case r.Required:
			bad = append(bad, fmt.Sprintf("%s cannot be ignored: %s", r.ID, r.Why))
		default:
			ig[r.ID] = true
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s; the README lists the rules under \"What is validated\"", strings.Join(bad, "; "))
	}
	return ig, nil
}

// Keep returns the findings whose rule is not ignored.
func (ig Ignore) Keep(findings []Finding) []Finding {
	if len(ig) == 0 {
		return findings
	}
	return slices.DeleteFunc(findings, func(f Finding) bool { return ig[f.Rule] })
}

// suggest returns the registered id closest to a mistyped one, or "".
func suggest(id string) string {
	id = strings.ToUpper(strings.TrimSpace(id))
	best, bestD := "", 3
	for _, r := range rules {
		if d := spell.Distance(id, r.ID); d < bestD {
			best, bestD = r.ID, d
		}
	}
	if bestD > 1 && len(id) <= 2 {
		return ""
	}
	return best
}

// RulesTable renders the README's table of rules.
func RulesTable() string {
	var b strings.Builder
	b.WriteString("| rule | level | file | what it checks | why | source |\n|---|---|---|---|---|---|\n")
	for _, r := range rules {
		id := "`" + r.ID + "`"
		if r.Required {
			id += " (cannot be ignored)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", id, r.Level, r.File, cell(r.Checks), cell(r.Why), cell(r.Source))
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
