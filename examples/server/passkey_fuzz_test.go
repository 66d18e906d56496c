package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzNormalizeWebAuthnResponse: any input either fails or yields a JSON
// object whose response (if any) has no clientDataJson member and keeps
// every other member.
func FuzzNormalizeWebAuthnResponse(f *testing.F) {
	f.Add([]byte(`{"id":"AA","response":{"clientDataJson":"e30","attestationObject":"oA"},"createMfaToken":{"singleUse":true}}`))
	f.Add([]byte(`{"id":"AA","response":{"clientDataJSON":"e30","signature":"AA"}}`))
	f.Add([]byte(`{"response":{"clientDataJSON":"a","clientDataJson":"b"}}`))
	f.Add([]byte(`{"response":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := normalizeWebAuthnResponse(body)
		if err != nil {
			return
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(out, &top); err != nil || top == nil {
			t.Fatalf("output %q is not a JSON object: %v", out, err)
		}
		raw, ok := top["response"]
		if !ok {
			if !bytes.Equal(out, body) {
				t.Fatalf("body without response changed: %q → %q", body, out)
			}
			return
		}
		var resp map[string]json.RawMessage
		if err := json.Unmarshal(raw, &resp); err != nil {
			t.Fatalf("response %q: %v", raw, err)
		}
		if _, bad := resp["clientDataJson"]; bad {
			t.Fatalf("clientDataJson survived: %q", out)
		}
	})
}

func TestNormalizeWebAuthnResponse(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`{"response":{"clientDataJson":"e30","x":1},"id":"A"}`, `{"id":"A","response":{"clientDataJSON":"e30","x":1}}`, true},
		{`{"response":{"clientDataJSON":"e30"}}`, `{"response":{"clientDataJSON":"e30"}}`, true},
		{`{"id":"A"}`, `{"id":"A"}`, true},
		{`{"response":{"clientDataJSON":"a","clientDataJson":"b"}}`, ``, false},
		{`{"response":"x"}`, ``, false},
		{`null`, ``, false},
		{`[1]`, ``, false},
	}
	for _, tc := range tests {
		got, err := normalizeWebAuthnResponse([]byte(tc.in))
		if (err == nil) != tc.ok || tc.ok && string(got) != tc.want {
			t.Errorf("normalize(%s) = %s, %v; want %s (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
