package pack

import "testing"

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
		ok   bool
	}{
		{"1.0.0", "1.0.1", -1, true},
		{"1.10.0", "1.9.9", 1, true},
		{"2.0.0", "2.0.0", 0, true},
		{"1.0.0-rc.1", "1.0.0", -1, true},
		{"1.0.0-rc.2", "1.0.0-rc.10", -1, true},
		{"1.0.0-alpha", "1.0.0-1", 1, true},
		{"1.0.0-alpha", "1.0.0-alpha.1", -1, true},
		{"1.5", "1.6", 0, false},
		{"23.07.1", "23.08.0", 0, false},
	}
	for _, tc := range tests {
		got, ok := CompareVersions(tc.a, tc.b)
		if got != tc.want || ok != tc.ok {
			t.Errorf("CompareVersions(%q, %q) = %d, %v; want %d, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
}
