package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/oauth/oauthtest"
	"github.com/authkit/authkit/verification"
)

// Cases found missing by a line-by-line review of spec/server.md. The
// functions taking a storeFactory run in runEndToEnd's table, so they run
// on every backend.

// routePath is a concrete path for a route pattern of apiRoutes.
func routePath(pattern string) string {
	p := strings.ReplaceAll(pattern, "{id}", "8d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a")
	p = strings.ReplaceAll(p, "{type}", "github")
	return strings.TrimPrefix(p, "/")
}

// authRoutes are the routes of the route table that need a session.
func authRoutes(e *testEnv) []route {
	var out []route
	for _, rt := range e.srv.apiRoutes() {
		if rt.auth != authNone {
			out = append(out, rt)
		}
	}
	if len(out) < 15 {
		e.t.Fatalf("only %d authenticated routes", len(out))
	}
	return out
}

// callRoute sends a request with an empty JSON object to a route.
func (e *testEnv) callRoute(rt route, r req) *resp {
	e.t.Helper()
	r.Method, r.Path = rt.method, routePath(rt.path)
	if rt.method != "GET" && rt.method != "DELETE" {
		r.Body = map[string]any{}
	}
	return e.do(r)
}

// testRouteGates checks server.md's Tokens section over the whole route
// table: an MFA-pending token reaches only users/mfa/auth/*, session and
// revoke (403 insufficient_scope elsewhere); an elevated token and the
// tokens of a revoked session are 401 on every authenticated route.
func testRouteGates(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(130, map[string]any{"requestedScopes": []string{"wallet:sign"}})
	e.enrollTOTP(v.MinifiedJWT)
	p := e.smsSignIn(130, nil)
	if !hasScope(decodeJWT(t, p.MinifiedJWT).Scope, "requiresAdditionalAuth") {
		t.Fatalf("not MFA-pending: %s", p.raw.Body)
	}
	anyAllowed := map[string]bool{"/users/mfa/auth/totp": true, "/users/mfa/auth/recovery": true, "/users/mfa/auth/email": true, "/session": true, "/revoke": true,
		"/users/mfa/auth/passkey": true, "/users/passkeys/authenticate": true}
	for _, rt := range authRoutes(e) {
		if rt.path == "/revoke" {
			continue // would end the session; checked last
		}
		name := rt.method + " " + rt.path
		r := e.callRoute(rt, req{Bearer: p.MinifiedJWT})
		if anyAllowed[rt.path] {
			if r.Status == 401 || r.Status == 403 {
				t.Errorf("%s with an MFA-pending token: %d %s", name, r.Status, r.Body)
			}
			if rt.auth != authAny {
				t.Errorf("%s does not accept MFA-pending tokens", name)
			}
		} else {
			if r.Status != 403 || !strings.Contains(string(r.Body), `"insufficient_scope"`) {
				t.Errorf("%s with an MFA-pending token: %d %s, want 403 insufficient_scope", name, r.Status, r.Body)
			}
		}
		if r := e.callRoute(rt, req{Bearer: v.ElevatedAccessToken}); r.Status != 401 {
			t.Errorf("%s with an elevated token: %d %s, want 401", name, r.Status, r.Body)
		}
	}
	expectStatus(t, e.do(req{Method: "POST", Path: "revoke", Bearer: p.MinifiedJWT}), 204)
	expectStatus(t, e.do(req{Method: "POST", Path: "revoke", Bearer: v.MinifiedJWT}), 204)
	for _, rt := range authRoutes(e) {
		for _, tok := range []string{p.MinifiedJWT, p.JWT, v.MinifiedJWT, v.JWT} {
			if r := e.callRoute(rt, req{Bearer: tok}); r.Status != 401 || !strings.Contains(string(r.Body), `"unauthorized"`) {
				t.Errorf("%s %s with a revoked session: %d %s", rt.method, rt.path, r.Status, r.Body)
			}
		}
	}
}

