package pack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The full linter: the checklist of Palette's documentation and pack-central
// beyond the core rules of load.go. Severities follow the checklist: E rules
// are errors; W rules and P rules (pack-central policy) are warnings, which
// fail a pack only under strict mode.

//go:embed pack.schema.json
var packSchemaJSON []byte

var packSchema = sync.OnceValue(func() *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(packSchemaJSON))
	if err != nil {
		panic(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("pack.schema.json", doc); err != nil {
		panic(err)
	}
	return c.MustCompile("pack.schema.json")
})

var printer = message.NewPrinter(language.English)

// Known values (palette-packs.md §1.3).
var (
	knownAddonTypes = []string{"logging", "monitoring", "load balancer", "authentication", "ingress", "security",
		"servicemesh", "system app", "app services", "registry", "csi", "cni", "integration", "ai", "app-services"}
	knownCloudTypes = []string{"all", "aws", "azure", "gcp", "vsphere", "openstack", "baremetal", "maas", "aks", "eks",
		"tke", "edge", "libvirt", "edge-native", "coxedge", "tencent", "custom"}
	knownKeys = []string{"name", "displayName", "version", "layer", "addonType", "addonSubType", "cloudTypes", "cloudType",
		"group", "eol", "annotations", "kubeManifests", "charts", "constraints", "ansibleRoles", "commit_msg", "kubeVersion", "readme"}
	simpleName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	semverRE   = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
)

// lintChecks run after coreChecks when pack.json parsed (checker.pack is
// set; checker.values may be nil).
var lintChecks = []check{
	(*checker).schema,       // F6, F10, C1, C3, C5
	(*checker).readme,       // F4
	(*checker).addonType,    // F7, F8
	(*checker).cloudTypes,   // F9
	(*checker).deploys,      // F13
	(*checker).unknownKeys,  // F14
	(*checker).nameStyle,    // N1 (warning part)
	(*checker).semver,       // N4
	(*checker).constraints,  // C2, C4, C6
	(*checker).valuesLayout, // V1 to V6
	(*checker).schemaYAML,   // S1 to S3
	(*checker).presetsYAML,  // R1, R2
	(*checker).ownArchive,   // A2
}

// readme: README.md is optional in the docs but required by pack-central (F4).
func (c *checker) readme() {
	if msg := c.regular("README.md"); msg != "" {
		c.warn("F4", "README.md", 0, 0, msg+" (pack-central requires one)", "add a README.md describing the pack")
	}
}

// addonType: addon packs need one (F7); it should be a known one, on addon
// packs only (F8).
func (c *checker) addonType() {
	p := c.pack
	addonType, _ := p.Raw["addonType"].(string)
	switch {
	case p.Layer == "addon" && strings.TrimSpace(addonType) == "":
		c.addAt("F7", "/layer", `an addon pack needs a non-empty "addonType"`, `add "addonType", e.g. "monitoring" or "system app"`)
	case addonType != "" && p.Layer != "addon" && p.Layer != "":
		c.warnAt("F8", "/addonType", fmt.Sprintf("addonType is set on a %q pack; it only applies to addon packs", p.Layer), "remove addonType, or set layer to addon")
	case addonType != "" && !slices.Contains(knownAddonTypes, addonType):
		c.warnAt("F8", "/addonType", fmt.Sprintf("addonType %q is not one Palette knows", addonType), "use one of: "+strings.Join(knownAddonTypes[:13], ", "))
	}
}

// cloudTypes: present, non-empty and known (F9).
func (c *checker) cloudTypes() {
	ct, ok := c.pack.Raw["cloudTypes"].([]any)
	if !ok || len(ct) == 0 {
		c.warnAt("F9", "/cloudTypes", `"cloudTypes" is missing or empty (the documentation marks it required)`, `add "cloudTypes": ["all"]`)
		return
	}
	for i, v := range ct {
		if s, ok := v.(string); ok && !slices.Contains(knownCloudTypes, s) {
			c.warnAt("F9", fmt.Sprintf("/cloudTypes/%d", i), fmt.Sprintf("cloud type %q is not one Palette knows", s), "use one of: "+strings.Join(knownCloudTypes, ", "))
		}
	}
}

