package session

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// timeClaimsOracle answers timeClaimsAreNumbers with encoding/json itself,
// walking the top-level members with a Decoder so that duplicate names
// are all seen. Only for valid JSON.
func timeClaimsOracle(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return false
		}
		for _, n := range []string{"exp", "nbf", "iat", "auth_time"} {
			if strings.EqualFold(tok.(string), n) && v[0] != '-' && (v[0] < '0' || v[0] > '9') {
				return false
			}
		}
	}
	return true
}

func TestTimeClaimsAreNumbers(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{`{"exp":1777906800,"iat":1777903200,"nbf":-1.5e3}`, true},
		{` { "exp" : 1 , "sub" : "exp" } `, true},
		{`{"sub":{"exp":"nested is not a claim"},"x":["exp",{"iat":"y"}]}`, true},
		{`{"auth_time":0}`, true},
		{`{}`, true},
		{`{"exp":"1777906800"}`, false},
		{`{"exp":1,"exp":"1"}`, false}, // duplicate: encoding/json keeps the last
		{`{"EXP":"1"}`, false},         // encoding/json matches names case-insensitively
		{`{"\u0065xp":"1"}`, false},    // and after unescaping
		{`{"nbf":null}`, false},
		{`{"iat":true}`, false},
		{`{"auth_time":"0"}`, false},
		{`{"exp":[1]}`, false},
		{`{"s":"\"exp\":\"1\"","exp":2}`, true},
		{`[]`, false},
		{`null`, false},
	}
	for _, tc := range tests {
		if got := timeClaimsAreNumbers([]byte(tc.in)); got != tc.want {
			t.Errorf("timeClaimsAreNumbers(%s) = %v, want %v", tc.in, got, tc.want)
		}
		if got := timeClaimsOracle([]byte(tc.in)); got != tc.want {
			t.Errorf("oracle(%s) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// FuzzTimeClaims: the scanner never panics, and on valid JSON it agrees with
// encoding/json (timeClaimsOracle).
func FuzzTimeClaims(f *testing.F) {
	f.Add([]byte(`{"exp":1777906800,"iat":1777903200}`))
	f.Add([]byte(`{"exp":"1777906800"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := timeClaimsAreNumbers(b)
		if json.Valid(b) && got != timeClaimsOracle(b) {
			t.Fatalf("timeClaimsAreNumbers(%q) = %v, encoding/json says %v", b, got, !got)
		}
	})
}
