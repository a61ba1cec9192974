package pack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YAML helpers shared by the checks of values.yaml, schema.yaml and
// presets.yaml: guarded parsing and path lookups.

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
// that no document of b expands beyond the guards. Each document is decoded
// once.
func parseYAML(b []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var first *yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if _, err := expansion(&n, 0, map[*yaml.Node]int{}); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		if first == nil {
			first = &n
		}
	}
	if first == nil {
		return &yaml.Node{}, nil // no document: an empty file
	}
	return first, nil
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

// yamlFile parses an optional YAML file; ok is false when it is absent or
// broken (a finding under rule is then recorded).
func (c *checker) yamlFile(file, rule string) (*yaml.Node, bool) {
	if _, err := lstat(c.fsys, file); err != nil {
		return nil, false
	}
	b, msg := c.read(file)
	if msg != "" {
		c.find(rule, file, 0, 0, msg, "fix or remove "+file)
		return nil, false
	}
	doc, err := parseYAML(b)
	if err != nil {
		c.find(rule, file, yamlLine(err, b), 0, file+" does not parse: "+err.Error(), "fix the YAML syntax")
		return nil, false
	}
	return doc, true
}

// body returns the top node of a parsed document, nil for an empty one.
func body(doc *yaml.Node) *yaml.Node {
	switch {
	case doc == nil || doc.Kind == 0: // an empty file
		return nil
	case doc.Kind == yaml.DocumentNode:
		if len(doc.Content) == 0 {
			return nil
		}
		return doc.Content[0]
	}
	return doc
}

// isNull reports an empty or null YAML value (namespace:, namespace: ~),
// which Palette treats like a key that is not there.
func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

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
func (c *checker) lookup(dotted string) *yaml.Node { return c.lookupIn(c.values, dotted) }

// lookupWithPresets follows a dotted path through values.yaml and, when it
// is not there, through the add: block of each preset, which Palette merges
// into the values when the preset is chosen.
func (c *checker) lookupWithPresets(dotted string) *yaml.Node {
	if n := c.lookup(dotted); n != nil {
		return n
	}
	for _, add := range c.presetAdds {
		if n := c.lookupIn(add, dotted); n != nil {
			return n
		}
	}
	return nil
}

// lookupIn follows a dotted path through the YAML document doc.
func (c *checker) lookupIn(doc *yaml.Node, dotted string) *yaml.Node {
	n := body(doc)
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