// testCookieAuthEveryRoute: in cookie mode the cookie authenticates every
// route a bearer token does, and a foreign Origin is refused on each.
func testCookieAuthEveryRoute(t *testing.T, newStores storeFactory) {
	const origin = "https://app.example.com"
	e := newTestEnv(t, newStores, func(c *config) { c.CookieAuth = true; c.CORSOrigins = []string{origin} })
	national, e164 := testPhone(131)
	id := e.smsStart(national)
	r := e.do(req{Method: "POST", Path: "smsVerifications/signin", Body: map[string]any{"verificationUUID": id, "verificationToken": e.lastCode(e164)}})
	expectStatus(t, r, 200)
	ck := sessionCookie(t, r)
	cookie := &http.Cookie{Name: ck.Name, Value: ck.Value}
	var deleteUser route
	for _, rt := range authRoutes(e) {
		if rt.path == "/revoke" {
			continue
		}
		if rt.method == "DELETE" && rt.path == "/users" {
			deleteUser = rt // ends the session: last
			continue
		}
		name := rt.method + " " + rt.path
		r := e.callRoute(rt, req{Cookie: cookie})
		if r.Status == 401 || strings.Contains(string(r.Body), `"insufficient_scope"`) || strings.Contains(string(r.Body), `"csrf_rejected"`) {
			t.Errorf("%s with the cookie: %d %s", name, r.Status, r.Body)
		}
		r = e.callRoute(rt, req{Cookie: cookie, Header: map[string]string{"Origin": "https://evil.example"}})
		if r.Status != 403 || !strings.Contains(string(r.Body), `"csrf_rejected"`) {
			t.Errorf("%s with the cookie from a foreign origin: %d %s", name, r.Status, r.Body)
		}
	}
	r = e.callRoute(deleteUser, req{Cookie: cookie, Header: map[string]string{"Origin": "https://evil.example"}})
	if r.Status != 403 || !strings.Contains(string(r.Body), `"csrf_rejected"`) {
		t.Errorf("DELETE /users with the cookie from a foreign origin: %d %s", r.Status, r.Body)
	}
	if r = e.callRoute(deleteUser, req{Cookie: cookie}); r.Status != 204 {
		t.Errorf("DELETE /users with the cookie: %d %s", r.Status, r.Body)
	}
}

// testCookieModeMFAAndOAuth: users/mfa/auth/* and providers/*/signIn set
// the cookie and leave the tokens out of the body, like the OTP sign-ins.
func testCookieModeMFAAndOAuth(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores, func(c *config) { c.CookieAuth = true })
	national, e164 := testPhone(132)
	signin := func() *http.Cookie {
		id := e.smsStart(national)
		r := e.do(req{Method: "POST", Path: "smsVerifications/signin", Body: map[string]any{"verificationUUID": id, "verificationToken": e.lastCode(e164)}})
		expectStatus(t, r, 200)
		ck := sessionCookie(t, r)
		return &http.Cookie{Name: ck.Name, Value: ck.Value}
	}
	noTokensInBody := func(r *resp) {
		t.Helper()
		m := r.Map(t)
		if _, ok := m["jwt"]; ok {
			t.Fatalf("jwt in the body: %s", r.Body)
		}
		if _, ok := m["minifiedJwt"]; ok {
			t.Fatalf("minifiedJwt in the body: %s", r.Body)
		}
		if m["user"] == nil || m["expiresAt"] == nil {
			t.Fatalf("body %s", r.Body)
		}
	}
	first := signin()
	// enrollTOTP authenticates with a bearer: the cookie's token is the same.
	_, secret := e.enrollTOTP(first.Value)
	e.clock.Advance(time.Hour)
	pending := signin()
	r := e.do(req{Method: "POST", Path: "users/mfa/auth/totp", Cookie: pending, Body: map[string]any{"code": e.totpCode(secret)}})
	expectStatus(t, r, 200)
	noTokensInBody(r)
	up := sessionCookie(t, r)
	if !hasScope(decodeJWT(t, up.Value).Scope, "user:basic") || up.MaxAge <= 0 {
		t.Fatalf("upgraded cookie %+v", up)
	}
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Cookie: &http.Cookie{Name: up.Name, Value: up.Value}}), 200)

	r = e.oauthSignIn(0, "")
	expectStatus(t, r, 200)
	noTokensInBody(r)
	sessionCookie(t, r)
}

