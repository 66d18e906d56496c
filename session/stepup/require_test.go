package stepup_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/stepup"
)

func TestRequireElevated(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	s := mintSession(t, f)
	other, _ := f.m.Mint(ctx, testUser(1), session.MintOptions{})
	single, _, _ := f.m.MintElevated(ctx, s.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeWalletExport}, SingleUse: true})
	wrongScope, _, _ := f.m.MintElevated(ctx, s.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeUserDelete}})
	othersToken, _, _ := f.m.MintElevated(ctx, other.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeWalletExport}})
	final := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := stepup.ElevatedClaimsFromContext(r.Context()); !ok || c.Kind != session.KindElevated {
			t.Error("no elevated claims in context")
		}
		w.WriteHeader(204)
	})
	h := session.Middleware(f.m, session.MiddlewareConfig{})(stepup.RequireElevated(f.m, authkit.ScopeWalletExport, "", nil)(final))
	req := func(el string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+s.MinifiedJWT)
			if el != "" {
				r.Header.Set(stepup.DefaultElevatedHeader, el)
			}
		}
	}
	const challenge = `Bearer error="insufficient_user_authentication", error_description="step-up authentication required", scope="wallet:export"`
	for _, tc := range []struct {
		name   string
		el     string
		status int
	}{
		{"no elevated token", "", 401},
		{"session token as elevated", s.MinifiedJWT, 401},
		{"wrong scope", wrongScope, 401},
		{"other session's token", othersToken, 401},
		{"single-use, first", single, 204},
		{"single-use, again", single, 401},
	} {
		w := serve(h, req(tc.el))
		if w.Code != tc.status {
			t.Errorf("%s: %d, want %d (%s)", tc.name, w.Code, tc.status, w.Body)
			continue
		}
		if tc.status == 401 {
			if got := w.Header().Get("WWW-Authenticate"); got != challenge {
				t.Errorf("%s: WWW-Authenticate %q", tc.name, got)
			}
			if !strings.Contains(w.Body.String(), `"code":"step_up_required"`) {
				t.Errorf("%s: body %s", tc.name, w.Body)
			}
		}
	}
	// Without the session middleware there is nothing to bind to.
	bare := stepup.RequireElevated(f.m, authkit.ScopeWalletExport, "", nil)(final)
	if w := serve(bare, req(single)); w.Code != 401 || w.Header().Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("no session: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	err := &stepup.Error{Scope: authkit.ScopeWalletExport, Err: session.ErrAlreadyUsed}
	if !errors.Is(err, stepup.ErrRequired) || !errors.Is(err, session.ErrAlreadyUsed) {
		t.Error("Error does not match its sentinels")
	}
}

// TestPendingSessionChallenge: an MFA-pending session at a guarded action
// gets session's insufficient-scope answer naming user:basic (RFC 6750
// §3), the scope it lacks, not a step-up challenge.
func TestPendingSessionChallenge(t *testing.T) {
	f := newFixture(t, session.ES256, true)
	ff := newFakeFactors()
	g := newStepUp(t, f, ff)
	pending, err := f.m.Mint(t.Context(), testUser(1), session.MintOptions{MFAPending: true})
	if err != nil {
		t.Fatal(err)
	}
	w := serve(guarded(f, g, stepup.ActionEnrollFactor, nil), bearer(pending.MinifiedJWT))
	const want = `Bearer error="insufficient_scope", scope="user:basic"`
	if got := w.Header().Get("WWW-Authenticate"); w.Code != http.StatusForbidden || got != want {
		t.Fatalf("MFA-pending session: %d, WWW-Authenticate %q, want 403 %q", w.Code, got, want)
	}
	if !strings.Contains(w.Body.String(), `"code":"insufficient_scope"`) {
		t.Fatalf("body %s", w.Body)
	}
}
