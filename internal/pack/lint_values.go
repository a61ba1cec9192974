package pack

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pack-publish/pack-publish/internal/spell"
)

// The rules on values.yaml.

// valuesYAML checks that values.yaml exists and parses (F2).
func (c *checker) valuesYAML() {
	const file = "values.yaml"
	b, msg := c.read(file)
	if msg != "" {
		c.find("F2", file, 0, 0, msg, "add values.yaml (it may be empty) at the root of the pack folder")
		return
	}
	doc, err := parseYAML(b)
	if err != nil {
		fix := "fix the YAML syntax (indent with spaces, not tabs)"
		if errors.Is(err, errAliasBomb) {
			fix = "remove the anchors and aliases that multiply the document"
		}
		c.find("F2", file, yamlLine(err, b), 0, "values.yaml does not parse: "+err.Error(), fix)
		return
	}
	c.values, c.valuesRaw = doc, b
}

// valuesLayout checks values.yaml's layout (V1 to V8).
func (c *checker) valuesLayout() {
	const file = "values.yaml"
	doc := c.values
	if doc == nil {
		return
	}
	root := body(doc)
	if root != nil && root.Kind != yaml.MappingNode && !isNull(root) {
		c.find("V1", file, root.Line, root.Column, "the top level of values.yaml must be a mapping", "start with keys such as pack:, charts: and manifests:")
		return
	}
	if ns := c.lookup("pack.namespace"); ns != nil && !isNull(ns) && (ns.Kind != yaml.ScalarNode || ns.Tag != "!!str") {
		c.find("V2", file, ns.Line, ns.Column, "pack.namespace should be a string", "write pack: {namespace: my-namespace}")
	}
	c.manifestSections(file)
	c.chartSections(file)
	c.contentShape(file)
	c.images(file)
	c.indentation(file)
}

// contentKeys are the keys read under pack.content: the images to scan and
// mirror, and the charts they come from.
var contentKeys = []string{"images", "charts"}

// contentShape: pack.content is a mapping of images: and charts: (V9). A
// list there (the image entries one level too high), a key of pack: moved
// into it, or a misspelled images:/charts: is reported; other keys are left
// alone, as Palette ignores them.
func (c *checker) contentShape(file string) {
	content := c.lookup("pack.content")
	if content == nil || isNull(content) {
		return
	}
	if content.Kind != yaml.MappingNode {
		msg, fix := "pack.content must be a mapping with images: (and charts:)", "write pack: {content: {images: [{image: registry/repo:tag}]}}"
		if content.Kind == yaml.SequenceNode {
			msg, fix = "pack.content is a list: the image entries belong under pack.content.images, which is empty", "indent the - image: entries under a new images: key of pack.content"
		}
		c.find("V9", file, content.Line, content.Column, msg, fix)
		return
	}
	packKeys := []string{"namespace", "namespaceLabels", "releaseNameOverride"}
	for i := 0; i+1 < len(content.Content); i += 2 {
		k := content.Content[i]
		switch {
		case slices.Contains(contentKeys, k.Value):
		case slices.Contains(packKeys, k.Value):
			msg := fmt.Sprintf("pack.content.%s is not read: %s belongs directly under pack:", k.Value, k.Value)
			if k.Value == "namespace" && c.lookup("pack.namespace") == nil {
				msg += ", so the pack deploys into the default namespace"
			}
			c.find("V9", file, k.Line, k.Column, msg, fmt.Sprintf("move %s: up one level, to pack.%s", k.Value, k.Value))
		default:
			for _, known := range contentKeys {
				if d := spell.Distance(strings.ToLower(k.Value), known); d > 0 && d <= 2 {
					c.find("V9", file, k.Line, k.Column, fmt.Sprintf("pack.content has the key %q, probably a misspelling of %q, which is what scanning and mirroring read", k.Value, known), fmt.Sprintf("rename %s: to %s:", k.Value, known))
					break
				}
			}
		}
	}
}

// valuesRef finds templates that read values: {{ .Values.x }}, {{ $.Values }}.
var valuesRef = regexp.MustCompile(`\{\{[^}]*\.Values\b`)

// manifestSections: a manifest templated with .Values needs its
// manifests.<name> section (V3).
func (c *checker) manifestSections(file string) {
	for _, mf := range c.pack.KubeManifests {
		key := strings.TrimSuffix(path.Base(mf), path.Ext(mf))
		if c.lookupWithPresets("manifests."+key) != nil {
			continue
		}
		if b, msg := c.read(mf); msg != "" || !valuesRef.Match(b) {
			continue // a plain manifest needs no values
		}
		c.find("V3", file, 0, 0, fmt.Sprintf("%s reads .Values but values.yaml has no manifests.%s section", mf, key),
			fmt.Sprintf("add manifests: {%s: {...}} to values.yaml (Palette matches it to the manifest's file name)", key))
	}
}

