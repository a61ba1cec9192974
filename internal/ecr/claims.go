package ecr

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

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
