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
// values.yaml).
const DefaultMaxFileSize = 4 << 20

// Pack is the parsed pack.json of one pack folder.
type Pack struct {
	Name          string
	DisplayName   string
	Version       string
	Layer         string
	Charts        []string
	KubeManifests []string
	Raw           map[string]any // every top-level field, for later rules
}

// Options for Load. The zero value is usable.
type Options struct {
	MaxFileSize int64 // 0: DefaultMaxFileSize
}

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$`)
	versionRE = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

// Load reads and validates the pack folder rooted at fsys. It returns the
// pack (nil when pack.json cannot be parsed) and every finding.
func Load(ctx context.Context, fsys fs.FS, opts Options) (*Pack, []Finding) {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	c := &checker{fsys: fsys, opts: opts}
	p := c.packJSON()
	values := c.valuesYAML()
	if msg := c.regular("logo.png"); msg != "" {
		c.add("F3", "logo.png", 0, 0, msg, "add the pack's logo as logo.png at the root of the pack folder")
	}
	if p != nil {
		c.lint(p, c.raw, c.idx, values)
	}
	return p, c.findings
}

type checker struct {
	fsys     fs.FS
	opts     Options
	findings []Finding
	raw      []byte    // pack.json
	idx      jsonIndex // positions in pack.json
}

func (c *checker) add(rule, file string, line, col int, msg, fix string) {
	c.findings = append(c.findings, Finding{Rule: rule, Severity: SeverityError, File: file, Line: line, Column: col, Message: msg, Fix: fix})
}

// regular explains why name is not a readable regular file inside the pack,
// or returns "".
func (c *checker) regular(name string) string {
	info, err := lstat(c.fsys, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return name + " is missing"
	case err != nil:
		return fmt.Sprintf("cannot read %s: %v", name, err)
	case info.IsDir():
		return name + " is a directory, not a file"
	case info.Mode()&fs.ModeSymlink != 0:
		// Links are checked by the archive scan; follow it here.
		target, err := fs.Stat(c.fsys, name)
		if err != nil || !target.Mode().IsRegular() {
			return name + " is a symlink that does not lead to a regular file"
		}
	case !info.Mode().IsRegular():
		return name + " is not a regular file"
	}
	return ""
}

func lstat(fsys fs.FS, name string) (fs.FileInfo, error) {
	if rl, ok := fsys.(fs.ReadLinkFS); ok {
		return rl.Lstat(name)
	}
	return fs.Stat(fsys, name)
}

// read returns a file's bytes, at most the size cap.
func (c *checker) read(name string) ([]byte, string) {
	if msg := c.regular(name); msg != "" {
		return nil, msg
	}
	f, err := c.fsys.Open(name)
	if err != nil {
		return nil, fmt.Sprintf("cannot read %s: %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, c.opts.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Sprintf("cannot read %s: %v", name, err)
	}
	if int64(len(b)) > c.opts.MaxFileSize {
		return nil, fmt.Sprintf("%s is larger than %d bytes", name, c.opts.MaxFileSize)
	}
	return b, ""
}

func (c *checker) packJSON() *Pack {
	const file = "pack.json"
	b, msg := c.read(file)
	if msg != "" {
		c.add("F1", file, 0, 0, msg, "every pack folder needs a pack.json file with name, displayName, version and layer")
		return nil
	}
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		c.add("F1", file, 1, 1, "pack.json starts with a UTF-8 byte order mark, which is not valid JSON", "save the file as UTF-8 without BOM")
		return nil
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		line, col := 1, 1
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col = position(b, se.Offset)
		case errors.As(err, &te):
			line, col = position(b, te.Offset)
			c.add("F1", file, line, col, "pack.json must hold a JSON object", `write {"name": ..., "version": ...}`)
			return nil
		}
		c.add("F1", file, line, col, "pack.json is not valid JSON: "+err.Error(), "fix the syntax (trailing commas and comments are not allowed in JSON)")
		return nil
	}
	if raw == nil {
		c.add("F1", file, 1, 1, "pack.json must hold a JSON object, not null", `write {"name": ..., "version": ...}`)
		return nil
	}
	idx := indexJSON(b)
	c.raw, c.idx = b, idx
	loc := func(key string) (int, int) { return position(b, idx.key(key)) }

	p := &Pack{Raw: raw}
	str := func(key string, dst *string) {
		v, ok := raw[key]
		line, col := loc(key)
		switch s, isStr := v.(string); {
		case !ok:
			c.add("F5", file, 0, 0, fmt.Sprintf("required field %q is missing", key), fmt.Sprintf("add %q to pack.json", key))
		case !isStr:
			c.add("F5", file, line, col, fmt.Sprintf("field %q must be a string, not %s", key, jsonType(v)), fmt.Sprintf(`write "%s": "..."`, key))
		case strings.TrimSpace(s) == "":
			c.add("F5", file, line, col, fmt.Sprintf("field %q is empty", key), fmt.Sprintf("give %q a value", key))
		default:
			*dst = s
		}
	}
	str("name", &p.Name)
	str("displayName", &p.DisplayName)
	str("version", &p.Version)
	str("layer", &p.Layer)

	if p.Name != "" && !nameRE.MatchString(p.Name) {
		line, col := loc("name")
		c.add("N1", file, line, col, fmt.Sprintf("name %q is not a valid OCI repository name component", p.Name),
			"use lower-case letters and digits separated by '-', '.' or '_' (e.g. my-pack): the name becomes the repository .../spectro-packs/archive/<name>")
	}
	if p.Version != "" {
		line, col := loc("version")
		switch {
		case p.Version[0] == 'v' || p.Version[0] == 'V':
			c.add("N3", file, line, col, fmt.Sprintf("version %q starts with %q", p.Version, p.Version[:1]), fmt.Sprintf("write %q: Palette versions carry no leading v", p.Version[1:]))
		case !versionRE.MatchString(p.Version):
			c.add("N2", file, line, col, fmt.Sprintf("version %q is not a valid OCI tag", p.Version),
				"use at most 128 letters, digits, '.', '_' and '-' (no '+' build metadata): the version becomes the tag")
		}
	}
	p.Charts = c.fileList(raw, idx, b, "charts", "F11")
	p.KubeManifests = c.fileList(raw, idx, b, "kubeManifests", "F12")
	return p
}

// fileList checks that every entry of a charts/kubeManifests array names a
// regular file inside the pack.
func (c *checker) fileList(raw map[string]any, idx jsonIndex, b []byte, key, rule string) []string {
	v, ok := raw[key]
	if !ok || v == nil {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		line, col := position(b, idx.key(key))
		c.add(rule, "pack.json", line, col, fmt.Sprintf("%q must be an array of file paths, not %s", key, jsonType(v)), fmt.Sprintf(`write "%s": ["path/in/pack"]`, key))
		return nil
	}
	var out []string
	for i, e := range arr {
		line, col := position(b, idx.elem(key, i))
		s, ok := e.(string)
		if !ok {
			c.add(rule, "pack.json", line, col, fmt.Sprintf("%s[%d] must be a string, not %s", key, i, jsonType(e)), "write the file's path relative to the pack folder")
			continue
		}
		clean := path.Clean(strings.TrimPrefix(s, "./"))
		switch {
		case s == "" || path.IsAbs(s) || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(s, `\`):
			c.add(rule, "pack.json", line, col, fmt.Sprintf("%s[%d] %q is not a path inside the pack", key, i, s), "use a relative path such as charts/app-1.0.0.tgz")
			continue
		}
		if msg := c.regular(clean); msg != "" {
			c.add(rule, "pack.json", line, col, fmt.Sprintf("%s[%d]: %s", key, i, msg), "add the file to the pack, or fix the path in pack.json")
			continue
		}
		out = append(out, clean)
	}
	return out
}

func (c *checker) valuesYAML() *yaml.Node {
	const file = "values.yaml"
	b, msg := c.read(file)
	if msg != "" {
		c.add("F2", file, 0, 0, msg, "add values.yaml (it may be empty) at the root of the pack folder")
		return nil
	}
	doc, err := parseYAML(b)
	if err != nil {
		fix := "fix the YAML syntax (indent with spaces, not tabs)"
		if errors.Is(err, errAliasBomb) {
			fix = "remove the anchors and aliases that multiply the document"
		}
		c.add("F2", file, yamlLine(err), 0, "values.yaml does not parse: "+err.Error(), fix)
		return nil
	}
	return doc
}

// maxYAMLNodes bounds the nodes a YAML document may expand to, against
// alias bombs ("billion laughs").
const maxYAMLNodes = 1_000_000

var errAliasBomb = fmt.Errorf("aliases expand to more than %d nodes", maxYAMLNodes)

// checkYAML parses every document of b, refusing documents whose aliases
// expand to more than maxYAMLNodes nodes.
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
		if count(&n, 0, map[*yaml.Node]int{}) > maxYAMLNodes {
			return fmt.Errorf("line %d: %w", n.Line, errAliasBomb)
		}
	}
}

// count returns the nodes n expands to, following aliases, memoised so that
// the walk itself stays linear.
func count(n *yaml.Node, depth int, memo map[*yaml.Node]int) int {
	if n == nil || depth > 1000 {
		return maxYAMLNodes + 1
	}
	if v, ok := memo[n]; ok {
		return v
	}
	memo[n] = maxYAMLNodes + 1 // a cycle counts as too many
	total := 1
	if n.Kind == yaml.AliasNode {
		total += count(n.Alias, depth+1, memo)
	}
	for _, c := range n.Content {
		total += count(c, depth+1, memo)
		if total > maxYAMLNodes {
			break
		}
	}
	memo[n] = total
	return total
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlLine(err error) int {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n := 0
	fmt.Sscan(m[1], &n)
	return n
}

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
