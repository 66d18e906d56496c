package stepup_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/stepup"
)

// hasTOTP stands for mfa.Service.HasVerifiedDevice: every user holds a
// TOTP device. A host passes its services' methods as they are:
//
//	stepup.Config{Manager: m, HasSecondFactor: mfaSvc.HasVerifiedDevice,
//		ConsumeMFAToken: mfaSvc.ConsumeToken, MFATokenInvalid: mfa.ErrTokenInvalid}
func hasTOTP(context.Context, string) (bool, error) { return true, nil }

// Guard TOTP enrolment with the default step-up policy: a session that
// proved its second factor minutes ago passes; the same session later
// needs an elevated token and gets an RFC 9470 challenge; a step-up check
// answers the same as the route.
func ExampleGuard() {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	key, _ := session.GenerateKey(session.ES256)
	keys, _ := session.NewKeySet(key)
	m, _ := session.New(session.Config{Keys: keys, Issuer: "auth.example.com", Store: session.NewMemoryStore(), Now: func() time.Time { return now }})
	g, err := stepup.New(stepup.Config{Manager: m, HasSecondFactor: hasTOTP})
	if err != nil {
		panic(err)
	}

	user := authkit.User{ID: "7f3e1c2a-5b6d-4e8f-9a0b-1c2d3e4f5a6b"}
	pending, _ := m.Mint(ctx, user, session.MintOptions{MFAPending: true})
	// The user typed a TOTP code: the session now records amr and auth_time.
	tokens, _ := m.UpgradeMFA(ctx, pending.Claims, user, nil, authkit.AMROneTimePassword)

	enroll := session.Middleware(m, session.MiddlewareConfig{})(g.Require(stepup.ActionEnrollFactor)(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })))
	call := func() {
		r := httptest.NewRequest("GET", "/users/mfa/register/totp", nil)
		r.Header.Set("Authorization", "Bearer "+tokens.MinifiedJWT)
		w := httptest.NewRecorder()
		enroll.ServeHTTP(w, r)
		req, _ := g.Required(ctx, tokens.Claims, authkit.ScopeCredentialLink)
		fmt.Println("check required:", req, "route:", w.Code)
		if ch := w.Header().Get("WWW-Authenticate"); ch != "" {
			fmt.Println(ch)
		}
	}
	call()
	now = now.Add(10 * time.Minute)
	call()
	// Output:
	// check required: false route: 204
	// check required: true route: 401
	// Bearer error="insufficient_user_authentication", error_description="step-up authentication required", scope="credential:link", acr_values="step-up", max_age="300"
}