// testAttemptsAcrossResends: the 5 failed submissions are counted across
// resends, and a resent code lives 10 minutes from its own send.
func testAttemptsAcrossResends(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	for i, prefix := range []string{"smsVerifications", "emailVerifications"} {
		c := codesOf(verification.ChannelSMS)
		var id, to string
		if prefix == "smsVerifications" {
			var national string
			national, to = testPhone(133)
			id = e.smsStart(national)
		} else {
			c, to = codesOf(verification.ChannelEmail), "resends@example.com"
			id = e.emailStart(to)
		}
		signin := func(code string) *resp {
			return e.do(req{Method: "POST", Path: prefix + "/signin", Body: map[string]any{"verificationUUID": id, "verificationToken": code}})
		}
		wrongOf := func(code string) string {
			if code == "000000" {
				return "111111"
			}
			return "000000"
		}
		first := e.lastCode(to)
		for range 3 {
			expectError(t, signin(wrongOf(first)), 422, c.wrong)
		}
		e.clock.Advance(30 * time.Second)
		expectStatus(t, e.do(req{Method: "POST", Path: prefix + "/retry", Body: retryBody(prefix, id, to)}), 201)
		fresh := e.lastCode(to)
		for range 2 {
			expectError(t, signin(wrongOf(fresh)), 422, c.wrong)
		}
		expectError(t, signin(fresh), 422, c.tooMany)

		// A code resent at minute 9 still works at minute 11.
		e.clock.Advance(time.Hour)
		if i == 0 {
			national, _ := testPhone(133)
			id = e.smsStart(national)
		} else {
			id = e.emailStart(to)
		}
		e.clock.Advance(9 * time.Minute)
		expectStatus(t, e.do(req{Method: "POST", Path: prefix + "/retry", Body: retryBody(prefix, id, to)}), 201)
		e.clock.Advance(2 * time.Minute)
		expectStatus(t, signin(e.lastCode(to)), 200)
	}
}

// testRetryDoesNotRevealUsers: retry answers identically (status, body
// shape, headers) for a destination that belongs to a user and one that
// does not, both when it sends and when the cooldown refuses it.
func testRetryDoesNotRevealUsers(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	e.smsSignIn(134, nil)
	e.emailSignIn("known-retry@example.com")
	e.clock.Advance(time.Hour)
	known, knownE164 := testPhone(134)
	unknown, unknownE164 := testPhone(135)
	ka, kb := e.smsStart(known), e.smsStart(unknown)
	ea, eb := e.emailStart("known-retry@example.com"), e.emailStart("nobody-retry@example.com")
	e.clock.Advance(30 * time.Second)
	retry := func(prefix, id, to string) *resp {
		return e.do(req{Method: "POST", Path: prefix + "/retry", Body: retryBody(prefix, id, to)})
	}
	for range 2 { // sent, then refused by the cooldown
		a, b := retry("smsVerifications", ka, knownE164), retry("smsVerifications", kb, unknownE164)
		compareAnswers(t, a, b)
		a, b = retry("emailVerifications", ea, "known-retry@example.com"), retry("emailVerifications", eb, "nobody-retry@example.com")
		compareAnswers(t, a, b)
	}
}

// testMFAConfirmNewest: POST users/mfa/register/totp confirms the newest
// unverified device; older unverified ones stay listed, unverified.
func testMFAConfirmNewest(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(136, nil)
	register := func() (id, secret string) {
		r := e.do(req{Method: "GET", Path: "users/mfa/register/totp", Bearer: v.MinifiedJWT})
		expectStatus(t, r, 200)
		var reg struct{ ID, Secret string }
		r.JSON(t, &reg)
		return reg.ID, reg.Secret
	}
	olderID, olderSecret := register()
	e.clock.Advance(time.Second) // "newest" is by creation time
	newerID, newerSecret := register()
	confirm := func(code string) *resp {
		return e.do(req{Method: "POST", Path: "users/mfa/register/totp", Bearer: v.MinifiedJWT, Body: map[string]any{"type": "totp", "code": code}})
	}
	if c := e.totpCode(olderSecret); c != e.totpCode(newerSecret) {
		expectError(t, confirm(c), 422, "mfa_invalid_code")
	}
	r := confirm(e.totpCode(newerSecret))
	expectStatus(t, r, 200)
	var d mfaDevice
	r.JSON(t, &d)
	if d.ID != newerID || !d.Verified || !d.Default || d.Type != "totp" {
		t.Fatalf("confirmed %s", r.Body)
	}
	r = e.do(req{Method: "GET", Path: "users/mfa", Bearer: v.MinifiedJWT})
	var list struct {
		Count   int         `json:"count"`
		Devices []mfaDevice `json:"devices"`
	}
	r.JSON(t, &list)
	if list.Count != 2 || len(list.Devices) != 2 {
		t.Fatalf("devices %s", r.Body)
	}
	for _, dv := range list.Devices {
		if dv.ID == olderID && (dv.Verified || dv.Default) || dv.ID == newerID && !dv.Verified {
			t.Fatalf("devices %s", r.Body)
		}
	}
}