// deploys: an addon pack deploys a chart or a manifest (F13).
func (c *checker) deploys() {
	n := 0
	for _, key := range []string{"charts", "kubeManifests"} {
		switch v := c.pack.Raw[key].(type) {
		case nil:
		case []any:
			n += len(v)
		default:
			n++ // not an array: F11 or F12 reports it
		}
	}
	if c.pack.Layer == "addon" && n == 0 {
		c.warn("F13", "pack.json", 0, 0, "the addon pack declares no charts and no kubeManifests", `list its charts ("charts": ["charts/x.tgz"]) or manifests ("kubeManifests": ["manifests/x.yaml"])`)
	}
}

// unknownKeys: top-level keys outside the documented ones (F14).
func (c *checker) unknownKeys() {
	keys := slices.Sorted(maps.Keys(c.pack.Raw))
	for _, k := range keys {
		if slices.Contains(knownKeys, k) {
			continue
		}
		ptr := "/" + escapePointer(k)
		fix := "remove it, or check the spelling against Palette's pack.json fields"
		if strings.EqualFold(k, "kubeManifests") {
			fix = `write "kubeManifests" (lower-case k)`
		}
		c.warnAt("F14", ptr, fmt.Sprintf("unknown field %q", k), fix)
	}
}

// nameStyle: pack-central names use '-' only (N1, warning part).
func (c *checker) nameStyle() {
	if p := c.pack; p.Name != "" && nameRE.MatchString(p.Name) && !simpleName.MatchString(p.Name) {
		c.warnAt("N1", "/name", fmt.Sprintf("name %q uses '.' or '_'; pack-central names use '-' between words", p.Name), "separate words with '-'")
	}
}

// semver: the version should be a semantic version (N4).
func (c *checker) semver() {
	if v := c.pack.Version; v != "" && versionRE.MatchString(v) && !strings.HasPrefix(strings.ToLower(v), "v") && !semverRE.MatchString(v) {
		c.warnAt("N4", "/version", fmt.Sprintf("version %q is not a semantic version MAJOR.MINOR.PATCH", v), "use a semantic version such as 1.2.0")
	}
}

// ownArchive: a build output inside the pack would be archived with it (A2).
func (c *checker) ownArchive() {
	p := c.pack
	if p.Name == "" || p.Version == "" {
		return
	}
	if out := p.Name + "-" + p.Version + ".tar.gz"; c.regular(out) == "" {
		c.warn("A2", out, 0, 0, "the pack folder holds its own archive, which would be published inside the new one", "delete "+out+" and keep build outputs outside the pack folder")
	}
}

// schema validates pack.json against the JSON Schema written from the
// documented field table. Fields the core rules already report are skipped.
func (c *checker) schema() {
	raw := c.raw
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return // F1 reported it
	}
	var ve *jsonschema.ValidationError
	if err := packSchema().Validate(doc); !errors.As(err, &ve) {
		return
	}
	for _, leaf := range leaves(ve) {
		ptr := "/" + strings.Join(escapeAll(leaf.InstanceLocation), "/")
		if len(leaf.InstanceLocation) == 0 {
			ptr = ""
		}
		kw := strings.Join(leaf.ErrorKind.KeywordPath(), "/")
		top := ""
		if len(leaf.InstanceLocation) > 0 {
			top = leaf.InstanceLocation[0]
		}
		if slices.Contains([]string{"name", "displayName", "version"}, top) || (ptr == "" && kw == "required") ||
			(top == "layer" && len(leaf.InstanceLocation) == 1 && !isNonEmptyString(doc, "layer")) ||
			top == "charts" || top == "kubeManifests" {
			continue // F5, F11 and F12 report these with their own words
		}
		rule := "F10"
		switch {
		case top == "layer":
			rule = "F6"
		case top == "cloudTypes":
			rule = "F9"
		case top == "constraints" && len(leaf.InstanceLocation) > 1 && leaf.InstanceLocation[1] == "dependencies":
			rule = "C1"
		case top == "constraints" && slices.Contains(leaf.InstanceLocation, "components"):
			rule = "C5"
		case top == "constraints" && len(leaf.InstanceLocation) > 1 && leaf.InstanceLocation[1] == "resources":
			rule = "C3"
		}
		where := ptr
		if where == "" {
			where = "pack.json"
		}
		c.addAt(rule, ptr, fmt.Sprintf("%s: %s", where, leaf.ErrorKind.LocalizedString(printer)),
			"see the pack.json field table in Palette's documentation (Add a Custom Pack)")
	}
}

