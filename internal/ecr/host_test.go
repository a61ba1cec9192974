package ecr

import (
	"errors"
	"strings"
	"testing"
)

func TestParseHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host            string
		account, region string
		ok              bool
	}{
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com", "123456789012", "eu-west-1", true},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com:443", "123456789012", "eu-west-1", true},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "123456789012", "cn-north-1", true},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "123456789012", "us-gov-west-1", true},
		{"123456789012.dkr-fips.ecr.us-east-1.amazonaws.com", "123456789012", "us-east-1", true},
		{"123456789012.DKR.ECR.US-EAST-2.AMAZONAWS.COM", "123456789012", "us-east-2", true},
		{"123456789012.dkr.ecr.eu-west.amazonaws.com", "", "", false},        // no region number
		{"12345678901.dkr.ecr.eu-west-1.amazonaws.com", "", "", false},       // 11 digits
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil", "", "", false}, // suffix
		{"evil.123456789012.dkr.ecr.eu-west-1.amazonaws.com", "", "", false}, // prefix
		{"public.ecr.aws", "", "", false},
		{"registry.example.com", "", "", false},
		{"", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			t.Parallel()
			account, region, ok := ParseHost(tc.host)
			if account != tc.account || region != tc.region || ok != tc.ok {
				t.Errorf("ParseHost(%q) = %q, %q, %v, want %q, %q, %v", tc.host, account, region, ok, tc.account, tc.region, tc.ok)
			}
		})
	}
}

func FuzzParseHost(f *testing.F) {
	for _, s := range []string{
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn:5000",
		"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
		"registry.example.com:5000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		account, region, ok := ParseHost(host)
		if !ok {
			if account != "" || region != "" {
				t.Fatalf("ParseHost(%q) = %q, %q, false: values without ok", host, account, region)
			}
			return
		}
		if len(account) != 12 || !regionName.MatchString(region) {
			t.Fatalf("ParseHost(%q) = %q, %q: not an account and a region", host, account, region)
		}
		lower := strings.ToLower(host)
		if !strings.HasPrefix(lower, account+".dkr") || !strings.Contains(lower, "."+region+".amazonaws.com") {
			t.Fatalf("ParseHost(%q) = %q, %q: not taken from the host", host, account, region)
		}
		// The canonical host name parses to the same values.
		if a, r, ok := ParseHost(account + ".dkr.ecr." + region + ".amazonaws.com"); a != account || r != region || !ok {
			t.Fatalf("ParseHost(canonical form of %q) = %q, %q, %v", host, a, r, ok)
		}
	})
}

func TestValidateRepositoryName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ok   bool
	}{
		{"team/spectro-packs/archive", true},
		{"team/spectro-packs/archive/hello-universe", true},
		{"spectro-packs/archive/my_pack.v2", true},
		{"ab", true},
		{strings.Repeat("a", 256), true},
		{"a", false},
		{strings.Repeat("a", 257), false},
		{"Team/spectro-packs/archive", false},
		{"team//archive", false},
		{"/team/archive", false},
		{"team/archive/", false},
		{"team/-archive", false},
		{"team/archive--x", false},
		{"team/archive..x", false},
		{"team/arch ive", false},
		{"team/../archive", false},
		{"", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateRepositoryName(tc.name)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidateRepositoryName(%q) = %v, want ok %v", tc.name, err, tc.ok)
			}
			if err != nil && (!errors.Is(err, ErrInvalidRepositoryName) || !strings.Contains(err.Error(), "base-path")) {
				t.Errorf("ValidateRepositoryName(%q) = %v, want ErrInvalidRepositoryName naming base-path", tc.name, err)
			}
		})
	}
}

func TestPartition(t *testing.T) {
	t.Parallel()
	for region, want := range map[string]string{"eu-west-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov"} {
		t.Run(region, func(t *testing.T) {
			t.Parallel()
			if got := partition(region); got != want {
				t.Errorf("partition(%q) = %q, want %q", region, got, want)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.0.0.1:5000": true, "127.9.9.9:1": true, "[::1]:5000": true, "::1": true, "localhost:5000": true,
		"LOCALHOST": true, "[::ffff:127.0.0.1]:80": true,
		"127.0.0.1.nip.io": false, "10.0.0.1:5000": false, "registry.example.com": false, "localhost.evil.example": false, "": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestSameHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b, scheme string
		want         bool
	}{
		{"h.example", "h.example", "https", true},
		{"H.Example:443", "h.example", "https", true},
		{"h.example.", "h.example", "https", true},
		{"h.example:80", "h.example", "http", true},
		{"h.example:80", "h.example", "https", false},
		{"h.example:5000", "h.example", "https", false},
		{"h.example.evil", "h.example", "https", false},
		{"127.0.0.1:5000", "127.0.0.1:5000", "http", true},
		{"[::1]:5000", "[::1]:5000", "http", true},
	}
	for _, tc := range tests {
		if got := sameHost(tc.a, tc.b, tc.scheme); got != tc.want {
			t.Errorf("sameHost(%q, %q, %q) = %v, want %v", tc.a, tc.b, tc.scheme, got, tc.want)
		}
	}
}
