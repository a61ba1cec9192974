package spell

import "testing"

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"dryrun", "dry-run", 1},
		{"packsdir", "packs-dir", 1},
		{"iamge", "image", 2},
		{"N77", "N7", 1},
		{"kitten", "sitting", 3},
		{"same", "same", 0},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func FuzzDistance(f *testing.F) {
	f.Add("dry-run", "dryrun")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := Distance(a, b)
		if d < max(len(a), len(b))-min(len(a), len(b)) || d > max(len(a), len(b)) {
			t.Fatalf("Distance(%q, %q) = %d out of bounds", a, b, d)
		}
		if (d == 0) != (a == b) {
			t.Fatalf("Distance(%q, %q) = %d", a, b, d)
		}
	})
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	inputs := []string{"packs-dir", "packs", "dry-run", "base-path", "strict"}
	for _, tc := range []struct {
		name, want string
	}{
		{"DRYRUN", "dry-run"},      // case and separators do not count
		{"packs_dir", "packs-dir"}, // nor does '_' for '-'
		{"packsdri", "packs-dir"},  // two edits in eight letters
		{"pakcs", ""},              // a swap is two edits: too many for five letters
		{"pack", "packs"},          // one edit
		{"basepth", "base-path"},
		{"strcit", "strict"}, // two edits in six letters
		{"verbose", ""},      // nothing close
		{"ab", ""},
		{"", ""},
	} {
		if got := Suggest(tc.name, inputs); got != tc.want {
			t.Errorf("Suggest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
