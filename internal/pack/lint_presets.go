package pack

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The rules on presets.yaml.

// presetsYAML checks presets.yaml (R1, R2) and keeps the parsed add:
// blocks, which the checks of values paths look into.
func (c *checker) presetsYAML() {
	const file = "presets.yaml"
	doc, ok := c.yamlFile(file, "R1")
	if !ok {
		return
	}
	root := body(doc)
	if root == nil || isNull(root) {
		return // an empty presets.yaml, like an empty schema.yaml, offers nothing
	}
	list := mapValue(root, "presets")
	if list == nil || list.Kind != yaml.SequenceNode {
		c.find("R1", file, root.Line, root.Column, "presets.yaml needs a top-level presets: list", "write presets: followed by a list of presets")
		return
	}
	c.presetIDs = []string{} // the pack has presets (R3 checks the defaults against them)
	names := map[string]bool{}
	for _, item := range list.Content {
		name := mapValue(item, "name")
		if name == nil || name.Kind != yaml.ScalarNode || name.Value == "" {
			c.find("R1", file, item.Line, item.Column, "a preset has no name", "give every preset a unique name")
			continue
		}
		if names[name.Value] {
			c.find("R1", file, name.Line, name.Column, fmt.Sprintf("preset name %q is used twice", name.Value), "give every preset a unique name")
		}
		names[name.Value] = true
		if g := mapValue(item, "group"); g != nil && g.Kind == yaml.ScalarNode {
			c.presetIDs = append(c.presetIDs, g.Value+":"+name.Value)
		}
		for _, key := range []string{"displayName", "group"} {
			if v := mapValue(item, key); v == nil || v.Kind != yaml.ScalarNode || v.Value == "" {
				c.find("R1", file, item.Line, item.Column, fmt.Sprintf("preset %q has no %s", name.Value, key), fmt.Sprintf("add %s: to the preset", key))
			}
		}
		rm, add := mapValue(item, "remove"), mapValue(item, "add")
		if rm != nil && rm.Kind != yaml.SequenceNode && !isNull(rm) {
			c.find("R1", file, rm.Line, rm.Column, fmt.Sprintf("preset %q: remove must be a list of values paths", name.Value), "write remove: [a.b.c] (or remove: [])")
		}
		switch {
		case add == nil && rm == nil:
			c.find("R1", file, item.Line, item.Column, fmt.Sprintf("preset %q has neither add nor remove, so choosing it changes nothing", name.Value), "add the values it sets under add: |")
		case add != nil && add.Kind != yaml.ScalarNode:
			c.find("R1", file, add.Line, add.Column, fmt.Sprintf("preset %q: add must be YAML text (add: |)", name.Value), "write add: | followed by the indented YAML")
		case add != nil:
			c.presetAdd(file, name.Value, add)
		}
	}
}

// presetAdd checks that a preset's add text is a YAML mapping (R2) and
// keeps it.
func (c *checker) presetAdd(file, preset string, add *yaml.Node) {
	doc, err := parseYAML([]byte(add.Value))
	if err != nil {
		c.find("R2", file, add.Line, add.Column, fmt.Sprintf("preset %q: add is not valid YAML: %v", preset, err), "fix the YAML text under add: |")
		return
	}
	root := body(doc)
	if root == nil || isNull(root) {
		return
	}
	if root.Kind != yaml.MappingNode {
		c.find("R2", file, add.Line, add.Column, fmt.Sprintf("preset %q: add must be a mapping of values to merge", preset), "write add: | followed by keys such as charts: or manifests:")
		return
	}
	c.presetAdds = append(c.presetAdds, doc)
}

// enabledPresetsRE finds the values.yaml comment that selects presets by
// default: "# spectrocloud.com/enabled-presets: Backend:disable-api".
var enabledPresetsRE = regexp.MustCompile(`(?m)^\s*#\s*spectrocloud\.com/enabled-presets:(.*)$`)

// enabledPresets: the presets values.yaml selects by default exist (R3).
func (c *checker) enabledPresets() {
	const file = "values.yaml"
	if c.values == nil || c.presetIDs == nil {
		return // without presets, Palette has nothing to select: a leftover comment is harmless
	}
	b := c.valuesRaw
	for _, m := range enabledPresetsRE.FindAllSubmatchIndex(b, -1) {
		line := bytes.Count(b[:m[0]], []byte("\n")) + 1
		for id := range strings.SplitSeq(string(b[m[2]:m[3]]), ",") {
			id = strings.TrimSpace(id)
			if id == "" || slices.Contains(c.presetIDs, id) {
				continue
			}
			c.find("R3", file, line, 0, fmt.Sprintf("the default preset %q (group:name) is not in presets.yaml, so no preset is selected", id),
				"name a preset of presets.yaml as <group>:<name>, e.g. Backend:disable-api")
		}
	}
}
