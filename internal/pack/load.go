package pack

import (
	"context"
	"fmt"
	"io/fs"

	"go.yaml.in/yaml/v3"
)

// DefaultMaxFileSize caps the metadata files Load reads (pack.json,
// values.yaml, schema.yaml, presets.yaml).
const DefaultMaxFileSize = 4 << 20

// Pack is the parsed pack.json of one pack folder.
type Pack struct {
	Name          string
	DisplayName   string
	Version       string
	Layer         string
	Charts        []string       // charts[] entries that name files of the pack, cleaned
	KubeManifests []string       // kubeManifests[] entries that name files of the pack, cleaned
	Raw           map[string]any // every top-level field, as encoding/json decodes it
}

// Options for Load. The zero value is usable.
type Options struct {
	MaxFileSize int64 // cap for each metadata file read; 0: DefaultMaxFileSize
	// MaxChartBytes caps the decompressed bytes read from each chart
	// archive; 0: DefaultMaxChartBytes.
	MaxChartBytes int64
	Ignore        Ignore // rules not checked (ignore-rules)
}

// A check inspects one aspect of a pack and records findings under one or
// more rule ids of the registry (rules.go). Checks run in list order.
type check func(*checker)

// coreChecks parse the pack's metadata and always run. They fill
// checker.pack (nil when pack.json is unusable) and checker.values.
var coreChecks = []check{
	(*checker).packJSON,   // F1, F5, N1, N2, F11, F12, F17 (lint_packjson.go)
	(*checker).valuesYAML, // F2 (lint_values.go)
	(*checker).logo,       // F3, F16 (lint_folder.go)
}

// lintChecks run after coreChecks when pack.json parsed (checker.pack is
// set; checker.values may be nil). A new rule is one more entry in rules.go
// and a method here, in the file of what it inspects.
var lintChecks = []check{
	(*checker).schema,         // F6, F10, C1, C3, C5 (lint_packjson.go)
	(*checker).addonType,      // F7, F8, F19
	(*checker).cloudTypes,     // F9
	(*checker).deploys,        // F13
	(*checker).unknownKeys,    // F14, F15
	(*checker).versionStyle,   // N3, N4, N9
	(*checker).charts,         // F18 (lint_charts.go)
	(*checker).presetsYAML,    // R1, R2 (lint_presets.go); before the checks that look into presets
	(*checker).enabledPresets, // R3
	(*checker).constraints,    // C2, C4, C6, C7, C8 (lint_packjson.go)
	(*checker).valuesLayout,   // V1 to V8 (lint_values.go)
	(*checker).schemaYAML,     // S1 to S3 (lint_schema.go)
	(*checker).readme,         // F4 (lint_folder.go)
	(*checker).ownArchive,     // A2
}

// Load reads and validates the pack folder rooted at fsys (os.DirFS of the
// folder in production; symlinks are only seen where fsys implements
// fs.ReadLinkFS). It returns the pack, nil when pack.json cannot be
// parsed, and every finding: it never stops at the first problem.
func Load(ctx context.Context, fsys fs.FS, opts Options) (*Pack, []Finding) {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.MaxChartBytes <= 0 {
		opts.MaxChartBytes = DefaultMaxChartBytes
	}
	c := &checker{ctx: ctx, fsys: fsys, opts: opts, kept: map[string]int{}, dropped: map[string]*dropped{},
		mappings: map[*yaml.Node]map[string]*yaml.Node{}, chartInfos: map[string]chartInfo{}}
	for _, checks := range [][]check{coreChecks, lintChecks} {
		for _, run := range checks {
			if err := ctx.Err(); err != nil {
				c.find("F1", ".", 0, 0, fmt.Sprintf("validation stopped: %v", err), "run the validation again")
				return nil, c.finish()
			}
			run(c)
		}
		if c.pack == nil {
			break // the lint checks need a parsed pack.json
		}
	}
	return c.pack, c.finish()
}

// checker carries one pack through the checks.
type checker struct {
	ctx      context.Context
	fsys     fs.FS
	opts     Options
	findings []Finding

	kept        map[string]int      // findings kept per rule and file
	dropped     map[string]*dropped // those over maxPerRule
	droppedKeys []string            // in order of first drop

	pack       *Pack                                // parsed pack.json, nil when unusable
	raw        []byte                               // pack.json
	idx        jsonIndex                            // offsets of members and elements in pack.json
	lines      lineIndex                            // offsets of the lines of pack.json
	values     *yaml.Node                           // parsed values.yaml, nil when unusable
	valuesRaw  []byte                               // values.yaml as read, set with values
	presetAdds []*yaml.Node                         // the parsed add: blocks of presets.yaml
	presetIDs  []string                             // group:name of each preset; nil without a presets: list
	mappings   map[*yaml.Node]map[string]*yaml.Node // YAML mappings indexed by lookup
	chartInfos map[string]chartInfo                 // per chart archive, read once
}

// jsonKind names the kind of JSON value that starts with byte b.
func jsonKind(b byte) string {
	switch b {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// jsonType names the kind of a value decoded by encoding/json.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	default:
		return "an object"
	}
}