func isNonEmptyString(doc any, key string) bool {
	m, _ := doc.(map[string]any)
	s, ok := m[key].(string)
	return ok && strings.TrimSpace(s) != ""
}

func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

func escapeAll(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = escapePointer(t)
	}
	return out
}

// constraints checks what the schema cannot: version ranges, units and
// parameter references (C2, C4, C6).
func (c *checker) constraints() {
	values := c.values
	cons, _ := c.pack.Raw["constraints"].(map[string]any)
	deps, _ := cons["dependencies"].([]any)
	for i, d := range deps {
		dep, _ := d.(map[string]any)
		minV, _ := dep["minVersion"].(string)
		maxV, _ := dep["maxVersion"].(string)
		ptr := fmt.Sprintf("/constraints/dependencies/%d", i)
		switch {
		case strings.TrimSpace(minV) == "" && strings.TrimSpace(maxV) == "":
			c.warnAt("C2", ptr, fmt.Sprintf("dependency %v has neither minVersion nor maxVersion, so Palette skips its version check", dep["packName"]), "set minVersion and/or maxVersion")
		case minV != "" && maxV != "" && compareLoose(minV, maxV) > 0:
			c.warnAt("C2", ptr, fmt.Sprintf("dependency %v: minVersion %s is above maxVersion %s", dep["packName"], minV, maxV), "swap or fix the versions")
		}
	}
	res, _ := cons["resources"].([]any)
	for i, r := range res {
		rm, _ := r.(map[string]any)
		typ, _ := rm["type"].(string)
		ptr := fmt.Sprintf("/constraints/resources/%d", i)
		if n, ok := rm["minLimit"].(float64); ok {
			switch {
			case typ == "cpu" && n > 0 && n < 50:
				c.warnAt("C4", ptr, fmt.Sprintf("cpu minLimit %v looks like cores; Palette counts millicores", n), fmt.Sprintf("write %v for %v cores", n*1000, n))
			case typ == "memory" && n > 0 && n < 16:
				c.warnAt("C4", ptr, fmt.Sprintf("memory minLimit %v looks like GiB; Palette counts MiB", n), fmt.Sprintf("write %v for %v GiB", n*1024, n))
			case typ == "diskSize" && n > 100000:
				c.warnAt("C4", ptr, fmt.Sprintf("diskSize minLimit %v looks like MB or bytes; Palette counts GB", n), "give the size in GB")
			}
		}
		comps, _ := rm["components"].([]any)
		for j, comp := range comps {
			cm, _ := comp.(map[string]any)
			for _, key := range []string{"resourceRequestParamRef", "replicaCountParamRef"} {
				ref, _ := cm[key].(string)
				if ref != "" && values != nil && c.lookup(ref) == nil {
					ptr := fmt.Sprintf("/constraints/resources/%d/components/%d/%s", i, j, key)
					c.warnAt("C6", ptr, fmt.Sprintf("%s %q is not a path in values.yaml", key, ref), "point it at an existing values.yaml parameter (dotted path)")
				}
			}
		}
	}
}

