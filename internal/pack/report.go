package pack

import "fmt"

// maxPerRule bounds the findings kept per rule and file: a hostile
// pack.json with a million bad entries gives a readable report, not a
// million lines.
const maxPerRule = 20

// find records a finding of rule at its registered level.
func (c *checker) find(rule, file string, line, col int, msg, fix string) {
	c.report(Finding{Rule: rule, Severity: level(rule), File: file, Line: line, Column: col, Message: msg, Fix: fix})
}

// findAt records a finding in pack.json at a JSON pointer ("/charts/0"),
// or at its nearest indexed parent.
func (c *checker) findAt(rule, ptr, msg, fix string) {
	f := Finding{Rule: rule, Severity: level(rule), File: "pack.json", Message: msg, Fix: fix}
	if !c.full(rule, f.File) { // positions are only worked out for kept findings
		f.Line, f.Column = c.lines.position(c.raw, c.idx.at(ptr))
	}
	c.report(f)
}

// full reports whether rule has used up its findings in file.
func (c *checker) full(rule, file string) bool { return c.kept[rule+" "+file] >= maxPerRule }

func (c *checker) report(f Finding) {
	if c.opts.Ignore[f.Rule] {
		return
	}
	key := f.Rule + " " + f.File
	if c.kept[key] < maxPerRule {
		c.kept[key]++
		c.findings = append(c.findings, f)
		return
	}
	d := c.dropped[key]
	if d == nil {
		d = &dropped{first: f}
		c.dropped[key] = d
		c.droppedKeys = append(c.droppedKeys, key)
	}
	d.n++
}

// dropped sums up the findings of one rule and file over maxPerRule; they
// share the rule's one level.
type dropped struct {
	first Finding
	n     int
}

// finish appends one summary finding per rule and file that hit the cap.
func (c *checker) finish() []Finding {
	for _, key := range c.droppedKeys {
		d := c.dropped[key]
		c.findings = append(c.findings, Finding{Rule: d.first.Rule, Severity: d.first.Severity, File: d.first.File,
			Message: fmt.Sprintf("%d more %s findings in %s are not shown", d.n, d.first.Rule, d.first.File),
			Fix:     "fix the findings above and run again to see the rest"})
	}
	return c.findings
}
