package stepup_test

import (
	"net/http/httptest"
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/stepup"
)

// BenchmarkStepUpAuthorize: the guard's decision on top of the session
// middleware's work (the claims are already in the context): a rule that
// does not apply, a fresh session, and a multi-use elevated token (one
// more ES256 verification).
func BenchmarkStepUpAuthorize(b *testing.B) {
	f := newFixture(b, session.ES256, true)
	ff := newFakeFactors()
	g, err := stepup.New(ff.config(f.m))
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	u := testUser(1)
	pending, err := f.m.Mint(ctx, u, session.MintOptions{MFAPending: true})
	if err != nil {
		b.Fatal(err)
	}
	fresh, err := f.m.UpgradeMFA(ctx, pending.Claims, u, nil, authkit.AMROneTimePassword)
	if err != nil {
		b.Fatal(err)
	}
	plain, err := f.m.Upgrade(ctx, pending.Claims, u, nil)
	if err != nil {
		b.Fatal(err)
	}
	el, _, err := f.m.MintElevated(ctx, plain.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeCredentialLink}})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name   string
		second bool
		tok    string
		hdr    string
		want   stepup.Proof
	}{
		{"not-required", false, plain.MinifiedJWT, "", stepup.ProofNotRequired},
		{"fresh-mfa", true, fresh.MinifiedJWT, "", stepup.ProofFreshMFA},
		{"elevated", true, plain.MinifiedJWT, el, stepup.ProofElevated},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ff.second[u.ID] = bc.second
			// The claims are put in the context once, as the session
			// middleware does before the guard runs.
			r := withSession(b, f.m, httptest.NewRequest("GET", "/users/mfa/register/totp", nil), bc.tok)
			if bc.hdr != "" {
				r.Header.Set(stepup.DefaultElevatedHeader, bc.hdr)
			}
			b.ReportAllocs()
			for b.Loop() {
				if p, err := g.Authorize(r, stepup.ActionEnrollFactor); err != nil || p != bc.want {
					b.Fatal(p, err)
				}
			}
		})
	}
}
