package config

import (
	"fmt"
	"strings"
)

// InputsTable renders the README's inputs table from the spec.
func (s Spec) InputsTable() string {
	var b strings.Builder
	b.WriteString("| input | default | description |\n|---|---|---|\n")
	for _, in := range s.Inputs {
		def := ""
		if in.Default != "" {
			def = "`" + in.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", in.Name, def, cell(in.Description))
	}
	return b.String()
}

// OutputsTable renders the README's outputs table from the spec.
func (s Spec) OutputsTable() string {
	var b strings.Builder
	b.WriteString("| output | description |\n|---|---|\n")
	for _, o := range s.Outputs {
		fmt.Fprintf(&b, "| `%s` | %s |\n", o.Name, cell(o.Description))
	}
	return b.String()
}

func cell(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(strings.ReplaceAll(s, "\n", " ")), "|", `\|`)
}