// valuesLayout checks values.yaml's layout (V1 to V6).
func (c *checker) valuesLayout() {
	const file = "values.yaml"
	p, doc := c.pack, c.values
	if doc == nil {
		return
	}
	root := body(doc)
	if root != nil && root.Kind != yaml.MappingNode && !(root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
		c.add("V1", file, root.Line, root.Column, "the top level of values.yaml must be a mapping", "start with keys such as pack:, charts: and manifests:")
		return
	}
	if ns := c.lookup("pack.namespace"); ns != nil && (ns.Kind != yaml.ScalarNode || ns.Tag != "!!str") {
		c.warn("V2", file, ns.Line, ns.Column, "pack.namespace should be a string", "write pack: {namespace: my-namespace}")
	}
	for _, mf := range p.KubeManifests {
		key := strings.TrimSuffix(path.Base(mf), path.Ext(mf))
		if c.lookup("manifests."+key) == nil {
			c.warn("V3", file, 0, 0, fmt.Sprintf("no manifests.%s section for %s", key, mf), fmt.Sprintf("add manifests: {%s: {...}} to values.yaml (Palette matches it to the manifest's file name)", key))
		}
	}
	for _, ch := range p.Charts {
		name := c.chartName(ch)
		if name != "" && c.lookup("charts."+name) == nil {
			c.warn("V4", file, 0, 0, fmt.Sprintf("no charts.%s section for %s", name, ch), fmt.Sprintf("add charts: {%s: {...}} with the chart's values", name))
		}
	}
	if p.Layer != "os" && p.Layer != "k8s" {
		imgs := c.lookup("pack.content.images")
		if imgs == nil || imgs.Kind != yaml.SequenceNode || len(imgs.Content) == 0 {
			c.warn("V5", file, 0, 0, "pack.content.images lists no container images (pack-central policy: needed for image scanning and air-gapped mirrors)", "list the images under pack.content.images as - image: registry/repo:tag")
		}
	}
	c.indentation(file)
}

// indentation applies pack-central's values.yaml style (V6): no tabs,
// indentation in multiples of two.
func (c *checker) indentation(file string) {
	b, _ := c.read(file)
	inBlock := -1 // indentation of a block scalar being skipped
	for i, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimLeft(line, " ")
		ind := len(line) - len(trimmed)
		if inBlock >= 0 {
			if strings.TrimSpace(line) == "" || ind > inBlock {
				continue
			}
			inBlock = -1
		}
		if strings.HasPrefix(trimmed, "\t") {
			c.warn("V6", file, i+1, ind+1, "indentation with a tab", "indent with spaces")
			return
		}
		if trimmed != "" && !strings.HasPrefix(trimmed, "#") && ind%2 != 0 {
			c.warn("V6", file, i+1, 1, fmt.Sprintf("indentation of %d spaces, not a multiple of 2 (pack-central style)", ind), "indent by two spaces per level")
			return
		}
		if s := strings.TrimSpace(trimmed); strings.HasSuffix(s, "|") || strings.HasSuffix(s, ">") || strings.HasSuffix(s, "|-") || strings.HasSuffix(s, ">-") {
			inBlock = ind
		}
	}
}

// chartName reads the chart's name from Chart.yaml inside its .tgz,
// falling back to the file name without version and extension.
func (c *checker) chartName(file string) string {
	fallback := strings.TrimSuffix(strings.TrimSuffix(path.Base(file), ".tgz"), ".tar.gz")
	if i := strings.LastIndexByte(fallback, '-'); i > 0 && strings.ContainsAny(fallback[i+1:i+2], "0123456789") {
		fallback = fallback[:i]
	}
	f, err := c.fsys.Open(file)
	if err != nil {
		return fallback
	}
	defer f.Close()
	gz, err := gzip.NewReader(io.LimitReader(f, 256<<20))
	if err != nil {
		return fallback
	}
	tr := tar.NewReader(gz)
	for range 10000 {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if strings.Count(strings.Trim(h.Name, "/"), "/") == 1 && path.Base(h.Name) == "Chart.yaml" {
			var chart struct{ Name string }
			b, _ := io.ReadAll(io.LimitReader(tr, 1<<20))
			if yaml.Unmarshal(b, &chart) == nil && chart.Name != "" {
				return chart.Name
			}
		}
	}
	return fallback
}