// testMFADeleteRules: an MFA token of another user is refused, and when
// the default device is deleted the oldest remaining confirmed device
// becomes the default.
func testMFADeleteRules(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(137, nil)
	a, aSecret := e.enrollTOTP(v.MinifiedJWT)
	multi := map[string]any{"createMfaToken": map[string]any{"singleUse": false}}
	up := e.mfaAuth(v.MinifiedJWT, aSecret, multi) // more devices need a fresh MFA
	b, _ := e.enrollTOTP(up.MinifiedJWT)
	c, _ := e.enrollTOTP(up.MinifiedJWT)
	other := e.smsSignIn(138, nil)
	_, oSecret := e.enrollTOTP(other.MinifiedJWT)
	mine, theirs := up.MFAToken, e.mfaAuth(other.MinifiedJWT, oSecret, multi).MFAToken
	del := func(id, token string) *resp {
		return e.do(req{Method: "DELETE", Path: "users/mfa/" + id, Bearer: v.MinifiedJWT, Header: map[string]string{"x-mfa-auth-token": token}})
	}
	expectError(t, del(a, theirs), 403, "mfa_token_required")
	r := del(a, mine)
	expectStatus(t, r, 204)
	if len(r.Body) != 0 {
		t.Fatalf("204 with a body: %q", r.Body)
	}
	r = e.do(req{Method: "GET", Path: "users/mfa", Bearer: v.MinifiedJWT})
	var list struct {
		Devices []mfaDevice `json:"devices"`
	}
	r.JSON(t, &list)
	defaults := map[string]bool{}
	for _, d := range list.Devices {
		defaults[d.ID] = d.Default
	}
	if len(defaults) != 2 || !defaults[b] || defaults[c] {
		t.Fatalf("after deleting the default: %s (b=%s c=%s)", r.Body, b, c)
	}
}

