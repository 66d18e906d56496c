package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
)

// oauthState returns a fresh client-chosen state for test n.
func oauthState(n int) string {
	return "test-state-" + strings.Repeat("x", 10) + string(rune('a'+n%26)) + time.Now().Format("150405.000000000")
}

// oauthBrowser plays the browser for a started sign-in: it fetches the
// login URL, follows the provider's redirect to the server's callback and
// returns the callback's answer.
func (e *testEnv) oauthBrowser(provider, state string) *resp {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: "providers/" + provider + "/loginUrl?state=" + url.QueryEscape(state)})
	expectStatus(e.t, r, 200)
	var lu struct {
		URL string `json:"url"`
	}
	r.JSON(e.t, &lu)
	auth := e.do(req{Method: "GET", Path: e.clientPKCE(state, lu.URL)})
	if auth.Status != http.StatusFound && auth.Status != http.StatusSeeOther {
		e.t.Fatalf("authorize: %d %s", auth.Status, auth.Body)
	}
	return e.do(req{Method: "GET", Path: auth.Header.Get("Location")})
}

// clientPKCE adds a PKCE challenge to a provider URL that has none (a
// sign-in started without codeChallenge, whose client builds the URL) and
// keeps the verifier for the state's signIn or verify.
func (e *testEnv) clientPKCE(state, authURL string) string {
	e.t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		e.t.Fatal(err)
	}
	q := u.Query()
	if q.Get("code_challenge") != "" {
		return authURL
	}
	sum := sha256.Sum256([]byte("verifier of " + state))
	v := hex.EncodeToString(sum[:])
	q.Set("code_challenge", oauth.S256Challenge(v))
	q.Set("code_challenge_method", "S256")
	u.RawQuery = q.Encode()
	if e.verifiers == nil {
		e.verifiers = map[string]string{}
	}
	e.verifiers[state] = v
	return u.String()
}

// oauthSignIn runs initAuth → browser → signIn for the dev github provider.
func (e *testEnv) oauthSignIn(n int, bearer string) *resp {
	e.t.Helper()
	st := oauthState(n)
	expectStatus(e.t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}}), 204)
	expectStatus(e.t, e.oauthBrowser("github", st), 200)
	path := "providers/github/signIn"
	if bearer != "" {
		path = "providers/github/verify"
	}
	return e.do(req{Method: "POST", Path: path, Bearer: bearer, Body: map[string]any{"state": st}})
}

