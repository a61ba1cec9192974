// Package textsafe neutralises untrusted text (folder and file names,
// pack.json and YAML content, registry error bodies) before a front end
// prints it: on a terminal or in a CI log it cannot move the cursor, erase
// lines, hide a hyperlink, start a new line, or issue a GitHub workflow
// command; in a step summary it cannot inject HTML, links, images or table
// cells.
package textsafe

import (
	"fmt"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s as one inert line: every control character (C0, DEL, C1,
// so also the ESC that starts an ANSI sequence), line and paragraph
// separator, invisible formatting character (bidi overrides, zero-width
// spaces, BOM) and invalid UTF-8 byte is quoted Go-style (\n, \x1b,
// \u202e). Printable text, including non-ASCII letters and emoji, is kept.
func Line(s string) string {
	if !needsQuoting(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unsafeRune(r) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsQuoting(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || unsafeRune(r) {
			return true
		}
		i += size
	}
	return false
}

// unsafeRune reports whether r must not reach a terminal or log raw.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r < 0xa0: // C0, DEL, C1 (0x9b is an 8-bit CSI)
		return true
	case r == '\u2028', r == '\u2029': // line and paragraph separators
		return true
	case r == '\u200d': // zero-width joiner: part of many emoji, harmless
		return false
	case unicode.Is(unicode.Cf, r): // bidi overrides, zero-width spaces, BOM
		return true
	}
	return false
}

// Workflow returns s as one line that a GitHub runner cannot read as a
// workflow command: it is quoted as Line does (so it cannot start a new
// line), a leading "::" (the runner trims leading white space first) becomes
// ":\:", and every "##[" (the legacy command prefix, which the runner finds
// anywhere in a line) becomes "##\[".
func Workflow(s string) string {
	s = Line(s)
	rest := strings.TrimLeftFunc(s, unicode.IsSpace)
	if strings.HasPrefix(rest, "::") {
		s = s[:len(s)-len(rest)] + `:\:` + rest[2:]
	}
	return strings.ReplaceAll(s, "##[", `##\[`)
}

// Markdown returns s as inline Markdown text that renders literally (GitHub
// Flavored Markdown, also inside a table cell or an HTML element such as
// <code> or <summary>): control characters are quoted as Line does, so s
// stays on one line; '<', '>', '&' and '"' become HTML entities, so no tag,
// comment or entity can start; Markdown punctuation (links, images,
// emphasis, code spans, table pipes, escapes) is backslash-escaped; and so
// are ':' and '@' and the dot of "www.", so GFM makes no link of a URL, an
// e-mail address or a www. host, and GitHub no @mention.
func Markdown(s string) string {
	s = Line(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range s {
		if r == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www") {
			b.WriteString(`\.`)
			continue
		}
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\\', '`', '*', '_', '[', ']', '(', ')', '!', '|', '~', '#', '{', '}', '$', ':', '@':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// MarkdownCode is Markdown in a <code> element: monospace, yet escaped (a
// Markdown code span cannot hold an entity, so "<name>" would be lost).
func MarkdownCode(s string) string {
	if s == "" {
		return ""
	}
	return "<code>" + Markdown(s) + "</code>"
}

// HTML returns s quoted as Line does and HTML-escaped, for text inside raw
// HTML where Markdown is not parsed (a <summary> line of a <details> block):
// there a backslash escape would show, and only entities work.
func HTML(s string) string { return html.EscapeString(Line(s)) }
