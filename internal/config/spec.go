package config

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Spec is the list of inputs and outputs declared in action.yml, the one place
// where they are defined. Flags, environment variables and the README tables
// are all derived from it.
type Spec struct {
	Inputs  []Input
	Outputs []Output
}

// Input is one declared input.
type Input struct {
	Name        string
	Description string
	Default     string
}

// Output is one declared output.
type Output struct {
	Name        string
	Description string
}

// ParseSpec reads the inputs and outputs of an action.yml, keeping their
// order of declaration.
func ParseSpec(actionYAML []byte) (Spec, error) {
	var doc struct {
		Inputs  yaml.Node `yaml:"inputs"`
		Outputs yaml.Node `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(actionYAML, &doc); err != nil {
		return Spec{}, fmt.Errorf("parsing action.yml: %w", err)
	}
	var spec Spec
	err := eachEntry(&doc.Inputs, func(name string, n *yaml.Node) error {
		var in struct {
			Description string `yaml:"description"`
			Default     string `yaml:"default"`
		}
		if err := n.Decode(&in); err != nil {
			return fmt.Errorf("parsing action.yml input %q: %w", name, err)
		}
		spec.Inputs = append(spec.Inputs, Input{Name: name, Description: in.Description, Default: in.Default})
		return nil
	})
	if err != nil {
		return Spec{}, err
	}
	err = eachEntry(&doc.Outputs, func(name string, n *yaml.Node) error {
		var out struct {
			Description string `yaml:"description"`
		}
		if err := n.Decode(&out); err != nil {
			return fmt.Errorf("parsing action.yml output %q: %w", name, err)
		}
		spec.Outputs = append(spec.Outputs, Output{Name: name, Description: out.Description})
		return nil
	})
	if err != nil {
		return Spec{}, err
	}
	if len(spec.Inputs) == 0 {
		return Spec{}, fmt.Errorf("parsing action.yml: no inputs declared")
	}
	return spec, nil
}

func eachEntry(m *yaml.Node, fn func(string, *yaml.Node) error) error {
	if m.Kind == 0 {
		return nil
	}
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("parsing action.yml: line %d: expected a mapping", m.Line)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if err := fn(m.Content[i].Value, m.Content[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// Input returns the declared input with that name.
func (s Spec) Input(name string) (Input, bool) {
	i := slices.IndexFunc(s.Inputs, func(in Input) bool { return in.Name == name })
	if i < 0 {
		return Input{}, false
	}
	return s.Inputs[i], true
}

// boolInput reports whether an input is declared as a boolean (its default is
// "true" or "false").
func (in Input) boolInput() bool { return in.Default == "true" || in.Default == "false" }