// testOAuth runs the whole OAuth flow against the fake provider of
// development mode, registered as github.
func testOAuth(t *testing.T, newStores storeFactory) {
	const app = "https://app.example.com/callback"
	e := newTestEnv(t, newStores, func(c *config) { c.RedirectURLs = []string{app} })

	t.Run("sign in without redirectUrl", func(t *testing.T) {
		st := oauthState(0)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}}), 204)
		r := e.do(req{Method: "POST", Path: "providers/github/oauthResult", Body: map[string]any{"state": st}})
		expectStatus(t, r, 200)
		if string(r.Body) != "{\"status\":\"pending\"}\n" {
			t.Fatalf("pending result %s", r.Body)
		}
		r = e.do(req{Method: "GET", Path: "providers/github/loginUrl?state=" + st})
		expectStatus(t, r, 200)
		var lu struct{ URL string }
		r.JSON(t, &lu)
		u, err := url.Parse(lu.URL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		// initAuth had no codeChallenge: the client adds its own.
		if q.Get("state") != st || q.Has("code_challenge") || q.Has("code_challenge_method") ||
			q.Get("redirect_uri") != e.srv.cfg.Issuer+"/providers/github/redirect" || !strings.HasPrefix(lu.URL, e.ts.URL+"/dev/oauth/") {
			t.Fatalf("login URL %s", lu.URL)
		}
		cb := e.oauthBrowser("github", st)
		if cb.Status != 200 || !strings.Contains(string(cb.Body), "close this window") || !strings.HasPrefix(cb.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("callback page %d %s", cb.Status, cb.Body)
		}
		r = e.do(req{Method: "POST", Path: "providers/github/oauthResult", Body: map[string]any{"state": st}})
		var res struct{ Status, Code, Error string }
		r.JSON(t, &res)
		if res.Status != "completed" || res.Code == "" || res.Error != "" {
			t.Fatalf("result %s", r.Body)
		}
		r = e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st, "code": res.Code, "requestedScopes": []string{"wallet:sign"}}})
		expectStatus(t, r, 200)
		var v verifyResponse
		r.JSON(t, &v)
		if len(v.User.VerifiedCredentials) != 1 {
			t.Fatalf("signIn %s", r.Body)
		}
		c := v.User.VerifiedCredentials[0]
		if c.Format != "oauth" || c.OAuthProvider != "github" || c.OAuthAccountID != "424242" || len(c.OAuthEmails) != 1 || c.OAuthEmails[0] != "dev@example.com" || c.OAuthMetadata != nil {
			t.Fatalf("credential %+v", c)
		}
		if v.ElevatedAccessToken == "" || !hasScope(decodeJWT(t, v.MinifiedJWT).Scope, "user:basic") {
			t.Fatalf("tokens %s", r.Body)
		}
		// Every signIn consumes the state.
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st}}), 422, "invalid_verification")
		// The same account signs in to the same user.
		if r := e.oauthSignIn(1, ""); r.Status != 200 || !strings.Contains(string(r.Body), v.User.ID) {
			t.Fatalf("second sign-in %d %s", r.Status, r.Body)
		}
	})

	t.Run("redirectUrl", func(t *testing.T) {
		st := oauthState(2)
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st, "redirectUrl": "https://evil.example/cb"}}), 400, "validation_error")
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st, "redirectUrl": app + "/"}}), 400, "validation_error")
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st, "redirectUrl": app}}), 204)
		cb := e.oauthBrowser("github", st)
		expectStatus(t, cb, 302)
		loc, err := url.Parse(cb.Header.Get("Location"))
		// The names Dynamic's SDK reads on its redirect page.
		if err != nil || !strings.HasPrefix(loc.String(), app+"?") || loc.Query().Get("dynamicOauthState") != st || loc.Query().Get("dynamicOauthCode") == "" {
			t.Fatalf("Location %q", cb.Header.Get("Location"))
		}
		r := e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st, "code": loc.Query().Get("dynamicOauthCode")}})
		expectStatus(t, r, 200)
	})

	t.Run("state errors", func(t *testing.T) {
		for _, bad := range []any{"short", strings.Repeat("a", 129), "has spaces in it!!!!", "", 5} {
			expectError(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": bad}}), 400, "validation_error")
		}
		st := oauthState(3)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}}), 204)
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}}), 422, "invalid_verification")
		unknown := oauthState(4)
		expectError(t, e.do(req{Method: "GET", Path: "providers/github/loginUrl?state=" + unknown}), 422, "invalid_verification")
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/oauthResult", Body: map[string]any{"state": unknown}}), 422, "invalid_verification")
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": unknown}}), 422, "invalid_verification")
		expectError(t, e.do(req{Method: "GET", Path: "providers/github/redirect?code=abc&state=" + unknown}), 422, "invalid_verification")
		expectError(t, e.do(req{Method: "GET", Path: "providers/github/redirect?code=abc"}), 400, "validation_error")
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{}}), 400, "validation_error")
		expectError(t, e.do(req{Method: "POST", Path: "providers/nope/initAuth", Body: map[string]any{"state": st}}), 422, "provider_not_available")
		// Expired: 10 minutes.
		old := oauthState(5)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": old}}), 204)
		e.clock.Advance(10*time.Minute + time.Second)
		expectError(t, e.do(req{Method: "GET", Path: "providers/github/loginUrl?state=" + old}), 422, "invalid_verification")
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": old}}), 422, "invalid_verification")
	})

	t.Run("provider error", func(t *testing.T) {
		st := oauthState(6)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}}), 204)
		e.srv.fakeOAuth.Deny("access_denied")
		defer e.srv.fakeOAuth.Deny("")
		cb := e.oauthBrowser("github", st)
		expectStatus(t, cb, 200)
		r := e.do(req{Method: "POST", Path: "providers/github/oauthResult", Body: map[string]any{"state": st}})
		if string(r.Body) != "{\"status\":\"completed\",\"error\":\"access_denied\"}\n" {
			t.Fatalf("result %s", r.Body)
		}
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st}}), 422, "other_verify_failure")
	})

	t.Run("code mismatch consumes the state", func(t *testing.T) {
		st := oauthState(7)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}}), 204)
		e.oauthBrowser("github", st)
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st, "code": "not-the-code"}}), 422, "other_verify_failure")
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st}}), 422, "invalid_verification")
	})

	t.Run("client-held PKCE verifier", func(t *testing.T) {
		verifier := strings.Repeat("v", 43) + "123"
		sum := sha256.Sum256([]byte(verifier))
		challenge := base64.RawURLEncoding.EncodeToString(sum[:])
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": oauthState(8), "codeChallenge": "plain"}}), 400, "validation_error")
		st := oauthState(9)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st, "codeChallenge": challenge}}), 204)
		e.oauthBrowser("github", st)
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st, "codeVerifier": strings.Repeat("w", 46)}}), 422, "other_verify_failure")
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st, "codeVerifier": verifier}}), 422, "invalid_verification")
		st = oauthState(10)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st, "codeChallenge": challenge}}), 204)
		e.oauthBrowser("github", st)
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st}}), 422, "other_verify_failure")
		st = oauthState(11)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st, "codeChallenge": challenge}}), 204)
		e.oauthBrowser("github", st)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st, "codeVerifier": verifier}}), 200)
	})

	t.Run("provider unavailable", func(t *testing.T) {
		st := oauthState(12)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}}), 204)
		e.oauthBrowser("github", st)
		e.srv.fakeOAuth.FailEndpoint("token", 503)
		defer e.srv.fakeOAuth.FailEndpoint("token", 0)
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st}}), 502, "provider_unavailable")
	})

	t.Run("Apple-style form_post callback", func(t *testing.T) {
		st := oauthState(13)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}}), 204)
		r := e.do(req{Method: "GET", Path: "providers/github/loginUrl?state=" + st})
		var lu struct{ URL string }
		r.JSON(t, &lu)
		auth := e.do(req{Method: "GET", Path: e.clientPKCE(st, lu.URL)})
		loc, _ := url.Parse(auth.Header.Get("Location"))
		form := url.Values{"code": {loc.Query().Get("code")}, "state": {st}}
		hr, _ := http.NewRequest("POST", e.base+"/providers/github/redirect", strings.NewReader(form.Encode()))
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := e.ts.Client().Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("form_post callback: %d", res.StatusCode)
		}
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st}}), 200)
	})

	t.Run("parallel signIn with one state", func(t *testing.T) {
		st := oauthState(18)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}}), 204)
		e.oauthBrowser("github", st)
		const clients = 20
		statuses := make([]int, clients)
		var wg sync.WaitGroup
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := e.ts.Client().Post(e.base+"/providers/github/signIn", "application/json", strings.NewReader(`{"state":"`+st+`","codeVerifier":"`+e.verifiers[st]+`"}`))
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				statuses[i] = res.StatusCode
			}()
		}
		wg.Wait()
		ok := 0
		for _, s := range statuses {
			switch s {
			case 200:
				ok++
			case 422:
			default:
				t.Errorf("status %d", s)
			}
		}
		if ok != 1 {
			t.Fatalf("%d sign-ins with one state, want 1", ok)
		}
	})

	t.Run("verify links the account", func(t *testing.T) {
		v := e.smsSignIn(110, nil)
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/verify", Body: map[string]any{"state": oauthState(14)}}), 401, "unauthorized")
		// The dev identity already belongs to the user of the first
		// subtest: linking it elsewhere is refused.
		r := e.oauthSignIn(15, v.MinifiedJWT)
		expectError(t, r, 422, "social_account_already_exists")
		// On a fresh server it links.
		e2 := newTestEnv(t, newStores)
		v = e2.smsSignIn(111, nil)
		r = e2.oauthSignIn(16, v.MinifiedJWT)
		expectStatus(t, r, 200)
		var u verifyResponse
		r.JSON(t, &u)
		if u.User.ID != v.User.ID || len(u.User.VerifiedCredentials) != 2 || u.NextView != "done" || u.User.Email != "dev@example.com" {
			t.Fatalf("verify %s", r.Body)
		}
		// The account now signs in to that user.
		r = e2.oauthSignIn(17, "")
		expectStatus(t, r, 200)
		r.JSON(t, &u)
		if u.User.ID != v.User.ID {
			t.Fatal("linked account signs in to another user")
		}
	})
}