var (
	schemaTemplate = regexp.MustCompile(`^\{\{\s*(.*?)\s*\}\}$`)
	formatPart     = regexp.MustCompile(`\$\{([a-z0-9]+)(?::([^}]*))?\}`)
	formatTypes    = []string{"string", "number", "boolean", "password", "list", "ipv4", "version"}
)

// schemaYAML checks schema.yaml (S1 to S3).
func (c *checker) schemaYAML() {
	const file = "schema.yaml"
	values := c.values
	doc, ok := c.yamlFile(file, "S1")
	if !ok {
		return
	}
	root := body(doc)
	if root == nil || (root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
		return
	}
	if root.Kind != yaml.MappingNode {
		c.add("S1", file, root.Line, root.Column, "schema.yaml must be a mapping of values.yaml paths to {schema: ...}", "write a.b.c: {schema: '{{ required }}'}")
		return
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		sch := mapValue(val, "schema")
		if sch == nil || sch.Kind != yaml.ScalarNode || sch.Tag != "!!str" {
			c.add("S1", file, key.Line, key.Column, fmt.Sprintf("%s has no string schema", key.Value), "give it schema: '{{ ... }}'")
			continue
		}
		if msg := checkTemplate(sch.Value); msg != "" {
			c.warn("S2", file, sch.Line, sch.Column, fmt.Sprintf("%s: %s", key.Value, msg), `use {{ required | readonly | format "${type}" | hints "..." }}`)
		}
		if values != nil && c.lookup(key.Value) == nil {
			c.warn("S3", file, key.Line, key.Column, fmt.Sprintf("%s is not a path in values.yaml", key.Value), "use the full dotted path of a values.yaml parameter ($[] for list items)")
		}
	}
}

// checkTemplate explains what is wrong with a schema template, or returns "".
func checkTemplate(s string) string {
	m := schemaTemplate.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "the schema is not wrapped in {{ }}"
	}
	for _, part := range strings.Split(m[1], "|") {
		part = strings.TrimSpace(part)
		word, rest, _ := strings.Cut(part, " ")
		switch word {
		case "required", "readonly":
		case "hints":
		case "format":
			f, err := strconv.Unquote(strings.TrimSpace(rest))
			if err != nil {
				return fmt.Sprintf("format %s is not a quoted string", rest)
			}
			parts := formatPart.FindAllStringSubmatch(f, -1)
			if len(parts) == 0 {
				return fmt.Sprintf("format %q has no ${type}", f)
			}
			for _, p := range parts {
				if !slices.Contains(formatTypes, p[1]) {
					return fmt.Sprintf("unknown format type %q", p[1])
				}
				if arg := p[2]; strings.HasPrefix(arg, "/") && strings.HasSuffix(arg, "/") && len(arg) > 1 {
					if _, err := regexp.Compile(arg[1 : len(arg)-1]); err != nil {
						return fmt.Sprintf("the regular expression %s does not compile: %v", arg, err)
					}
				} else if strings.HasPrefix(arg, "[") && p[1] == "number" {
					lo, hi, ok := strings.Cut(strings.Trim(arg, "[]"), "-")
					_, e1 := strconv.ParseFloat(lo, 64)
					_, e2 := strconv.ParseFloat(hi, 64)
					if !ok || e1 != nil || e2 != nil {
						return fmt.Sprintf("the range %s is not [low-high] of numbers", arg)
					}
				}
			}
		case "":
			return "an empty part between |"
		default:
			return fmt.Sprintf("unknown keyword %q", word)
		}
	}
	return ""
}

