package pack

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The rules on schema.yaml.

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
	if root == nil || isNull(root) {
		return
	}
	if root.Kind != yaml.MappingNode {
		c.find("S1", file, root.Line, root.Column, "schema.yaml must be a mapping of values.yaml paths to {schema: ...}", "write a.b.c: {schema: '{{ required }}'}")
		return
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		sch := mapValue(val, "schema")
		if sch == nil || sch.Kind != yaml.ScalarNode || sch.Tag != "!!str" {
			c.find("S1", file, key.Line, key.Column, fmt.Sprintf("%s has no string schema", key.Value), "give it schema: '{{ ... }}'")
			continue
		}
		if msg := checkTemplate(sch.Value); msg != "" {
			c.find("S2", file, sch.Line, sch.Column, fmt.Sprintf("%s: %s", key.Value, msg), `use {{ required | readonly | format "${type}" | hints "..." }}`)
		}
		if values != nil && c.lookupWithPresets(key.Value) == nil {
			c.find("S3", file, key.Line, key.Column, fmt.Sprintf("%s is not a path in values.yaml or in a preset's add", key.Value), "use the full dotted path of a values.yaml parameter ($[] for list items)")
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
			// The documentation's own examples hold regular expressions
			// such as /size=\d+/ between the quotes, so the text is taken
			// as it is, not unescaped as a Go string.
			f, ok := quoted(strings.TrimSpace(rest))
			if !ok {
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

// quoted returns the text between the double quotes that enclose s.
func quoted(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	return s[1 : len(s)-1], true
}
