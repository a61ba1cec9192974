package ecr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pack-publish/pack-publish/internal/ecr/ecrtest"
)

func TestTokenClaims(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		token string
		want  claims
		ok    bool
	}{
		{"github", ecrtest.JWT(map[string]any{"iss": "https://token.actions.githubusercontent.com", "sub": "repo:o/r:ref:refs/heads/main",
			"aud": "sts.amazonaws.com", "ref": "refs/heads/main", "jti": "x"}),
			claims{"https://token.actions.githubusercontent.com", "repo:o/r:ref:refs/heads/main", audience{"sts.amazonaws.com"}, "refs/heads/main"}, true},
		{"audience list", ecrtest.JWT(map[string]any{"iss": "https://gitlab.com", "aud": []string{"a", "b"}}),
			claims{Iss: "https://gitlab.com", Aud: audience{"a", "b"}}, true},
		{"padded payload", "e30." + "eyJzdWIiOiJ4In0=" + ".sig", claims{Sub: "x"}, true},
		{"not a jwt", "opaque-token", claims{}, false},
		{"bad base64", "a.!!!.c", claims{}, false},
		{"bad json", "a.bm90IGpzb24.c", claims{}, false},
		{"bad aud", ecrtest.JWT(map[string]any{"aud": 3}), claims{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := tokenClaims(tc.token)
			if ok != tc.ok {
				t.Fatalf("tokenClaims() ok = %v, want %v", ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("tokenClaims() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClaims_conditionKey(t *testing.T) {
	t.Parallel()
	for iss, want := range map[string]string{
		"": "token.actions.githubusercontent.com",
		"https://token.actions.githubusercontent.com":     "token.actions.githubusercontent.com",
		"https://token.actions.githubusercontent.com/ent": "token.actions.githubusercontent.com/ent",
		"https://gitlab.example.com/":                     "gitlab.example.com",
	} {
		t.Run(iss, func(t *testing.T) {
			t.Parallel()
			if got := (claims{Iss: iss}).conditionKey(); got != want {
				t.Errorf("conditionKey(%q) = %q, want %q", iss, got, want)
			}
		})
	}
}

func TestSession_String(t *testing.T) {
	t.Parallel()
	s := &Session{Username: "AWS", Password: "pa55word", RegistryID: "123456789012", Region: "eu-west-1"}
	for _, got := range []string{fmt.Sprint(s), fmt.Sprintf("%v", s), s.String()} {
		if strings.Contains(got, "pa55word") || !strings.Contains(got, "123456789012") {
			t.Errorf("Session printed as %q: want the registry id and no password", got)
		}
	}
}
