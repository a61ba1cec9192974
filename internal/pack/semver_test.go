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
		{"1.5", "1.6", -1, true},
		{"1.5", "1.5.0", 0, true},
		{"23.07.1", "23.08.0", -1, true},
		{"23.10.0", "23.09.1", 1, true},
		{"v1.12.0", "1.12.1", -1, true},
		{"v1.12.0", "1.12.0", 0, true},
		{"2.0.1-up.1", "2.0.1", -1, true},
		{"0.30.0-5.5.2026", "0.30.0-5.6.2026", -1, true},
		{"latest", "1.0.0", 0, false},
		{"1.0.0", "main", 0, false},
	}
	for _, tc := range tests {
		got, ok := CompareVersions(tc.a, tc.b)
		if got != tc.want || ok != tc.ok {
			t.Errorf("CompareVersions(%q, %q) = %d, %v; want %d, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
}

func TestIsSemVer(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		"1.2.3": true, "1.2.3-rc.1": true, "0.30.0-5.5.2026": true,
		"1.5": false, "23.07.1": false, "v1.2.3": false, "1.2.3+b": false, "1.0.0-01": false, "": false,
	} {
		if got := IsSemVer(v); got != want {
			t.Errorf("IsSemVer(%q) = %v, want %v", v, got, want)
		}
	}
}