// testOAuthConformance: the state rules of initAuth at their bounds, a
// state used against another provider is consumed, oauthResult gives the
// provider's code exactly, and a code the token endpoint refuses is
// oauth_exchange_failed.
func testOAuthConformance(t *testing.T, newStores storeFactory) {
	idp := oauthtest.NewServer(t, oauthtest.Config{Subject: "oidc-user-8", Email: "oidc8@example.com"})
	e := newTestEnv(t, newStores, func(c *config) {
		c.OIDC = []oidcProviderConfig{{Name: "acme", Issuer: idp.Issuer(), ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret()}}
	})
	e.clock.Set(time.Now()) // the fake provider's clock is real time
	init := func(provider, state string) *resp {
		return e.do(req{Method: "POST", Path: "providers/" + provider + "/initAuth", Body: map[string]any{"state": state}})
	}
	t.Run("state bounds", func(t *testing.T) {
		suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
		for _, bad := range []string{strings.Repeat("a", 15), "abcdefghijklmnop&q=1", "abcdefghijklmnop/q", strings.Repeat("b", 129)} {
			expectError(t, init("github", bad), 400, "validation_error")
		}
		for _, good := range []string{("a-._~" + suffix + strings.Repeat("c", 16))[:16], (suffix + strings.Repeat("Z9", 64))[:128]} {
			r := init("github", good)
			expectStatus(t, r, 204)
			if len(r.Body) != 0 {
				t.Fatalf("204 with a body: %q", r.Body)
			}
		}
	})
	t.Run("redirectUrl without -redirect-url", func(t *testing.T) {
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{
			"state": oauthState(33), "redirectUrl": "https://app.example.com/callback",
		}}), 400, "validation_error")
	})
	t.Run("loginUrl carries the client's code challenge", func(t *testing.T) {
		const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" // RFC 7636 appendix B
		st := oauthState(34)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st, "codeChallenge": challenge}}), 204)
		r := e.do(req{Method: "GET", Path: "providers/github/loginUrl?state=" + st})
		expectStatus(t, r, 200)
		var lu struct{ URL string }
		r.JSON(t, &lu)
		u, err := url.Parse(lu.URL)
		if err != nil || u.Query().Get("code_challenge") != challenge || u.Query().Get("code_challenge_method") != "S256" || u.Query().Get("state") != st {
			t.Fatalf("login URL %s", lu.URL)
		}
	})
	t.Run("state of another provider is consumed", func(t *testing.T) {
		st := oauthState(30)
		expectStatus(t, init("github", st), 204)
		expectStatus(t, e.oauthBrowser("github", st), 200)
		expectError(t, e.do(req{Method: "POST", Path: "providers/acme/signIn", Body: map[string]any{"state": st}}), 422, "invalid_verification")
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st}}), 422, "invalid_verification")
	})
	t.Run("oauthResult code is the provider's code", func(t *testing.T) {
		st := oauthState(31)
		expectStatus(t, init("github", st), 204)
		r := e.do(req{Method: "GET", Path: "providers/github/loginUrl?state=" + url.QueryEscape(st)})
		var lu struct{ URL string }
		r.JSON(t, &lu)
		auth := e.do(req{Method: "GET", Path: e.clientPKCE(st, lu.URL)})
		loc, err := url.Parse(auth.Header.Get("Location"))
		if err != nil || loc.Query().Get("code") == "" {
			t.Fatalf("authorize: %d %v", auth.Status, auth.Header)
		}
		expectStatus(t, e.do(req{Method: "GET", Path: loc.String()}), 200)
		r = e.do(req{Method: "POST", Path: "providers/github/oauthResult", Body: map[string]any{"state": st}})
		var res struct{ Status, Code string }
		r.JSON(t, &res)
		if res.Status != "completed" || res.Code != loc.Query().Get("code") {
			t.Fatalf("result %s, provider code %q", r.Body, loc.Query().Get("code"))
		}
	})
	t.Run("every outcome consumes the state", func(t *testing.T) {
		signIn := func(st string) *resp {
			return e.do(req{Method: "POST", Path: "providers/acme/signIn", Body: map[string]any{"state": st}})
		}
		for _, tc := range []struct {
			name, code string
			status     int
			setup      func()
		}{
			{"provider unavailable", "provider_unavailable", 502, func() { idp.FailEndpoint("token", 503) }},
			{"ID token refused", "other_verify_failure", 422, func() { idp.TamperIDTokens(func(c map[string]any) { c["aud"] = "someone-else" }) }},
		} {
			st := oauthState(35)
			expectStatus(t, init("acme", st), 204)
			expectStatus(t, e.oauthBrowser("acme", st), 200)
			tc.setup()
			expectError(t, signIn(st), tc.status, tc.code)
			idp.FailEndpoint("token", 0)
			idp.TamperIDTokens(nil)
			expectError(t, signIn(st), 422, "invalid_verification")
		}
		// A signIn before the callback (no code to exchange): consumed too.
		st := oauthState(36)
		expectStatus(t, init("acme", st), 204)
		expectError(t, signIn(st), 422, "other_verify_failure")
		expectError(t, signIn(st), 422, "invalid_verification")
	})
	t.Run("token endpoint refuses the code", func(t *testing.T) {
		st := oauthState(32)
		expectStatus(t, init("acme", st), 204)
		expectStatus(t, e.oauthBrowser("acme", st), 200)
		idp.FailEndpoint("token", 400)
		defer idp.FailEndpoint("token", 0)
		expectError(t, e.do(req{Method: "POST", Path: "providers/acme/signIn", Body: map[string]any{"state": st}}), 422, "other_verify_failure")
		idp.FailEndpoint("token", 0)
		expectError(t, e.do(req{Method: "POST", Path: "providers/acme/signIn", Body: map[string]any{"state": st}}), 422, "invalid_verification")
	})
}