// testOAuthGenericOIDC signs in with a generic OpenID Connect provider
// given with -oidc, here a fake on its own httptest server.
func testOAuthGenericOIDC(t *testing.T, newStores storeFactory) {
	idp := oauthtest.NewServer(t, oauthtest.Config{Subject: "oidc-user-7", Email: "oidc@example.com"})
	e := newTestEnv(t, newStores, func(c *config) {
		c.OIDC = []oidcProviderConfig{{Name: "acme", Issuer: idp.Issuer(), ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret()}}
	})
	// The fake provider's clock is real time; move the server's there.
	e.clock.Set(time.Now())

	start := func(n int, provider string) string {
		st := oauthState(n)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/" + provider + "/initAuth", Body: map[string]any{"state": st}}), 204)
		return st
	}
	st := start(20, "acme")
	r := e.do(req{Method: "GET", Path: "providers/acme/loginUrl?state=" + st})
	expectStatus(t, r, 200)
	var lu struct{ URL string }
	r.JSON(t, &lu)
	u, _ := url.Parse(lu.URL)
	// A client-built sign-in (no codeChallenge at initAuth): no nonce and
	// no challenge from the server.
	if u.Query().Has("nonce") || u.Query().Get("scope") != "openid email profile" || u.Query().Has("code_challenge") ||
		u.Query().Get("redirect_uri") != e.srv.cfg.Issuer+"/providers/acme/redirect" {
		t.Fatalf("login URL %s", lu.URL)
	}
	expectStatus(t, e.oauthBrowser("acme", st), 200)
	r = e.do(req{Method: "POST", Path: "providers/acme/signIn", Body: map[string]any{"state": st}})
	expectStatus(t, r, 200)
	var v verifyResponse
	r.JSON(t, &v)
	c := v.User.VerifiedCredentials[0]
	if c.OAuthProvider != "acme" || c.OAuthAccountID != "oidc-user-7" || len(c.OAuthEmails) != 1 || c.OAuthEmails[0] != "oidc@example.com" {
		t.Fatalf("credential %+v", c)
	}

	// A state made for one provider is refused by another, and consumed.
	st = start(21, "github")
	expectError(t, e.do(req{Method: "POST", Path: "providers/acme/signIn", Body: map[string]any{"state": st}}), 422, "invalid_verification")

	// An ID token that fails verification.
	st = start(22, "acme")
	e.oauthBrowser("acme", st)
	idp.TamperIDTokens(func(claims map[string]any) { claims["aud"] = "another-client" })
	expectError(t, e.do(req{Method: "POST", Path: "providers/acme/signIn", Body: map[string]any{"state": st}}), 422, "other_verify_failure")
	idp.TamperIDTokens(nil)

	// The provider unreachable.
	st = start(23, "acme")
	e.oauthBrowser("acme", st)
	idp.FailEndpoint("token", 500)
	expectError(t, e.do(req{Method: "POST", Path: "providers/acme/signIn", Body: map[string]any{"state": st}}), 502, "provider_unavailable")
}
