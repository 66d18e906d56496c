package session_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

// Mint a session for a signed-in user, verify its token, and protect a
// route with the middleware; after logout the same token gets 401.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

	key, err := session.GenerateKey(session.ES256) // in production: ParseKey of a stored key
	if err != nil {
		panic(err)
	}
	keys, _ := session.NewKeySet(key)
	m, err := session.New(session.Config{
		Keys:   keys,
		Issuer: "auth.example.com/0a1b2c3d-0000-4000-8000-000000000001",
		Store:  session.NewMemoryStore(),
		Now:    func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}

	// 1. Sign-in succeeded (OTP, OAuth, …): mint the tokens.
	user := authkit.User{ID: "7f3e1c2a-5b6d-4e8f-9a0b-1c2d3e4f5a6b", Email: "ada@example.com"}
	tokens, err := m.Mint(ctx, user, session.MintOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println("expiresAt:", tokens.ExpiresAt.Format(time.RFC3339))

	// 2. A server verifies the minified token.
	claims, err := m.Verify(ctx, tokens.MinifiedJWT, session.KindSession)
	if err != nil {
		panic(err)
	}
	fmt.Println("sub:", claims.Subject, "scope:", claims.Scope)

	// 3. The middleware does the same for HTTP routes.
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := session.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "hello %s", c.Email)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /users", session.Middleware(m, session.MiddlewareConfig{})(session.MiddlewareConfig{}.RequireScope(authkit.ScopeUserBasic)(me)))
	mux.Handle("GET /.well-known/jwks", m.JWKSHandler())

	call := func() {
		r := httptest.NewRequest("GET", "/users", nil)
		r.Header.Set("Authorization", "Bearer "+tokens.MinifiedJWT)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
		if h := w.Header().Get("WWW-Authenticate"); h != "" {
			fmt.Println("WWW-Authenticate:", h)
		}
	}
	call()

	// 4. Logout revokes the session: its tokens stop working at once.
	if err := m.Revoke(ctx, tokens.SessionID); err != nil {
		panic(err)
	}
	call()
	_, err = m.Verify(ctx, tokens.MinifiedJWT, session.KindSession)
	fmt.Println(errors.Is(err, session.ErrRevoked))

	// Output:
	// expiresAt: 2026-05-01T14:00:00Z
	// sub: 7f3e1c2a-5b6d-4e8f-9a0b-1c2d3e4f5a6b scope: user:basic
	// 200 hello ada@example.com
	// 401 {"error":"session: invalid token: session revoked","code":"invalid_token"}
	// WWW-Authenticate: Bearer error="invalid_token"
	// true
}

// A user with MFA gets a pending session first; after MFA it is upgraded,
// and a step-up re-authentication yields a single-use elevated token.
func ExampleManager_Upgrade() {
	ctx := context.Background()
	key, _ := session.GenerateKey(session.EdDSA)
	keys, _ := session.NewKeySet(key)
	m, _ := session.New(session.Config{Keys: keys, Issuer: "auth.example.com/env", Store: session.NewMemoryStore()})
	user := authkit.User{ID: "7f3e1c2a-5b6d-4e8f-9a0b-1c2d3e4f5a6b"}

	pending, _ := m.Mint(ctx, user, session.MintOptions{MFAPending: true})
	fmt.Println("pending:", pending.Claims.Scope)

	// … the user passes TOTP …
	full, _ := m.Upgrade(ctx, pending.Claims, user, nil)
	fmt.Println("upgraded:", full.Claims.Scope, full.SessionID == pending.SessionID)

	el, _, _ := m.MintElevated(ctx, full.Claims, session.ElevatedOptions{
		Scopes:    []authkit.Scope{authkit.ScopeWalletExport},
		SingleUse: true,
		AMR:       []string{"otp"},
	})
	_, err := m.VerifyElevated(ctx, el, authkit.ScopeWalletExport, full.Claims)
	fmt.Println("first use:", err)
	_, err = m.VerifyElevated(ctx, el, authkit.ScopeWalletExport, full.Claims)
	fmt.Println("second use:", err)
	_, err = m.Verify(ctx, el, session.KindSession)
	fmt.Println("as a session token:", err)

	// Output:
	// pending: requiresAdditionalAuth
	// upgraded: user:basic true
	// first use: <nil>
	// second use: session: invalid token: already used
	// as a session token: session: invalid token: wrong token kind
}
