package session

import (
	"encoding/json"
	"testing"
)

// timeFields has the JSON names of Claims's time fields, so that
// encoding/json's own name matching (not a copy of it) decides which
// members land in them.
type timeFields struct {
	ExpiresAt json.RawMessage `json:"exp"`
	NotBefore json.RawMessage `json:"nbf"`
	IssuedAt  json.RawMessage `json:"iat"`
	AuthTime  json.RawMessage `json:"auth_time"`
}

// FuzzTimeClaimsDecoded: whenever the scanner accepts a payload, every
// value encoding/json decodes into a time field is a JSON number. The
// scanner may refuse more (a non-number duplicate that a later number
// overrides), never less.
func FuzzTimeClaimsDecoded(f *testing.F) {
	for _, s := range []string{`{"exp":1,"iat":2}`, `{"EXP":"1"}`, `{"Auth_Time":null}`, `{"\u0065xp":"1"}`, `{"exp":"1","exp":2}`, `{"iAt":[1]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v timeFields
		if !timeClaimsAreNumbers(b) || json.Unmarshal(b, &v) != nil {
			return
		}
		for _, raw := range [][]byte{v.ExpiresAt, v.NotBefore, v.IssuedAt, v.AuthTime} {
			if raw != nil && raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
				t.Fatalf("scanner accepted %q, but encoding/json decodes a time claim as %s", b, raw)
			}
		}
	})
}
