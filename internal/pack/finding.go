package pack

import "fmt"

// Severity says what a finding does to its pack.
type Severity string

const (
	// SeverityError fails the pack: it is reported as invalid and not published.
	SeverityError Severity = "error"
	// SeverityWarning is very likely a mistake that Palette accepts: it
	// fails the pack only under strict mode.
	SeverityWarning Severity = "warning"
	// SeverityNotice is a convention the pack does not follow: it is
	// reported and never fails the pack.
	SeverityNotice Severity = "notice"
)

// Finding is one validation problem in one file of a pack.
//
// File is relative to the pack folder and slash-separated ("pack.json",
// "charts/app.tgz"); the pipeline prefixes it with the pack's workspace path
// before it is shown. Line and Column are 1-based and zero when unknown.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
}

// String renders the finding as "file:line:col: rule: message (fix: ...)".
func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc += fmt.Sprintf(":%d", f.Line)
		if f.Column > 0 {
			loc += fmt.Sprintf(":%d", f.Column)
		}
	}
	s := fmt.Sprintf("%s: %s %s: %s", loc, f.Severity, f.Rule, f.Message)
	if f.Fix != "" {
		s += " (fix: " + f.Fix + ")"
	}
	return s
}

// HasErrors reports whether any finding is an error, or, when strict is set,
// a warning. Notices never count.
func HasErrors(findings []Finding, strict bool) bool {
	for _, f := range findings {
		if f.Severity == SeverityError || (strict && f.Severity == SeverityWarning) {
			return true
		}
	}
	return false
}
