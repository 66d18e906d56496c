package session_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

func TestKindString(t *testing.T) {
	for k, want := range map[session.Kind]string{
		session.KindFull: "full", session.KindMinified: "minified", session.KindElevated: "elevated",
		session.KindSession: "session", session.Kind(0): "kind(0)", session.Kind(7): "kind(7)",
	} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

func TestAudienceJSON(t *testing.T) {
	for _, tc := range []struct {
		aud  []string
		json string
	}{
		{[]string{"a"}, `"a"`},
		{[]string{"a", "b"}, `["a","b"]`},
	} {
		b, err := json.Marshal(session.Claims{Audience: tc.aud})
		if err != nil || !strings.Contains(string(b), `"aud":`+tc.json+`,`) {
			t.Errorf("Marshal(%v) = %s, %v", tc.aud, b, err)
		}
		var back session.Claims
		if err := json.Unmarshal(b, &back); err != nil || len(back.Audience) != len(tc.aud) || !slices.Contains(back.Audience, tc.aud[0]) {
			t.Errorf("Unmarshal(%s) = %v, %v", b, back.Audience, err)
		}
	}
	var c session.Claims
	if err := json.Unmarshal([]byte(`{"aud":42}`), &c); err == nil {
		t.Error("numeric aud accepted")
	}
}

func TestClaimsScopes(t *testing.T) {
	c := &session.Claims{Scope: "user:basic  gate:vip"}
	if !c.HasScope(authkit.ScopeUserBasic) || !c.HasScope("gate:vip") || c.HasScope("gate") || c.HasScope("") || c.MFAPending() {
		t.Fatalf("HasScope/MFAPending wrong for %q", c.Scope)
	}
	if got := c.Scopes(); len(got) != 2 {
		t.Fatalf("Scopes() = %v", got)
	}
	if (&session.Claims{Scope: "requiresAdditionalAuth"}).MFAPending() != true {
		t.Fatal("pending not detected")
	}
	if !(&session.Claims{}).ExpiresAt.IsZero() {
		t.Fatal("Expiry of no exp")
	}
}
