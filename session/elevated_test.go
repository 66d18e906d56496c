package session_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

func mintSession(t *testing.T, f *fixture) session.Tokens {
	t.Helper()
	tok, err := f.m.Mint(t.Context(), testUser(1), session.MintOptions{Audience: testOrigin})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestElevatedSingleUse(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	s := mintSession(t, f)
	authAt := t0.Add(-10 * time.Second)
	el, ec, err := f.m.MintElevated(ctx, s.Claims, session.ElevatedOptions{
		Scopes: []authkit.Scope{authkit.ScopeWalletExport, authkit.ScopeWalletExport}, SingleUse: true,
		AMR: []string{"otp", "mfa"}, AuthTime: authAt,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !ec.ExpiresAt.Equal(t0.Add(5*time.Minute)) || !ec.SingleUse || ec.ID == "" {
		t.Fatalf("elevated token %+v", ec)
	}
	h, p := decodeToken(t, el)
	if h["typ"] != session.TypElevated || p["scope"] != "wallet:export" || p["sid"] != s.SessionID || p["sub"] != testUser(0).ID ||
		p["auth_time"] != float64(authAt.Unix()) || p["single_use"] != true || p["aud"] != testOrigin {
		t.Fatalf("elevated token %v %v", h, p)
	}
	if amr, _ := p["amr"].([]any); len(amr) != 2 || amr[0] != "otp" {
		t.Fatalf("amr %v", p["amr"])
	}
	// Presented for the wrong action, it is refused and not burnt.
	_, err = f.m.VerifyElevated(ctx, el, authkit.ScopeWalletSign, s.Claims)
	var se interface{ RequiredScope() authkit.Scope }
	if !errors.Is(err, session.ErrInsufficientScope) || !errors.As(err, &se) || se.RequiredScope() != authkit.ScopeWalletSign {
		t.Fatalf("wrong scope: %v", err)
	}
	c, err := f.m.VerifyElevated(ctx, el, authkit.ScopeWalletExport, s.Claims)
	if err != nil {
		t.Fatalf("first use: %v", err)
	}
	if c.Kind != session.KindElevated || c.AuthTime.IsZero() || len(c.AMR) != 2 {
		t.Fatalf("claims %+v", c)
	}
	if _, err := f.m.VerifyElevated(ctx, el, authkit.ScopeWalletExport, s.Claims); !errors.Is(err, session.ErrAlreadyUsed) {
		t.Fatalf("second use: %v, want ErrAlreadyUsed", err)
	}
}

func TestElevatedMultiUse(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.EdDSA, true)
	s := mintSession(t, f)
	el, ec, err := f.m.MintElevated(ctx, s.Claims, session.ElevatedOptions{Scopes: tokensScopes()})
	if err != nil {
		t.Fatal(err)
	}
	if !ec.ExpiresAt.Equal(t0.Add(10 * time.Minute)) {
		t.Fatalf("multi-use expires %v", ec.ExpiresAt)
	}
	for i := range 3 {
		if _, err := f.m.VerifyElevated(ctx, el, authkit.ScopeCredentialLink, nil); err != nil {
			t.Fatalf("use %d: %v", i, err)
		}
	}
	f.clk.Advance(10*time.Minute + time.Minute)
	if _, err := f.m.VerifyElevated(ctx, el, authkit.ScopeCredentialLink, nil); !errors.Is(err, session.ErrExpired) {
		t.Fatalf("after 11 min: %v", err)
	}
}

func TestElevatedRejects(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	s := mintSession(t, f)
	other, err := f.m.Mint(ctx, testUser(1), session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	el, _, err := f.m.MintElevated(ctx, s.Claims, session.ElevatedOptions{Scopes: tokensScopes()})
	if err != nil {
		t.Fatal(err)
	}
	elClaims, err := f.m.Verify(ctx, el, session.KindElevated)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		claims *session.Claims
		opts   session.ElevatedOptions
		want   error
	}{
		"no scope":                 {s.Claims, session.ElevatedOptions{}, session.ErrInvalidScope},
		"session scope":            {s.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeUserBasic}}, session.ErrInvalidScope},
		"made-up scope":            {s.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{"admin:all"}}, session.ErrInvalidScope},
		"from an elevated token":   {elClaims, session.ElevatedOptions{Scopes: tokensScopes()}, session.ErrWrongKind},
		"nil session":              {nil, session.ElevatedOptions{Scopes: tokensScopes()}, session.ErrWrongKind},
		"auth_time in the future":  {s.Claims, session.ElevatedOptions{Scopes: tokensScopes(), AuthTime: t0.Add(time.Hour)}, session.ErrInvalidRequest},
		"empty amr value":          {s.Claims, session.ElevatedOptions{Scopes: tokensScopes(), AMR: []string{""}}, session.ErrInvalidRequest},
		"console scope is allowed": {s.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeConsoleMFAReset}}, nil},
	} {
		_, _, err := f.m.MintElevated(ctx, tc.claims, tc.opts)
		if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// Bound to its session: refused with another session's claims.
	if _, err := f.m.VerifyElevated(ctx, el, authkit.ScopeWalletExport, other.Claims); !errors.Is(err, session.ErrSessionMismatch) {
		t.Fatalf("other session: %v", err)
	}
	// A session token is not an elevated token.
	if _, err := f.m.VerifyElevated(ctx, s.MinifiedJWT, authkit.ScopeWalletExport, nil); !errors.Is(err, session.ErrWrongKind) {
		t.Fatalf("session token as elevated: %v", err)
	}
	// Logout kills the session's elevated tokens too.
	if err := f.m.Revoke(ctx, s.SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.VerifyElevated(ctx, el, authkit.ScopeWalletExport, nil); !errors.Is(err, session.ErrRevoked) {
		t.Fatalf("after logout: %v", err)
	}
	if _, _, err := f.m.MintElevated(ctx, s.Claims, session.ElevatedOptions{Scopes: tokensScopes()}); !errors.Is(err, session.ErrRevoked) {
		t.Fatalf("mint for a revoked session: %v", err)
	}
	// Single-use needs a store.
	nf := newFixture(t, session.ES256, false)
	ns := mintSession(t, nf)
	if _, _, err := nf.m.MintElevated(ctx, ns.Claims, session.ElevatedOptions{Scopes: tokensScopes(), SingleUse: true}); !errors.Is(err, session.ErrNoStore) {
		t.Fatalf("single-use without store: %v", err)
	}
}

// TestElevatedSingleUseConcurrent: of 32 parallel uses of one single-use
// token exactly one succeeds.
func TestElevatedSingleUseConcurrent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, session.EdDSA, true)
	s := mintSession(t, f)
	el, _, err := f.m.MintElevated(ctx, s.Claims, session.ElevatedOptions{Scopes: tokensScopes(), SingleUse: true})
	if err != nil {
		t.Fatal(err)
	}
	const n = 32
	errs := make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start.Wait()
			_, errs[i] = f.m.VerifyElevated(ctx, el, authkit.ScopeWalletExport, s.Claims)
		}()
	}
	start.Done()
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, session.ErrAlreadyUsed):
			t.Fatalf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d uses succeeded, want 1", wins, n)
	}
}

