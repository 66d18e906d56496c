package session_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

func TestUpgradeMFAFreshness(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	u := testUser(1)
	pending, err := f.m.Mint(ctx, u, session.MintOptions{MFAPending: true, AMR: []string{"otp"}, AuthTime: t0})
	if err != nil {
		t.Fatal(err)
	}
	if pending.Claims.AMR != nil || !pending.Claims.AuthTime.IsZero() {
		t.Fatal("an MFA-pending session carries amr")
	}
	plain, err := f.m.Upgrade(ctx, pending.Claims, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Claims.FreshMFA(f.clk.Now(), time.Hour, 0) {
		t.Fatal("Upgrade without amr made the session fresh")
	}
	if _, err := f.m.UpgradeMFA(ctx, pending.Claims, testUserOther(), nil); !errors.Is(err, session.ErrSessionMismatch) {
		t.Fatalf("UpgradeMFA for another user: %v", err)
	}
	f.clk.Advance(10 * time.Second)
	up, err := f.m.UpgradeMFA(ctx, pending.Claims, u, nil, authkit.AMROneTimePassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{up.JWT, up.MinifiedJWT} {
		c, err := f.m.Verify(ctx, tok, session.KindSession)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(c.AMR, " ") != "otp mfa" || c.AuthTime.IsZero() || !c.AuthTime.Equal(t0.Add(10*time.Second)) || c.SessionID != pending.SessionID {
			t.Fatalf("claims amr %v auth_time %v sid %s", c.AMR, c.AuthTime, c.SessionID)
		}
		now := f.clk.Now()
		for _, tc := range []struct {
			at   time.Time
			want bool
		}{
			{now, true},
			{now.Add(5 * time.Minute), true},
			{now.Add(5*time.Minute + time.Second), false},
			{now.Add(-time.Minute), false}, // auth_time in the future
		} {
			if got := c.FreshMFA(tc.at, 5*time.Minute, 30*time.Second); got != tc.want {
				t.Errorf("FreshMFA at %v = %v", tc.at.Sub(now), got)
			}
		}
	}
	el, _, err := f.m.MintElevated(ctx, up.Claims, session.ElevatedOptions{Scopes: tokensScopes(), AMR: []string{"mfa"}})
	if err != nil {
		t.Fatal(err)
	}
	ec, err := f.m.Verify(ctx, el, session.KindElevated)
	if err != nil {
		t.Fatal(err)
	}
	if ec.FreshMFA(f.clk.Now(), time.Hour, 0) {
		t.Fatal("an elevated token counts as a fresh session")
	}
	for _, opts := range []session.MintOptions{
		{AMR: []string{"otp"}},
		{AuthTime: t0},
		{AMR: []string{""}, AuthTime: t0},
		{AMR: []string{"a b"}, AuthTime: t0},
		{AMR: []string{"otp"}, AuthTime: f.clk.Now().Add(time.Hour)},
		{AMR: strings.Fields("a b c d e f g h i"), AuthTime: t0},
	} {
		if _, err := f.m.Mint(ctx, u, opts); !errors.Is(err, session.ErrInvalidRequest) {
			t.Errorf("Mint(%+v) = %v", opts, err)
		}
	}
}

// TestMintAddsMFA: Mint adds "mfa" to amr when the methods span two
// factors (RFC 8176 §2), and only then.
func TestMintAddsMFA(t *testing.T) {
	f := newFixture(t, session.ES256, true)
	for _, tc := range []struct {
		amr  []string
		want string
	}{
		{[]string{"hwk", "pin"}, "hwk pin mfa"},
		{[]string{"hwk", "face"}, "hwk face mfa"},
		{[]string{"pwd", "otp"}, "pwd otp mfa"},
		{[]string{"sms", "otp"}, "sms otp"},
		{[]string{"hwk"}, "hwk"},
		{[]string{"geo", "otp"}, "geo otp"},
		{[]string{"hwk", "mfa"}, "hwk mfa"},
		{[]string{"kba", "pin"}, "kba pin"},
	} {
		tok, err := f.m.Mint(t.Context(), testUser(1), session.MintOptions{AMR: tc.amr, AuthTime: f.clk.Now()})
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.m.Verify(t.Context(), tok.MinifiedJWT, session.KindSession)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(c.AMR, " "); got != tc.want {
			t.Errorf("amr %v: token amr %q, want %q", tc.amr, got, tc.want)
		}
		if fresh := c.FreshMFA(f.clk.Now(), time.Minute, 0); fresh != strings.Contains(tc.want, "mfa") {
			t.Errorf("amr %v: FreshMFA %v", tc.amr, fresh)
		}
	}
}

// TestUpgradeNeedsSessionClaims: Upgrade and UpgradeMFA re-issue only a
// session token's claims; nil or an elevated token's claims are refused
// and mint nothing.
func TestUpgradeNeedsSessionClaims(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	u := testUser(1)
	s, err := f.m.Mint(ctx, u, session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, elevated, err := f.m.MintElevated(ctx, s.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeCredentialLink}})
	if err != nil {
		t.Fatal(err)
	}
	upgrades := map[string]func(*session.Claims) (session.Tokens, error){
		"Upgrade": func(c *session.Claims) (session.Tokens, error) { return f.m.Upgrade(ctx, c, u, nil) },
		"UpgradeMFA": func(c *session.Claims) (session.Tokens, error) {
			return f.m.UpgradeMFA(ctx, c, u, nil, authkit.AMROneTimePassword)
		},
	}
	for name, upgrade := range upgrades {
		for _, tc := range []struct {
			desc   string
			claims *session.Claims
		}{{"nil claims", nil}, {"elevated claims", elevated}} {
			tok, err := upgrade(tc.claims)
			if !errors.Is(err, session.ErrWrongKind) || !strings.Contains(err.Error(), name+" needs") || tok.JWT != "" {
				t.Errorf("%s with %s: %v, token %q", name, tc.desc, err, tok.JWT)
			}
		}
	}
}