// testPerIPLimits: -ip-limit applies its create bucket to OTP create and
// retry together, and its signin bucket to every sign-in route, each with
// 429 rate_limited and Retry-After.
func testPerIPLimits(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores, func(c *config) { c.IPLimit = "create=2/m,signin=3/m" })
	id := e.emailStart("perip@example.com")
	e.clock.Advance(30 * time.Second)
	r := e.do(req{Method: "POST", Path: "emailVerifications/retry", Body: map[string]any{"verificationUUID": id, "email": "perip@example.com"}})
	expectStatus(t, r, 201)
	limited := func(r *resp) {
		t.Helper()
		expectError(t, r, 429, "rate_limited")
		if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
			t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
		}
	}
	national, _ := testPhone(139)
	limited(e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody(national)}))
	wrong := map[string]any{"verificationUUID": "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "verificationToken": "000000"}
	for range 3 {
		if r := e.do(req{Method: "POST", Path: "smsVerifications/signin", Body: wrong}); r.Status == 429 {
			t.Fatalf("signin limited early: %s", r.Body)
		}
	}
	limited(e.do(req{Method: "POST", Path: "emailVerifications/signin", Body: wrong}))
	limited(e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": oauthState(40)}}))
	// Routes outside the two buckets are not limited.
	expectStatus(t, e.do(req{Method: "GET", Path: ".well-known/jwks"}), 200)
}

// testDevMessages: /dev/messages lists each send as
// {channel, to (E.164), code, sentAt (RFC 3339)}, oldest first, and each
// send logs one line.
func testDevMessages(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	national, e164 := testPhone(140)
	id := e.smsStart(national)
	e.clock.Advance(30 * time.Second)
	b := smsBody(national)
	b["verificationUUID"] = id
	expectStatus(t, e.do(req{Method: "POST", Path: "smsVerifications/retry", Body: b}), 201)
	for _, q := range []string{"%2B" + e164[1:], url.QueryEscape(e164)} {
		r := e.do(req{Method: "GET", Path: "/dev/messages?to=" + q})
		expectStatus(t, r, 200)
		var msgs []map[string]string
		r.JSON(t, &msgs)
		if len(msgs) != 2 {
			t.Fatalf("messages %s", r.Body)
		}
		var prev time.Time
		for _, m := range msgs {
			at, err := time.Parse(time.RFC3339, m["sentAt"])
			if err != nil || m["channel"] != "sms" || m["to"] != e164 || len(m["code"]) != 6 || len(m) != 4 || at.Before(prev) {
				t.Fatalf("message %v (%v)", m, err)
			}
			prev = at
		}
		if msgs[0]["sentAt"] == msgs[1]["sentAt"] || msgs[0]["code"] == "" {
			t.Fatalf("not two sends 30 s apart, oldest first: %s", r.Body)
		}
	}
	e.emailStart("dev-messages@example.com")
	r := e.do(req{Method: "GET", Path: "/dev/messages?to=dev-messages%40example.com"})
	if !strings.Contains(string(r.Body), `"channel":"email"`) || !strings.Contains(string(r.Body), `"to":"dev-messages@example.com"`) {
		t.Fatalf("email messages %s", r.Body)
	}
	sends := 0
	for _, line := range splitLines(e.logs.String()) {
		if strings.Contains(line, `msg="verification code sent"`) {
			sends++
		}
	}
	if sends != 3 {
		t.Fatalf("%d send log lines for 3 sends", sends)
	}
}

// TestRealGitHubReplacesFake: with a real github provider configured, the
// development fake is neither mounted nor used.
func TestRealGitHubReplacesFake(t *testing.T) {
	idp := oauthtest.NewServer(t, oauthtest.Config{Subject: "gh-1", Email: "gh@example.com"})
	e := newTestEnv(t, nil, func(c *config) {
		c.OIDC = []oidcProviderConfig{{Name: "github", Issuer: idp.Issuer(), ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret()}}
	})
	if e.srv.fakeOAuth != nil {
		t.Fatal("fake provider built")
	}
	expectError(t, e.do(req{Method: "GET", Path: "/dev/oauth/authorize"}), 404, "not_found")
	st := oauthState(41)
	expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}}), 204)
	r := e.do(req{Method: "GET", Path: "providers/github/loginUrl?state=" + st})
	expectStatus(t, r, 200)
	var lu struct{ URL string }
	r.JSON(t, &lu)
	if !strings.HasPrefix(lu.URL, idp.Issuer()) {
		t.Fatalf("login URL %s, want the configured provider %s", lu.URL, idp.Issuer())
	}
	e.clock.Set(time.Now()) // the fake provider's clock is real time
	expectStatus(t, e.oauthBrowser("github", st), 200)
	r = e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st}})
	expectStatus(t, r, 200)
	var v verifyResponse
	r.JSON(t, &v)
	if c := v.User.VerifiedCredentials[0]; c.OAuthProvider != "github" || c.OAuthAccountID != "gh-1" || len(c.OAuthEmails) != 1 || c.OAuthEmails[0] != "gh@example.com" {
		t.Fatalf("credential %+v", c)
	}
}