// A single-use token stays verifiable for Leeway after its exp; its jti
// must stay consumed that long too, or a second use slips through inside
// the leeway once the store has forgotten the entry.
func TestElevatedSingleUseNotReusableWithinLeeway(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true, func(c *session.Config) { c.Leeway = 60 * time.Second })
	s := mintSession(t, f)
	el, _, err := f.m.MintElevated(ctx, s.Claims, session.ElevatedOptions{
		Scopes: []authkit.Scope{authkit.ScopeWalletExport}, SingleUse: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(5*time.Minute - time.Second) // just before exp
	if _, err := f.m.VerifyElevated(ctx, el, authkit.ScopeWalletExport, s.Claims); err != nil {
		t.Fatalf("first use: %v", err)
	}
	f.clk.Advance(30 * time.Second) // past exp, inside the leeway
	if _, err := f.m.VerifyElevated(ctx, el, authkit.ScopeWalletExport, s.Claims); err == nil {
		t.Fatal("single-use elevated token accepted twice inside the leeway")
	} else if !errors.Is(err, session.ErrAlreadyUsed) {
		t.Fatalf("second use: %v, want ErrAlreadyUsed", err)
	}
}

// An elevated token is bound to the scopes it was minted for: a verifier
// that names no scope must fail closed, not accept a token of any scope.
func TestVerifyElevatedRequiresAScope(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	s := mintSession(t, f)
	el, _, err := f.m.MintElevated(ctx, s.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeWalletExport}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.VerifyElevated(ctx, el, "", s.Claims); !errors.Is(err, session.ErrInvalidScope) {
		t.Fatalf("empty required scope: %v, want ErrInvalidScope", err)
	}
}
