package pack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"

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
}

// A check inspects one aspect of a pack and records findings under one or
// more rule IDs of the checklist. Checks run in list order.
type check func(*checker)

// coreChecks parse the pack's metadata and always run. They fill
// checker.pack (nil when pack.json is unusable) and checker.values.
var coreChecks = []check{
	(*checker).packJSON,   // F1, F5, N1, N2, N3, F11, F12
	(*checker).valuesYAML, // F2
	(*checker).logo,       // F3
}

// Load reads and validates the pack folder rooted at fsys (os.DirFS of the
// folder in production; symlinks are only seen where fsys implements
// fs.ReadLinkFS). It returns the pack, nil when pack.json cannot be
// parsed, and every finding: it never stops at the first problem.
func Load(ctx context.Context, fsys fs.FS, opts Options) (*Pack, []Finding) {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	c := &checker{fsys: fsys, opts: opts, kept: map[string]int{}, dropped: map[string]*dropped{},
		mappings: map[*yaml.Node]map[string]*yaml.Node{}}
	for _, checks := range [][]check{coreChecks, lintChecks} {
		for _, run := range checks {
			if err := ctx.Err(); err != nil {
				c.add("F1", ".", 0, 0, fmt.Sprintf("validation stopped: %v", err), "run the validation again")
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
	fsys     fs.FS
	opts     Options
	findings []Finding

	kept        map[string]int      // findings kept per rule and file
	dropped     map[string]*dropped // those over maxPerRule
	droppedKeys []string            // in order of first drop

	pack     *Pack                                // parsed pack.json, nil when unusable
	raw      []byte                               // pack.json
	idx      jsonIndex                            // offsets of members and elements in pack.json
	lines    lineIndex                            // offsets of the lines of pack.json
	values   *yaml.Node                           // parsed values.yaml, nil when unusable
	mappings map[*yaml.Node]map[string]*yaml.Node // values.yaml mappings indexed by lookup
}

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$`)
	versionRE = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

// packJSON parses pack.json (F1), checks the required fields (F5), the name
// (N1) and version (N2, N3) that become the OCI reference, and the files
// that charts (F11) and kubeManifests (F12) list.
func (c *checker) packJSON() {
	const file = "pack.json"
	b, msg := c.read(file)
	if msg != "" {
		c.add("F1", file, 0, 0, msg, "every pack folder needs a pack.json file with name, displayName, version and layer")
		return
	}
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		c.add("F1", file, 1, 1, "pack.json starts with a UTF-8 byte order mark, which is not valid JSON", "save the file as UTF-8 without BOM")
		return
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			start := skipSpace(b, 0)
			line, col := newLineIndex(b).position(b, start)
			c.add("F1", file, line, col, "pack.json must hold a JSON object, not "+jsonKind(b[start]), `write {"name": ..., "version": ...}`)
		case errors.As(err, &se):
			line, col := newLineIndex(b).position(b, max(se.Offset-1, 0)) // Offset is just past the bad byte
			c.add("F1", file, line, col, "pack.json is not valid JSON: "+err.Error(), "fix the syntax (trailing commas and comments are not allowed in JSON)")
		default:
			c.add("F1", file, 1, 1, "pack.json is not valid JSON: "+err.Error(), "fix the syntax")
		}
		return
	}
	if raw == nil {
		c.add("F1", file, 1, 1, "pack.json must hold a JSON object, not null", `write {"name": ..., "version": ...}`)
		return
	}
	c.raw, c.idx, c.lines = b, indexJSON(b), newLineIndex(b)
	p := &Pack{Raw: raw}
	c.pack = p
	for _, f := range []struct {
		key string
		dst *string
	}{{"name", &p.Name}, {"displayName", &p.DisplayName}, {"version", &p.Version}, {"layer", &p.Layer}} {
		v, ok := raw[f.key]
		ptr := "/" + f.key
		switch s, isStr := v.(string); {
		case !ok:
			c.add("F5", file, 0, 0, fmt.Sprintf("required field %q is missing", f.key), fmt.Sprintf("add %q to pack.json", f.key))
		case !isStr:
			c.addAt("F5", ptr, fmt.Sprintf("field %q must be a string, not %s", f.key, jsonType(v)), fmt.Sprintf(`write "%s": "..."`, f.key))
		case strings.TrimSpace(s) == "":
			c.addAt("F5", ptr, fmt.Sprintf("field %q is empty", f.key), fmt.Sprintf("give %q a value", f.key))
		default:
			*f.dst = s
		}
	}
	if p.Name != "" && !nameRE.MatchString(p.Name) {
		c.addAt("N1", "/name", fmt.Sprintf("name %q is not a valid OCI repository name component", p.Name),
			"use lower-case letters and digits separated by '-', '.' or '_' (e.g. my-pack): the name becomes the repository .../spectro-packs/archive/<name>")
	}
	if p.Version != "" {
		ptr := "/version"
		if p.Version[0] == 'v' || p.Version[0] == 'V' {
			c.addAt("N3", ptr, fmt.Sprintf("version %q starts with %q", p.Version, p.Version[:1]), fmt.Sprintf("write %q: Palette versions carry no leading v", p.Version[1:]))
		}
		if !versionRE.MatchString(p.Version) {
			c.addAt("N2", ptr, fmt.Sprintf("version %q is not a valid OCI tag", p.Version),
				"use at most 128 letters, digits, '.', '_' and '-' (no '+' build metadata): the version becomes the tag")
		}
	}
	p.Charts = c.fileList("charts", "F11")
	p.KubeManifests = c.fileList("kubeManifests", "F12")
}

// fileList checks that every entry of the top-level array key names a
// regular file inside the pack, and returns the cleaned entries that do.
func (c *checker) fileList(key, rule string) []string {
	v := c.pack.Raw[key]
	if v == nil {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		c.addAt(rule, "/"+key, fmt.Sprintf("%q must be an array of file paths, not %s", key, jsonType(v)), fmt.Sprintf(`write "%s": ["path/in/pack"]`, key))
		return nil
	}
	var out []string
	for i, e := range arr {
		ptr := fmt.Sprintf("/%s/%d", key, i)
		s, ok := e.(string)
		if !ok {
			c.addAt(rule, ptr, fmt.Sprintf("%s[%d] must be a string, not %s", key, i, jsonType(e)), "write the file's path relative to the pack folder")
			continue
		}
		clean := path.Clean(s)
		if s == "" || path.IsAbs(s) || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(s, `\`) {
			c.addAt(rule, ptr, fmt.Sprintf("%s[%d] %q is not a path inside the pack", key, i, s), "use a relative path such as charts/app-1.0.0.tgz")
			continue
		}
		if msg := c.regular(clean); msg != "" {
			c.addAt(rule, ptr, fmt.Sprintf("%s[%d]: %s", key, i, msg), "add the file to the pack, or fix the path in pack.json")
			continue
		}
		out = append(out, clean)
	}
	return out
}

// valuesYAML checks that values.yaml exists and parses (F2).
func (c *checker) valuesYAML() {
	const file = "values.yaml"
	b, msg := c.read(file)
	if msg != "" {
		c.add("F2", file, 0, 0, msg, "add values.yaml (it may be empty) at the root of the pack folder")
		return
	}
	doc, err := parseYAML(b)
	if err != nil {
		fix := "fix the YAML syntax (indent with spaces, not tabs)"
		if errors.Is(err, errAliasBomb) {
			fix = "remove the anchors and aliases that multiply the document"
		}
		c.add("F2", file, yamlLine(err, b), 0, "values.yaml does not parse: "+err.Error(), fix)
		return
	}
	c.values = doc
}

// logo checks that logo.png exists (F3).
func (c *checker) logo() {
	if msg := c.regular("logo.png"); msg != "" {
		c.add("F3", "logo.png", 0, 0, msg, "add the pack's logo as logo.png at the root of the pack folder")
	}
}

// Guards against YAML alias bombs ("billion laughs"): yaml.v3 keeps aliases
// as pointers in a yaml.Node, so parsing is cheap, but anything that walks
// the tree expanding them is not.
const (
	maxYAMLNodes = 1_000_000 // nodes a document may expand to
	maxYAMLDepth = 1_000     // nesting, counting alias hops
)

var (
	errAliasBomb = fmt.Errorf("aliases expand to more than %d nodes", maxYAMLNodes)
	errYAMLDepth = fmt.Errorf("nesting is deeper than %d levels", maxYAMLDepth)
)

// parseYAML parses the first document of b with positions, after checking
// that no document of b expands beyond the guards.
func parseYAML(b []byte) (*yaml.Node, error) {
	if err := checkYAML(b); err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

// checkYAML parses every document of b and measures its expansion.
func checkYAML(b []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := expansion(&n, 0, map[*yaml.Node]int{}); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
	}
}

// expansion returns the number of nodes n stands for once aliases are
// expanded. It memoises per node, so the walk stays linear in the size of
// the document, and treats a cycle as unbounded.
func expansion(n *yaml.Node, depth int, memo map[*yaml.Node]int) (int, error) {
	if depth > maxYAMLDepth {
		return 0, errYAMLDepth
	}
	if v, ok := memo[n]; ok {
		if v < 0 {
			return 0, errAliasBomb // a cycle
		}
		return v, nil
	}
	memo[n] = -1
	total := 1
	kids := n.Content
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		kids = []*yaml.Node{n.Alias}
	}
	for _, k := range kids {
		v, err := expansion(k, depth+1, memo)
		if err != nil {
			return 0, err
		}
		if total += v; total > maxYAMLNodes {
			return 0, errAliasBomb
		}
	}
	memo[n] = total
	return total, nil
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// yamlLine extracts the line of a YAML error, clamped to the lines of b;
// 0 when unknown.
func yamlLine(err error, b []byte) int {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n := 0
	fmt.Sscan(m[1], &n)
	return min(n, bytes.Count(b, []byte("\n"))+1)
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