// TestOIDCOnlyWithoutDev: -dev=false with an -oidc provider and no code
// sender starts; the code routes do not exist, OAuth works.
func TestOIDCOnlyWithoutDev(t *testing.T) {
	idp := oauthtest.NewServer(t, oauthtest.Config{Subject: "only-1", Email: "only@example.com"})
	e := newTestEnv(t, nil, func(c *config) {
		c.Dev = false
		c.OIDC = []oidcProviderConfig{{Name: "acme", Issuer: idp.Issuer(), ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret()}}
	})
	e.clock.Set(time.Now())
	national, _ := testPhone(142)
	expectError(t, e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody(national)}), 404, "not_found")
	expectError(t, e.do(req{Method: "POST", Path: "emailVerifications/create", Body: map[string]any{"email": "a@example.com"}}), 404, "not_found")
	expectError(t, e.do(req{Method: "GET", Path: "/dev/messages"}), 404, "not_found")
	st := oauthState(42)
	expectStatus(t, e.do(req{Method: "POST", Path: "providers/acme/initAuth", Body: map[string]any{"state": st}}), 204)
	expectStatus(t, e.oauthBrowser("acme", st), 200)
	expectStatus(t, e.do(req{Method: "POST", Path: "providers/acme/signIn", Body: map[string]any{"state": st}}), 200)

	// With no sender and no provider there is no way to sign in: refused.
	cfg := defaultConfig()
	cfg.Env, cfg.Issuer, cfg.Dev = testEnvID, "http://127.0.0.1:1"+apiPrefix+testEnvID, false
	if _, err := newServer(context.Background(), cfg, serverOptions{}); err == nil {
		t.Fatal("a server with no way to sign in started")
	}
}

// testCrossChannel: a verification of one channel is unknown on the other
// channel's routes (invalid_*_verification), and submitting it there
// changes nothing: no attempt counted, not used up.
func testCrossChannel(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	id := e.emailStart("cross@example.com")
	code := e.lastCode("cross@example.com")
	national, e164 := testPhone(143)
	sid := e.smsStart(national)
	scode := e.lastCode(e164)
	for range 6 {
		expectError(t, e.do(req{Method: "POST", Path: "smsVerifications/signin", Body: map[string]any{"verificationUUID": id, "verificationToken": "000000"}}), 422, "invalid_sms_verification")
	}
	expectError(t, e.do(req{Method: "POST", Path: "smsVerifications/signin", Body: map[string]any{"verificationUUID": id, "verificationToken": code}}), 422, "invalid_sms_verification")
	expectError(t, e.do(req{Method: "POST", Path: "emailVerifications/signin", Body: map[string]any{"verificationUUID": sid, "verificationToken": scode}}), 422, "invalid_email_verification")
	e.clock.Advance(time.Minute)
	b := smsBody(national)
	b["verificationUUID"] = id
	expectError(t, e.do(req{Method: "POST", Path: "smsVerifications/retry", Body: b}), 422, "invalid_sms_verification")
	expectError(t, e.do(req{Method: "POST", Path: "emailVerifications/retry", Body: map[string]any{"verificationUUID": sid, "email": "cross@example.com"}}), 422, "invalid_email_verification")
	// A retry naming another number than its verification's is unknown too.
	other, _ := testPhone(144)
	b = smsBody(other)
	b["verificationUUID"] = sid
	expectError(t, e.do(req{Method: "POST", Path: "smsVerifications/retry", Body: b}), 422, "invalid_sms_verification")
	expectStatus(t, e.do(req{Method: "POST", Path: "emailVerifications/signin", Body: map[string]any{"verificationUUID": id, "verificationToken": code}}), 200)
	expectStatus(t, e.do(req{Method: "POST", Path: "smsVerifications/signin", Body: map[string]any{"verificationUUID": sid, "verificationToken": scode}}), 200)
}

