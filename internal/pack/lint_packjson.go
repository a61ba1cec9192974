package pack

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/pack-publish/pack-publish/internal/spell"
)

// The rules on pack.json.

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

// Known values (Palette's pack.json reference: layer, addonType, cloudTypes).
var (
	// addonTypes are the documented categories and Palette's filter list.
	addonTypes = []string{"logging", "monitoring", "load balancer", "authentication", "ingress", "security",
		"servicemesh", "system app", "app services", "registry", "csi", "cni", "integration"}
	// addonTypeAliases are used by real packs Palette serves, outside those lists.
	addonTypeAliases = []string{"ai", "app-services"}
	knownCloudTypes  = []string{"all", "aws", "azure", "gcp", "vsphere", "openstack", "baremetal", "maas", "aks", "eks",
		"tke", "edge", "libvirt", "edge-native", "coxedge", "tencent", "custom"}
	knownKeys = []string{"name", "displayName", "version", "layer", "addonType", "addonSubType", "cloudTypes", "cloudType",
		"group", "eol", "annotations", "kubeManifests", "charts", "constraints", "ansibleRoles", "commit_msg", "kubeVersion", "readme"}
)

// packJSON parses pack.json (F1), checks the required fields (F5), the name
// (N1) and version (N2) that become the OCI reference, and the files that
// charts (F11) and kubeManifests (F12) list, once each (F17).
func (c *checker) packJSON() {
	const file = "pack.json"
	b, msg := c.read(file)
	if msg != "" {
		c.find("F1", file, 0, 0, msg, "every pack folder needs a pack.json file with name, displayName, version and layer")
		return
	}
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		c.find("F1", file, 1, 1, "pack.json starts with a UTF-8 byte order mark, which is not valid JSON", "save the file as UTF-8 without BOM")
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
			c.find("F1", file, line, col, "pack.json must hold a JSON object, not "+jsonKind(b[start]), `write {"name": ..., "version": ...}`)
		case errors.As(err, &se):
			line, col := newLineIndex(b).position(b, max(se.Offset-1, 0)) // Offset is just past the bad byte
			c.find("F1", file, line, col, "pack.json is not valid JSON: "+err.Error(), "fix the syntax (trailing commas and comments are not allowed in JSON)")
		default:
			c.find("F1", file, 1, 1, "pack.json is not valid JSON: "+err.Error(), "fix the syntax")
		}
		return
	}
	if raw == nil {
		c.find("F1", file, 1, 1, "pack.json must hold a JSON object, not null", `write {"name": ..., "version": ...}`)
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
			c.find("F5", file, 0, 0, fmt.Sprintf("required field %q is missing", f.key), fmt.Sprintf("add %q to pack.json", f.key))
		case !isStr:
			c.findAt("F5", ptr, fmt.Sprintf("field %q must be a string, not %s", f.key, jsonType(v)), fmt.Sprintf(`write "%s": "..."`, f.key))
		case strings.TrimSpace(s) == "":
			c.findAt("F5", ptr, fmt.Sprintf("field %q is empty", f.key), fmt.Sprintf("give %q a value", f.key))
		default:
			*f.dst = s
		}
	}
	if p.Name != "" && !validName(p.Name) {
		c.findAt("N1", "/name", fmt.Sprintf("name %q is not a valid OCI repository name component", p.Name),
			"use lower-case letters and digits separated by '-', '.' or '_' (e.g. my-pack): the name becomes the repository .../spectro-packs/archive/<name>")
	}
	if p.Version != "" && !validTag(p.Version) {
		c.findAt("N2", "/version", fmt.Sprintf("version %q is not a valid OCI tag", p.Version),
			"use at most 128 letters, digits, '.', '_' and '-' (no '+' build metadata): the version becomes the tag")
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
		c.findAt(rule, "/"+key, fmt.Sprintf("%q must be an array of file paths, not %s", key, jsonType(v)), fmt.Sprintf(`write "%s": ["path/in/pack"]`, key))
		return nil
	}
	var out []string
	first := map[string]int{} // cleaned entry -> index of its first listing
	for i, e := range arr {
		ptr := fmt.Sprintf("/%s/%d", key, i)
		s, ok := e.(string)
		if !ok {
			c.findAt(rule, ptr, fmt.Sprintf("%s[%d] must be a string, not %s", key, i, jsonType(e)), "write the file's path relative to the pack folder")
			continue
		}
		clean := path.Clean(s)
		if s == "" || path.IsAbs(s) || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(s, `\`) {
			c.findAt(rule, ptr, fmt.Sprintf("%s[%d] %q is not a path inside the pack", key, i, s), "use a relative path such as charts/app-1.0.0.tgz")
			continue
		}
		if j, dup := first[clean]; dup {
			c.findAt("F17", ptr, fmt.Sprintf("%s[%d] %q repeats %s[%d]", key, i, s, key, j), "list every file once")
			continue
		}
		first[clean] = i
		if msg := c.regular(clean); msg != "" {
			c.findAt(rule, ptr, fmt.Sprintf("%s[%d]: %s", key, i, msg), "add the file to the pack, or fix the path in pack.json")
			continue
		}
		out = append(out, clean)
	}
	return out
}

// addonType: addon packs should have one (F7), a known one (F8); other
// layers need none (F19).
func (c *checker) addonType() {
	p := c.pack
	addonType, _ := p.Raw["addonType"].(string)
	switch {
	case p.Layer == "addon" && strings.TrimSpace(addonType) == "":
		c.findAt("F7", "/layer", `the addon pack has no "addonType", so Palette files it under no category`, `add "addonType", e.g. "monitoring" or "system app"`)
	case addonType != "" && p.Layer != "addon" && p.Layer != "":
		c.findAt("F19", "/addonType", fmt.Sprintf("addonType is set on a %q pack; it only applies to addon packs", p.Layer), "remove addonType, or set layer to addon")
	case addonType != "" && !slices.Contains(addonTypes, addonType) && !slices.Contains(addonTypeAliases, addonType):
		c.findAt("F8", "/addonType", fmt.Sprintf("addonType %q is not one Palette knows", addonType), "use one of: "+strings.Join(addonTypes, ", "))
	}
}

// cloudTypes: present, non-empty and known (F9).
func (c *checker) cloudTypes() {
	ct, ok := c.pack.Raw["cloudTypes"].([]any)
	if !ok || len(ct) == 0 {
		c.findAt("F9", "/cloudTypes", `"cloudTypes" is missing or empty (the documentation marks it required)`, `add "cloudTypes": ["all"]`)
		return
	}
	for i, v := range ct {
		if s, ok := v.(string); ok && !slices.Contains(knownCloudTypes, s) {
			c.findAt("F9", fmt.Sprintf("/cloudTypes/%d", i), fmt.Sprintf("cloud type %q is not one Palette knows", s), "use one of: "+strings.Join(knownCloudTypes, ", "))
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
		c.find("F13", "pack.json", 0, 0, "the addon pack declares no charts and no kubeManifests", `list its charts ("charts": ["charts/x.tgz"]) or manifests ("kubeManifests": ["manifests/x.yaml"])`)
	}
}

// unknownKeys: top-level keys outside the documented ones, a misspelling
// of one (F14) or another extra (F15).
func (c *checker) unknownKeys() {
	for _, k := range slices.Sorted(maps.Keys(c.pack.Raw)) {
		if slices.Contains(knownKeys, k) {
			continue
		}
		ptr := "/" + escapePointer(k)
		if known := misspelled(k); known != "" {
			c.findAt("F14", ptr, fmt.Sprintf("field %q looks like a misspelling of %q, which Palette reads; this one it ignores", k, known), fmt.Sprintf("write %q", known))
			continue
		}
		c.findAt("F15", ptr, fmt.Sprintf("unknown field %q (Palette ignores it)", k), "remove it, or check the spelling against Palette's pack.json fields")
	}
}

// misspelled returns the documented field that k differs from only by case
// or by at most two edits (one for short names), or "".
func misspelled(k string) string {
	for _, known := range knownKeys {
		d := spell.Distance(strings.ToLower(k), strings.ToLower(known))
		if strings.EqualFold(k, known) || (d <= 2 && len(known) > 5) || (d == 1 && len(known) > 3) {
			return known
		}
	}
	return ""
}

// versionStyle: conventions Palette does not enforce on the name (N9) and
// version (N3, N4).
func (c *checker) versionStyle() {
	p := c.pack
	if p.Name != "" && validName(p.Name) && !simpleName.MatchString(p.Name) {
		c.findAt("N9", "/name", fmt.Sprintf("name %q uses '.' or '_'; pack-central names use '-' between words", p.Name), "separate words with '-'")
	}
	v := p.Version
	if v == "" || !validTag(v) {
		return
	}
	if v[0] == 'v' || v[0] == 'V' {
		c.findAt("N3", "/version", fmt.Sprintf("version %q starts with %q", v, v[:1]), fmt.Sprintf("write %q: versions are compared and shown without a leading v", v[1:]))
		v = v[1:]
	}
	if !IsSemVer(v) {
		c.findAt("N4", "/version", fmt.Sprintf("version %q is not a semantic version MAJOR.MINOR.PATCH", p.Version), "use a semantic version such as 1.2.0 if the vendor's scheme allows it")
	}
}

var simpleName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

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
		loc := leaf.InstanceLocation
		ptr := ""
		if len(loc) > 0 {
			ptr = "/" + strings.Join(escapeAll(loc), "/")
		}
		if reportedByCore(loc, leaf.ErrorKind.KeywordPath(), doc) {
			continue // F5, F11 and F12 report these with their own words
		}
		top := ""
		if len(loc) > 0 {
			top = loc[0]
		}
		rule := "F10"
		switch {
		case top == "layer":
			rule = "F6"
		case top == "constraints" && len(loc) > 1 && loc[1] == "dependencies":
			rule = "C1"
		case top == "constraints" && slices.Contains(loc, "components"):
			rule = "C5"
		case top == "constraints" && len(loc) > 1 && loc[1] == "resources":
			rule = "C3"
		}
		where := ptr
		if where == "" {
			where = "pack.json"
		}
		c.findAt(rule, ptr, fmt.Sprintf("%s: %s", where, leaf.ErrorKind.LocalizedString(printer)),
			"see the pack.json field table in Palette's documentation (Add a Custom Pack)")
	}
}

// reportedByCore reports whether a schema violation at loc (keyword path
// kw) is one the core rules of packJSON already report in their own words:
// the required fields (F5), a missing or empty layer (F5), and the charts
// and kubeManifests lists (F11, F12). A layer outside the enum is F6's.
func reportedByCore(loc, kw []string, doc any) bool {
	if len(loc) == 0 {
		return slices.Equal(kw, []string{"required"})
	}
	switch loc[0] {
	case "name", "displayName", "version", "charts", "kubeManifests":
		return true
	case "layer":
		return len(loc) == 1 && !isNonEmptyString(doc, "layer")
	}
	return false
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

// constraints checks what the schema cannot: dependency types (C8) and
// version ranges (C2, C7), units (C4) and parameter references (C6).
func (c *checker) constraints() {
	cons, _ := c.pack.Raw["constraints"].(map[string]any)
	deps, _ := cons["dependencies"].([]any)
	for i, d := range deps {
		dep, ok := d.(map[string]any)
		if !ok {
			continue // C1 reports it
		}
		minV, _ := dep["minVersion"].(string)
		maxV, _ := dep["maxVersion"].(string)
		ptr := fmt.Sprintf("/constraints/dependencies/%d", i)
		if _, ok := dep["type"]; !ok {
			c.findAt("C8", ptr, fmt.Sprintf("dependency %v has no type, which the documented schema requires", dep["packName"]),
				`add "type": "required" (or optional, notSupported, upgrade)`)
		}
		order, comparable := CompareVersions(minV, maxV)
		switch {
		case strings.TrimSpace(minV) == "" && strings.TrimSpace(maxV) == "":
			c.findAt("C7", ptr, fmt.Sprintf("dependency %v has neither minVersion nor maxVersion, so Palette skips its version check", dep["packName"]), "set minVersion and/or maxVersion")
		case comparable && order > 0:
			c.findAt("C2", ptr, fmt.Sprintf("dependency %v: minVersion %s is above maxVersion %s", dep["packName"], minV, maxV), "swap or fix the versions")
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
				c.findAt("C4", ptr, fmt.Sprintf("cpu minLimit %v looks like cores; Palette counts millicores", n), fmt.Sprintf("write %v for %v cores", n*1000, n))
			case typ == "memory" && n > 0 && n < 16:
				c.findAt("C4", ptr, fmt.Sprintf("memory minLimit %v looks like GiB; Palette counts MiB", n), fmt.Sprintf("write %v for %v GiB", n*1024, n))
			case typ == "diskSize" && n > 100000:
				c.findAt("C4", ptr, fmt.Sprintf("diskSize minLimit %v looks like MB or bytes; Palette counts GB", n), "give the size in GB")
			}
		}
		comps, _ := rm["components"].([]any)
		for j, comp := range comps {
			cm, _ := comp.(map[string]any)
			for _, key := range []string{"resourceRequestParamRef", "replicaCountParamRef"} {
				ref, _ := cm[key].(string)
				if ref != "" && c.values != nil && c.lookupWithPresets(ref) == nil {
					ptr := fmt.Sprintf("/constraints/resources/%d/components/%d/%s", i, j, key)
					c.findAt("C6", ptr, fmt.Sprintf("%s %q is not a path in values.yaml or a preset", key, ref), "point it at an existing values.yaml parameter (dotted path)")
				}
			}
		}
	}
}