// presetsYAML checks presets.yaml (R1, R2).
func (c *checker) presetsYAML() {
	const file = "presets.yaml"
	doc, ok := c.yamlFile(file, "R1")
	if !ok {
		return
	}
	list := mapValue(body(doc), "presets")
	if list == nil || list.Kind != yaml.SequenceNode {
		c.add("R1", file, 1, 1, "presets.yaml needs a top-level presets: list", "write presets: followed by a list of presets")
		return
	}
	names := map[string]bool{}
	for _, item := range list.Content {
		name := mapValue(item, "name")
		if name == nil || name.Value == "" {
			c.add("R1", file, item.Line, item.Column, "a preset has no name", "give every preset a unique name")
			continue
		}
		if names[name.Value] {
			c.add("R1", file, name.Line, name.Column, fmt.Sprintf("preset name %q is used twice", name.Value), "give every preset a unique name")
		}
		names[name.Value] = true
		for _, key := range []string{"displayName", "group", "add"} {
			if v := mapValue(item, key); v == nil || v.Kind != yaml.ScalarNode {
				c.add("R1", file, item.Line, item.Column, fmt.Sprintf("preset %q has no %s string", name.Value, key), fmt.Sprintf("add %s: to the preset", key))
			}
		}
		if rm := mapValue(item, "remove"); rm == nil || rm.Kind != yaml.SequenceNode {
			c.add("R1", file, item.Line, item.Column, fmt.Sprintf("preset %q has no remove list", name.Value), "add remove: [] (values paths to drop)")
		}
		if add := mapValue(item, "add"); add != nil && add.Kind == yaml.ScalarNode {
			if err := checkYAML([]byte(add.Value)); err != nil {
				c.add("R2", file, add.Line, add.Column, fmt.Sprintf("preset %q: add is not valid YAML: %v", name.Value, err), "fix the YAML text under add: |")
			}
		}
	}
}

// yamlFile parses an optional YAML file; ok is false when it is absent or
// broken (a finding under rule is then recorded).
func (c *checker) yamlFile(file, rule string) (*yaml.Node, bool) {
	if _, err := lstat(c.fsys, file); err != nil {
		return nil, false
	}
	b, msg := c.read(file)
	if msg != "" {
		c.add(rule, file, 0, 0, msg, "fix or remove "+file)
		return nil, false
	}
	doc, err := parseYAML(b)
	if err != nil {
		c.add(rule, file, yamlLine(err, b), 0, file+" does not parse: "+err.Error(), "fix the YAML syntax")
		return nil, false
	}
	return doc, true
}

func body(doc *yaml.Node) *yaml.Node {
	if doc == nil || doc.Kind == 0 { // an empty file
		return nil
	}
	if doc != nil && doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return doc.Content[0]
	}
	if doc != nil && doc.Kind == yaml.DocumentNode {
		return nil
	}
	return doc
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// lookup follows a dotted path through values.yaml ("a.b.c"): a numeric
// segment indexes a list and "$[]" stands for any of its items. Mappings
// are indexed on first use, so that many lookups in a large file stay
// linear.
func (c *checker) lookup(dotted string) *yaml.Node {
	n := body(c.values)
	for seg := range strings.SplitSeq(dotted, ".") {
		if n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n == nil {
			return nil
		}
		switch n.Kind {
		case yaml.SequenceNode:
			if seg == "$[]" {
				if len(n.Content) == 0 {
					return n // an empty list: nothing below to check
				}
				n = n.Content[0]
				continue
			}
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		case yaml.MappingNode:
			keys, ok := c.mappings[n]
			if !ok {
				keys = map[string]*yaml.Node{}
				for i := len(n.Content) - 2; i >= 0; i -= 2 { // backwards: the first of duplicate keys wins
					keys[n.Content[i].Value] = n.Content[i+1]
				}
				c.mappings[n] = keys
			}
			n = keys[seg]
		default:
			return nil
		}
	}
	if n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// compareLoose compares dotted versions numerically where it can.
func compareLoose(a, b string) int {
	pa, pb := strings.Split(strings.TrimPrefix(a, "v"), "."), strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y string
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		nx, ex := strconv.Atoi(x)
		ny, ey := strconv.Atoi(y)
		switch {
		case ex == nil && ey == nil && nx != ny:
			return cmpInt(nx, ny)
		case (ex != nil || ey != nil) && x != y:
			return strings.Compare(x, y)
		}
	}
	return 0
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
