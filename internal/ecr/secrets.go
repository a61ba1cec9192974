package ecr

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// secrets masks every secret as soon as it is known and scrubs them from
// errors, so that no error (including text from an AWS response) carries one.
type secrets struct {
	mask func(string)
	mu   sync.Mutex
	list []string
}

func (s *secrets) add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if v == "" || slices.Contains(s.list, v) {
			continue
		}
		if s.mask != nil {
			s.mask(v)
		}
		s.list = append(s.list, v)
	}
	// Longest first, so that a secret containing another is replaced whole.
	slices.SortFunc(s.list, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
}

// scrub returns err, or an error with the same chain whose message has every
// known secret replaced by "***".
func (s *secrets) scrub(err error) error {
	if err == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := err.Error()
	clean := msg
	for _, v := range s.list {
		clean = strings.ReplaceAll(clean, v, "***")
	}
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// claims are the JWT claims worth printing when a role refuses a token. They
// identify the workflow, they are not secret; the token itself is.
type claims struct {
	Iss string   `json:"iss"`
	Sub string   `json:"sub"`
	Aud audience `json:"aud"`
	Ref string   `json:"ref"`
}

// audience is the aud claim: a string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// tokenClaims decodes the payload of a JWT without verifying it.
func tokenClaims(token string) (claims, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return claims{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return claims{}, false
	}
	var c claims
	if json.Unmarshal(payload, &c) != nil {
		return claims{}, false
	}
	return c, true
}

func (c claims) String() string {
	return fmt.Sprintf("iss=%q sub=%q aud=%q ref=%q", c.Iss, c.Sub, strings.Join(c.Aud, ","), c.Ref)
}

// conditionKey is the prefix of the IAM condition keys for the token's
// issuer: token.actions.githubusercontent.com, gitlab.com, ...
func (c claims) conditionKey() string {
	if c.Iss == "" {
		return "token.actions.githubusercontent.com"
	}
	return strings.TrimSuffix(strings.TrimPrefix(c.Iss, "https://"), "/")
}
