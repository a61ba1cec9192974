package textsafe

import (
	"html"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain", "packs/hello-universe: pushed", "packs/hello-universe: pushed"},
		{"non-ASCII and emoji kept", "pâck ✅ 🏳️‍🌈", "pâck ✅ 🏳️‍🌈"},
		{"newline injects no line", "b\n::error title=X::y", `b\n::error title=X::y`},
		{"carriage return", "a\rb", `a\rb`},
		{"tab", "a\tb", `a\tb`},
		{"ANSI erase and hyperlink", "\x1b[2K\x1b[1AJob succeeded\x1b]8;;https://attacker.example\aclick\x1b]8;;\a",
			`\x1b[2K\x1b[1AJob succeeded\x1b]8;;https://attacker.example\x07click\x1b]8;;\x07`},
		{"8-bit CSI", "a\u009b2Kb", `a\u009b2Kb`},
		{"DEL and NUL", "a\x7f\x00b", `a\x7f\x00b`},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"bidi override", "evil\u202egpj.exe", `evil\u202egpj.exe`},
		{"zero-width space and BOM", "a\u200bb\ufeff", `a\u200bb\ufeff`},
		{"line separator", "a\u2028b", `a\u2028b`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Line(tc.in); got != tc.want {
				t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestWorkflow(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"ordinary", "packs/a: pushed r/a:1 sha256:00", "packs/a: pushed r/a:1 sha256:00"},
		{"stop-commands folder", "::stop-commands::tok: dry-run", `:\:stop-commands::tok: dry-run`},
		{"leading white space is trimmed by the runner", " \u00a0\u3000::add-mask::x", " \u00a0\u3000:\\:add-mask::x"},
		{"newline then command", "packs/b\n::error title=INJECTED::x", `packs/b\n::error title=INJECTED::x`},
		{"legacy command anywhere", "msg ##[add-mask]1.0.0 and ##[error]x", `msg ##\[add-mask]1.0.0 and ##\[error]x`},
		{"double colon inside is fine", "a::b", "a::b"},
		{"tab before command", "\t::warning::x", `\t::warning::x`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Workflow(tc.in); got != tc.want {
				t.Errorf("Workflow(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"placeholder survives", "…/spectro-packs/archive/<name>", `…/spectro-packs/archive/&lt;name&gt;`},
		{"image and link", "<img src=https://a.example/t.png> [Pack approved](https://a.example/login)",
			`&lt;img src=https\://a.example/t.png&gt; \[Pack approved\]\(https\://a.example/login\)`},
		{"markdown image", "![x](https://a.example/t.png)", `\!\[x\]\(https\://a.example/t.png\)`},
		{"backtick closes no span", "a`b", "a\\`b"},
		{"pipe keeps the table", "a | b", `a \| b`},
		{"newline stays on the line", "packs/b\n::error", `packs/b\\n\:\:error`},
		{"entity is shown, not decoded", "&lt; &amp;", "&amp;lt; &amp;amp;"},
		{"emphasis and math", "*a* _b_ ~c~ $x$", `\*a\* \_b\_ \~c\~ \$x\$`},
		{"ANSI", "\x1b[31mred", `\\x1b\[31mred`},
		{"no autolinks or mentions", "https://a.example www.b.example WWW.c mail@d.example @org/team", `https\://a.example www\.b.example WWW\.c mail\@d.example \@org/team`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Markdown(tc.in); got != tc.want {
				t.Errorf("Markdown(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if got, want := MarkdownCode("<name>"), "<code>&lt;name&gt;</code>"; got != want {
		t.Errorf("MarkdownCode = %q, want %q", got, want)
	}
	if got := MarkdownCode(""); got != "" {
		t.Errorf("MarkdownCode(\"\") = %q, want empty", got)
	}
}

// checkLine is the property every quoted line has.
func checkLine(t *testing.T, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("Line(%q) = %q: invalid UTF-8", in, out)
	}
	for _, r := range out {
		if unsafeRune(r) {
			t.Fatalf("Line(%q) = %q: keeps %U", in, out, r)
		}
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "a\nb", "\x1b[2K", "\xff", "\u202e", "::x", "a\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Line(s)
		checkLine(t, s, out)
		if again := Line(out); again != out {
			t.Fatalf("Line is not idempotent: %q -> %q -> %q", s, out, again)
		}
		if !needsQuoting(s) && out != s {
			t.Fatalf("Line(%q) = %q changed safe text", s, out)
		}
	})
}

func FuzzWorkflow(f *testing.F) {
	for _, s := range []string{"::stop-commands::x", " \u00a0::x", "##[add-mask]x", "a\n::error::x", "::", ":::", "##[##["} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Workflow(s)
		checkLine(t, s, out)
		if strings.HasPrefix(strings.TrimLeftFunc(out, unicode.IsSpace), "::") {
			t.Fatalf("Workflow(%q) = %q starts a workflow command", s, out)
		}
		if strings.Contains(out, "##[") {
			t.Fatalf("Workflow(%q) = %q holds a legacy command", s, out)
		}
	})
}

// unescapeMarkdown reverses Markdown: what a renderer shows.
func unescapeMarkdown(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return html.UnescapeString(b.String())
}

func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{"<img src=x>", "[a](b)", "a`b", "a|b", "\\", "&amp;", "a\nb", "<!-- x", "$x$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Markdown(s)
		checkLine(t, s, out)
		if strings.ContainsAny(out, `<>"`) {
			t.Fatalf("Markdown(%q) = %q holds raw HTML characters", s, out)
		}
		for i := 0; i < len(out); i++ {
			if out[i] == '\\' {
				i++ // the escaped character
				continue
			}
			if strings.IndexByte("`*_[]()!|~#{}$:@", out[i]) >= 0 {
				t.Fatalf("Markdown(%q) = %q: %q at %d is not escaped", s, out, out[i], i)
			}
			if out[i] == '&' && !(strings.HasPrefix(out[i:], "&lt;") || strings.HasPrefix(out[i:], "&gt;") ||
				strings.HasPrefix(out[i:], "&amp;") || strings.HasPrefix(out[i:], "&quot;")) {
				t.Fatalf("Markdown(%q) = %q: bare & at %d", s, out, i)
			}
		}
		if got := unescapeMarkdown(out); got != Line(s) {
			t.Fatalf("Markdown(%q) renders as %q, want %q", s, got, Line(s))
		}
	})
}

func FuzzHTML(f *testing.F) {
	for _, s := range []string{"<summary>", "a&b", `"'`, "\x1b[2K"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := HTML(s)
		checkLine(t, s, out)
		if strings.ContainsAny(out, `<>"'`) {
			t.Fatalf("HTML(%q) = %q holds raw HTML characters", s, out)
		}
		if got := html.UnescapeString(out); got != Line(s) {
			t.Fatalf("HTML(%q) shows %q, want %q", s, got, Line(s))
		}
	})
}
