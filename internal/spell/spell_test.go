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
