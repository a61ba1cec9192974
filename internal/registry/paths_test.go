package registry

import (
	"strings"
	"testing"
)

func TestPackPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, base, pack string
		want, wantBase   string
		err              string // substring of the error; "" for success
	}{
		{"project", "team-a", "hello", "team-a/spectro-packs/archive/hello", "team-a/spectro-packs/archive", ""},
		{"empty base", "", "hello", "spectro-packs/archive/hello", "spectro-packs/archive", ""},
		{"stray slashes", "/team-a/", "hello", "team-a/spectro-packs/archive/hello", "team-a/spectro-packs/archive", ""},
		{"double slash", "a//b", "hello", "a/b/spectro-packs/archive/hello", "a/b/spectro-packs/archive", ""},
		{"only slashes", "///", "hello", "spectro-packs/archive/hello", "spectro-packs/archive", ""},
		{"separators", "my.org/team__x/a--b", "ingress-nginx", "my.org/team__x/a--b/spectro-packs/archive/ingress-nginx", "my.org/team__x/a--b/spectro-packs/archive", ""},
		{"upper-case base", "Team", "hello", "", "", `input base-path: "Team" has the segment "Team"`},
		{"space in base", "team a", "hello", "", "", "input base-path"},
		{"dot-dot base", "a/../b", "hello", "", "", `segment ".."`},
		{"leading dash", "-team", "hello", "", "", "input base-path"},
		{"slash in name", "team", "a/b", "", "team/spectro-packs/archive", "fix name in pack.json"},
		{"empty name", "team", "", "", "team/spectro-packs/archive", "fix name in pack.json"},
		{"upper-case name", "team", "Hello", "", "team/spectro-packs/archive", "fix name in pack.json"},
		{"tag in name", "team", "x:1", "", "team/spectro-packs/archive", "fix name in pack.json"},
		{"too long", strings.Repeat("a", 250), "hello", "", "", "shorten base-path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := PackPath(tc.base, tc.pack)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("PackPath(%q, %q) = %q, %v; want error containing %q", tc.base, tc.pack, got, err, tc.err)
				}
			} else if err != nil || got != tc.want {
				t.Errorf("PackPath(%q, %q) = %q, %v; want %q", tc.base, tc.pack, got, err, tc.want)
			}
			base, err := BasePath(tc.base)
			if (err == nil) != (tc.wantBase != "") || base != tc.wantBase {
				t.Errorf("BasePath(%q) = %q, %v; want %q", tc.base, base, err, tc.wantBase)
			}
		})
	}
}

func FuzzPackPath(f *testing.F) {
	for _, s := range [][2]string{{"team-a", "hello"}, {"", "hello"}, {"/a//b/", "x.y"}, {"A", "b"}, {"a..b", "c"}, {"a/./b", "c"}, {"é", "ü"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, base, name string) {
		p, err := PackPath(base, name)
		if err != nil {
			if p != "" {
				t.Errorf("PackPath(%q, %q) = %q with error %v", base, name, p, err)
			}
			return
		}
		if len(p) > maxPathLen || strings.Contains(p, "//") || strings.HasPrefix(p, "/") {
			t.Fatalf("PackPath(%q, %q) = %q: empty segment or too long", base, name, p)
		}
		segs := strings.Split(p, "/")
		for _, s := range segs {
			if !component.MatchString(s) {
				t.Fatalf("PackPath(%q, %q) = %q: segment %q breaks the repository grammar", base, name, p, s)
			}
		}
		if want := strings.Join(append(strings.FieldsFunc(base, func(r rune) bool { return r == '/' }), "spectro-packs", "archive", name), "/"); p != want {
			t.Fatalf("PackPath(%q, %q) = %q, want %q", base, name, p, want)
		}
		if bp, err := BasePath(base); err != nil || bp+"/"+name != p {
			t.Fatalf("BasePath(%q) = %q, %v; not the parent of %q", base, bp, err, p)
		}
	})
}