// chartSections: each chart's values sit under charts.<chart name>; a key
// there that names no chart is probably meant for one that has no section
// (V4); a chart without a section deploys with its defaults (V7).
func (c *checker) chartSections(file string) {
	if len(c.pack.Charts) == 0 {
		return
	}
	names := make([][]string, len(c.pack.Charts))
	var all []string
	for i, ch := range c.pack.Charts {
		names[i] = c.chartNames(ch)
		all = append(all, names[i]...)
	}
	var stray []string // keys under charts: that name no chart
	if m := c.lookup("charts"); m != nil && m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if k := m.Content[i].Value; !slices.Contains(all, k) && m.Content[i+1].Kind == yaml.MappingNode {
				stray = append(stray, k)
			}
		}
	}
	for i, ch := range c.pack.Charts {
		if slices.ContainsFunc(names[i], func(n string) bool { return c.lookupWithPresets("charts."+n) != nil }) {
			continue
		}
		name := names[i][0]
		if len(stray) > 0 {
			c.find("V4", file, 0, 0, fmt.Sprintf("no charts.%s section for %s (chart name %q), but %s no chart of the pack", name, ch, name, strayList(stray)),
				fmt.Sprintf("rename the section to charts.%s: Palette passes only that section to the chart", name))
			continue
		}
		c.find("V7", file, 0, 0, fmt.Sprintf("no charts.%s section for %s: the chart deploys with its own defaults", name, ch),
			fmt.Sprintf("add charts: {%s: {...}} with the values users may change", name))
	}
}

// strayList names the stray sections, the first few of them.
func strayList(stray []string) string {
	const shown = 3
	if len(stray) == 1 {
		return "charts." + stray[0] + " names"
	}
	s := "charts." + strings.Join(stray[:min(len(stray), shown)], ", charts.")
	if len(stray) > shown {
		s += fmt.Sprintf(" and %d more", len(stray)-shown)
	}
	return s + " name"
}

// imageKeys are the keys of a pack.content.images entry.
var imageKeys = []string{"image"}

// images: pack.content.images lists the pack's images (V5), each as
// image: <reference> (V8).
func (c *checker) images(file string) {
	imgs := c.lookup("pack.content.images")
	if imgs == nil || imgs.Kind != yaml.SequenceNode || len(imgs.Content) == 0 {
		if c.pack.Layer != "os" && c.pack.Layer != "k8s" {
			c.find("V5", file, 0, 0, "pack.content.images lists no container images (pack-central policy: needed for image scanning and air-gapped mirrors)", "list the images under pack.content.images as - image: registry/repo:tag")
		}
		if imgs != nil && imgs.Kind != yaml.SequenceNode && !isNull(imgs) {
			c.find("V8", file, imgs.Line, imgs.Column, "pack.content.images must be a list", "write images: followed by - image: registry/repo:tag items")
		}
		return
	}
	for i, item := range imgs.Content {
		if item.Kind != yaml.MappingNode {
			c.find("V8", file, item.Line, item.Column, fmt.Sprintf("pack.content.images[%d] is not an image: <reference> entry", i), "write - image: registry/repo:tag")
			continue
		}
		unknown := false
		for j := 0; j+1 < len(item.Content); j += 2 {
			if k := item.Content[j]; !slices.Contains(imageKeys, k.Value) {
				unknown = true
				c.find("V8", file, k.Line, k.Column, fmt.Sprintf("pack.content.images[%d] has the unknown key %q; scanning and mirroring read only image:", i, k.Value), `write "image:"`)
			}
		}
		img := mapValue(item, "image")
		if img == nil && unknown {
			continue // reported above
		}
		if img == nil || img.Kind != yaml.ScalarNode || strings.TrimSpace(img.Value) == "" || strings.ContainsAny(img.Value, " \t") {
			c.find("V8", file, item.Line, item.Column, fmt.Sprintf("pack.content.images[%d] has no image reference", i), "write - image: registry/repo:tag")
		}
	}
}

// indentation applies pack-central's values.yaml style (V6): no tabs,
// indentation in multiples of two.
func (c *checker) indentation(file string) {
	b := c.valuesRaw
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
			c.find("V6", file, i+1, ind+1, "indentation with a tab", "indent with spaces")
			return
		}
		if trimmed != "" && !strings.HasPrefix(trimmed, "#") && ind%2 != 0 {
			c.find("V6", file, i+1, 1, fmt.Sprintf("indentation of %d spaces, not a multiple of 2 (pack-central style)", ind), "indent by two spaces per level")
			return
		}
		if s := strings.TrimSpace(trimmed); strings.HasSuffix(s, "|") || strings.HasSuffix(s, ">") || strings.HasSuffix(s, "|-") || strings.HasSuffix(s, ">-") {
			inBlock = ind
		}
	}
}