// testDevFakeProvider: the fake provider of development mode, reached
// through /dev/oauth/, auto-approves to the server's github redirect and
// its token endpoint enforces PKCE S256, the exact redirect URI and
// single-use codes; userinfo gives the fixed identity.
func testDevFakeProvider(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	fake := e.srv.fakeOAuth
	redirectURI := e.srv.cfg.Issuer + "/providers/github/redirect"
	authorize := func() (state, code string) {
		t.Helper()
		state = oauthState(50)
		expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": state}}), 204)
		r := e.do(req{Method: "GET", Path: "providers/github/loginUrl?state=" + state})
		var lu struct{ URL string }
		r.JSON(t, &lu)
		if !strings.HasPrefix(lu.URL, e.ts.URL+"/dev/oauth/") {
			t.Fatalf("login URL %s", lu.URL)
		}
		auth := e.do(req{Method: "GET", Path: e.clientPKCE(state, lu.URL)})
		loc, err := url.Parse(auth.Header.Get("Location"))
		if auth.Status != 302 && auth.Status != 303 || err != nil || !strings.HasPrefix(loc.String(), redirectURI+"?") || loc.Query().Get("state") != state {
			t.Fatalf("authorize: %d %q", auth.Status, auth.Header.Get("Location"))
		}
		return state, loc.Query().Get("code")
	}
	token := func(code, redirect, verifier string) *resp {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
			"code_verifier": {verifier}, "client_id": {fake.ClientID()}, "client_secret": {fake.ClientSecret()}}
		return e.do(req{Method: "POST", Path: "/dev/oauth/token", Body: form.Encode(),
			Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	}
	// Only the client holds the verifier, so a guess is refused; and a
	// refused code is spent: the client's own exchange then fails.
	state, code := authorize()
	if r := token(code, redirectURI, strings.Repeat("v", 43)); r.Status != 400 || !strings.Contains(string(r.Body), "invalid_grant") {
		t.Fatalf("wrong verifier: %d %s", r.Status, r.Body)
	}
	expectStatus(t, e.do(req{Method: "GET", Path: "providers/github/redirect?code=" + url.QueryEscape(code) + "&state=" + state}), 200)
	expectError(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": state}}), 422, "other_verify_failure")
	// A redirect URI other than the one authorized is refused.
	_, code = authorize()
	if r := token(code, redirectURI+"/", strings.Repeat("v", 43)); r.Status != 400 {
		t.Fatalf("other redirect_uri: %d %s", r.Status, r.Body)
	}
	// A code works once: the client's exchange succeeds, a replay fails.
	state, code = authorize()
	expectStatus(t, e.do(req{Method: "GET", Path: "providers/github/redirect?code=" + url.QueryEscape(code) + "&state=" + state}), 200)
	r := e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": state}})
	expectStatus(t, r, 200)
	var v verifyResponse
	r.JSON(t, &v)
	if c := v.User.VerifiedCredentials[0]; c.OAuthProvider != "github" || c.OAuthAccountID != "424242" || c.OAuthEmails[0] != "dev@example.com" {
		t.Fatalf("credential %+v", c)
	}
	if r := token(code, redirectURI, strings.Repeat("v", 43)); r.Status != 400 {
		t.Fatalf("replayed code: %d %s", r.Status, r.Body)
	}
}

// TestDefaultEnvIsUUIDv4: without -env the environment id is a random
// UUID of version 4 (server.md's flags table).
func TestDefaultEnvIsUUIDv4(t *testing.T) {
	c, err := parseConfig(nil, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !isEnvironmentID(c.Env) || c.Env[14] != '4' || !strings.ContainsRune("89ab", rune(c.Env[19])) {
		t.Fatalf("env %q is not a UUIDv4", c.Env)
	}
}
