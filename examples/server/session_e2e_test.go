package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func testVerifyLinksCredential(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(50, nil)
	other := e.emailSignIn("taken@example.com")

	id := e.emailStart("second@example.com")
	body := map[string]any{"verificationUUID": id, "verificationToken": e.lastCode("second@example.com")}
	expectError(t, e.do(req{Method: "POST", Path: "emailVerifications/verify", Body: body}), 401, "unauthorized")
	r := e.do(req{Method: "POST", Path: "emailVerifications/verify", Body: body, Bearer: v.MinifiedJWT})
	expectStatus(t, r, 200)
	var u verifyResponse
	r.JSON(t, &u)
	if u.NextView != "done" || u.User.ID != v.User.ID || len(u.User.VerifiedCredentials) != 2 || u.User.Email != "second@example.com" {
		t.Fatalf("verify %s", r.Body)
	}
	c := decodeJWT(t, u.JWT)
	if c.Sid != decodeJWT(t, v.JWT).Sid || len(c.Creds) != 2 || u.ExpiresAt != c.Exp {
		t.Fatalf("re-issued token: sid %s creds %d", c.Sid, len(c.Creds))
	}
	// The new address now signs in to the same user.
	e.clock.Advance(time.Minute)
	if got := e.emailSignIn("second@example.com"); got.User.ID != v.User.ID {
		t.Fatal("linked address signs in to another user")
	}
	// An address of another user cannot be linked.
	e.clock.Advance(time.Hour)
	id = e.emailStart("taken@example.com")
	r = e.do(req{Method: "POST", Path: "emailVerifications/verify", Bearer: v.MinifiedJWT, Body: map[string]any{
		"verificationUUID": id, "verificationToken": e.lastCode("taken@example.com"),
	}})
	expectError(t, r, 422, "user_has_already_account_with_email")
	_ = other
	// SMS verify links a phone to the email user.
	national, e164 := testPhone(51)
	sid := e.smsStart(national)
	r = e.do(req{Method: "POST", Path: "smsVerifications/verify", Bearer: other.MinifiedJWT, Body: map[string]any{
		"verificationUUID": sid, "verificationToken": e.lastCode(e164),
	}})
	expectStatus(t, r, 200)
	r.JSON(t, &u)
	if u.User.ID != other.User.ID || len(u.User.VerifiedCredentials) != 2 {
		t.Fatalf("sms verify %s", r.Body)
	}
}

func testAuthentication(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(60, map[string]any{"requestedScopes": []string{"wallet:sign"}})
	other := newTestEnv(t, newStores).smsSignIn(60, nil) // same issuer shape, another key

	for name, h := range map[string]map[string]string{
		"no token":               nil,
		"garbage":                {"Authorization": "Bearer garbage"},
		"basic auth":             {"Authorization": "Basic dXNlcjpwYXNz"},
		"empty bearer":           {"Authorization": "Bearer "},
		"elevated token":         {"Authorization": "Bearer " + v.ElevatedAccessToken},
		"another server":         {"Authorization": "Bearer " + other.MinifiedJWT},
		"tampered":               {"Authorization": "Bearer " + tamper(v.MinifiedJWT)},
		"oversized":              {"Authorization": "Bearer " + strings.Repeat("a", 9000)},
		"cookie, no cookie mode": {"Cookie": "DYNAMIC_JWT_TOKEN=" + v.MinifiedJWT},
	} {
		t.Run(name, func(t *testing.T) {
			for _, rt := range []struct{ method, path string }{{"GET", "users"}, {"GET", "session"}, {"POST", "refresh"}, {"POST", "revoke"}, {"GET", "users/mfa"}} {
				r := e.do(req{Method: rt.method, Path: rt.path, Header: h})
				expectError(t, r, 401, "unauthorized")
				if r.Header.Get("WWW-Authenticate") == "" {
					t.Fatal("no WWW-Authenticate")
				}
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		e.clock.Advance(2*time.Hour + time.Minute)
		expectError(t, e.do(req{Method: "GET", Path: "users", Bearer: v.MinifiedJWT}), 401, "unauthorized")
	})
}

// tamper flips a character of a JWT's payload.
func tamper(tok string) string {
	p := strings.Split(tok, ".")
	b := []byte(p[1])
	if b[10] == 'A' {
		b[10] = 'B'
	} else {
		b[10] = 'A'
	}
	p[1] = string(b)
	return strings.Join(p, ".")
}

func testRefreshRevokeSession(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(70, nil)
	old := decodeJWT(t, v.MinifiedJWT)
	expectStatus(t, e.do(req{Method: "GET", Path: "session", Bearer: v.MinifiedJWT}), 204)

	e.clock.Advance(10 * time.Minute)
	r := e.do(req{Method: "POST", Path: "refresh", Bearer: v.MinifiedJWT})
	expectStatus(t, r, 200)
	var n verifyResponse
	r.JSON(t, &n)
	nc := decodeJWT(t, n.MinifiedJWT)
	if nc.Sid != old.Sid || nc.Exp <= old.Exp || n.ExpiresAt != nc.Exp || n.User.ID != v.User.ID || decodeJWT(t, n.JWT).Sid != old.Sid {
		t.Fatalf("refresh: sid %s exp %d (old %d)", nc.Sid, nc.Exp, old.Exp)
	}
	// The superseded token works for the grace window, then stops.
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Bearer: v.MinifiedJWT}), 200)
	e.clock.Advance(e.srv.sessions.Config().RefreshGrace)
	expectError(t, e.do(req{Method: "GET", Path: "users", Bearer: v.MinifiedJWT}), 401, "unauthorized")
	// The full token refreshes too.
	r = e.do(req{Method: "POST", Path: "refresh", Bearer: n.JWT})
	expectStatus(t, r, 200)
	var n2 verifyResponse
	r.JSON(t, &n2)

	// Another session of the same user survives the revocation.
	e.clock.Advance(time.Hour)
	second := e.smsSignIn(70, nil)

	expectStatus(t, e.do(req{Method: "POST", Path: "revoke", Bearer: n2.MinifiedJWT}), 204)
	n = n2

	for _, tok := range []string{v.MinifiedJWT, v.JWT, n.MinifiedJWT, n.JWT} {
		for _, rt := range []struct{ method, path string }{{"GET", "session"}, {"GET", "users"}, {"POST", "refresh"}, {"POST", "revoke"}, {"GET", "users/mfa"}, {"PUT", "users"}} {
			expectError(t, e.do(req{Method: rt.method, Path: rt.path, Bearer: tok, Body: map[string]any{}}), 401, "unauthorized")
		}
	}
	expectStatus(t, e.do(req{Method: "GET", Path: "session", Bearer: second.MinifiedJWT}), 204)
}

func testElevatedToken(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(80, map[string]any{"requestedScopes": []string{"wallet:sign", "user:update"}})
	if v.ElevatedAccessToken == "" {
		t.Fatalf("no elevatedAccessToken: %s", v.raw.Body)
	}
	c := decodeJWT(t, v.ElevatedAccessToken)
	if c.Header["typ"] == decodeJWT(t, v.MinifiedJWT).Header["typ"] || c.Sid != decodeJWT(t, v.MinifiedJWT).Sid ||
		!hasScope(c.Scope, "wallet:sign") || !hasScope(c.Scope, "user:update") || hasScope(c.Scope, "user:basic") || c.Exp-c.Iat > 600 {
		t.Fatalf("elevated claims %+v", c)
	}
	if len(c.AMR) == 0 || c.AMR[0] != "sms" {
		t.Fatalf("amr %v", c.AMR)
	}
	expectError(t, e.do(req{Method: "GET", Path: "users", Bearer: v.ElevatedAccessToken}), 401, "unauthorized")
	// Without requestedScopes there is none.
	if w := e.smsSignIn(81, nil); w.ElevatedAccessToken != "" || strings.Contains(string(w.raw.Body), "elevatedAccessToken") {
		t.Fatal("elevated token without requestedScopes")
	}
	// Email sign-ins and verify routes take requestedScopes too, when the
	// code re-proves a credential the user already had: a new email only
	// proves that the requester reads that mailbox.
	verify := func(email string) verifyResponse {
		id := e.emailStart(email)
		r := e.do(req{Method: "POST", Path: "emailVerifications/verify", Bearer: v.MinifiedJWT, Body: map[string]any{
			"verificationUUID": id, "verificationToken": e.lastCode(email), "requestedScopes": []string{"credential:link"},
		}})
		expectStatus(t, r, 200)
		var u verifyResponse
		r.JSON(t, &u)
		return u
	}
	if u := verify("elevated@example.com"); u.ElevatedAccessToken != "" {
		t.Fatal("an elevated token for a credential linked by the same request")
	}
	e.clock.Advance(time.Minute) // past the resend gap of that address
	if u := verify("elevated@example.com"); u.ElevatedAccessToken == "" || decodeJWT(t, u.ElevatedAccessToken).Scope != "credential:link" {
		t.Fatal("no elevated token for the user's own email")
	}
}

func testAudience(t *testing.T, newStores storeFactory) {
	const origin = "https://app.example.com"
	e := newTestEnv(t, newStores, func(c *config) { c.CORSOrigins = []string{origin} })
	national, e164 := testPhone(90)
	id := e.smsStart(national)
	r := e.do(req{Method: "POST", Path: "smsVerifications/signin", Header: map[string]string{"Origin": origin}, Body: map[string]any{
		"verificationUUID": id, "verificationToken": e.lastCode(e164), "requestedScopes": []string{"wallet:sign"},
	}})
	expectStatus(t, r, 200)
	var v verifyResponse
	r.JSON(t, &v)
	for _, tok := range []string{v.JWT, v.MinifiedJWT, v.ElevatedAccessToken} {
		if c := decodeJWT(t, tok); c.Aud != origin || c.Iss != e.srv.cfg.Issuer {
			t.Fatalf("aud %v iss %s", c.Aud, c.Iss)
		}
	}
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Bearer: v.MinifiedJWT}), 200)
	// A refresh keeps the audience.
	r = e.do(req{Method: "POST", Path: "refresh", Bearer: v.MinifiedJWT})
	expectStatus(t, r, 200)
	r.JSON(t, &v)
	if decodeJWT(t, v.MinifiedJWT).Aud != origin {
		t.Fatal("refresh changed aud")
	}
	// A foreign Origin gets the issuer as audience.
	e.clock.Advance(time.Hour)
	id = e.smsStart(national)
	r = e.do(req{Method: "POST", Path: "smsVerifications/signin", Header: map[string]string{"Origin": "https://evil.example"}, Body: map[string]any{
		"verificationUUID": id, "verificationToken": e.lastCode(e164),
	}})
	expectStatus(t, r, 200)
	r.JSON(t, &v)
	if decodeJWT(t, v.MinifiedJWT).Aud != e.srv.cfg.Issuer {
		t.Fatal("foreign origin became the audience")
	}
}

// testSessionPublicKey: a sessionPublicKey sent at sign-in is bound into
// both tokens and kept by refresh and by the MFA upgrade.
func testSessionPublicKey(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	const key = "02" + "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
	claim := func(tok string) any {
		p := strings.Split(tok, ".")[1]
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m["session_public_key"]
	}
	v := e.smsSignIn(120, map[string]any{"sessionPublicKey": key})
	if claim(v.JWT) != key || claim(v.MinifiedJWT) != key {
		t.Fatalf("session_public_key %v / %v", claim(v.JWT), claim(v.MinifiedJWT))
	}
	r := e.do(req{Method: "POST", Path: "refresh", Bearer: v.MinifiedJWT})
	expectStatus(t, r, 200)
	var n verifyResponse
	r.JSON(t, &n)
	if claim(n.MinifiedJWT) != key {
		t.Fatal("refresh dropped the session key")
	}
	if w := e.smsSignIn(121, nil); claim(w.MinifiedJWT) != nil {
		t.Fatal("a session key without one being sent")
	}
}

func testJWKS(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(95, nil)
	kid := decodeJWT(t, v.MinifiedJWT).Header["kid"]
	for _, p := range []string{".well-known/jwks", ".well-known/jwks.json"} {
		r := e.do(req{Method: "GET", Path: p})
		expectStatus(t, r, 200)
		var set struct {
			Keys []map[string]any `json:"keys"`
		}
		r.JSON(t, &set)
		found := false
		for _, k := range set.Keys {
			if k["kid"] == "" || k["alg"] == nil || k["use"] != "sig" {
				t.Fatalf("key %v", k)
			}
			for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
				if _, ok := k[private]; ok {
					t.Fatalf("private member %q published", private)
				}
			}
			found = found || k["kid"] == kid
		}
		if !found {
			t.Fatalf("kid %v not published", kid)
		}
	}
}

func testUsers(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(96, nil)
	r := e.do(req{Method: "PUT", Path: "users", Bearer: v.MinifiedJWT, Body: map[string]any{
		"firstName": "Jane", "lastName": "O'Neil", "alias": "jj", "metadata": map[string]any{"plan": "pro"},
	}})
	expectStatus(t, r, 200)
	var u struct {
		User        map[string]any `json:"user"`
		ExpiresAt   int64          `json:"expiresAt"`
		JWT         string         `json:"jwt"`
		MinifiedJWT string         `json:"minifiedJwt"`
	}
	r.JSON(t, &u)
	if u.User["firstName"] != "Jane" || u.User["lastName"] != "O'Neil" || u.JWT == "" || u.ExpiresAt != decodeJWT(t, u.JWT).Exp {
		t.Fatalf("PUT users %s", r.Body)
	}
	if decodeJWT(t, u.JWT).Sid != decodeJWT(t, v.JWT).Sid {
		t.Fatal("PUT users changed the session")
	}
	r = e.do(req{Method: "GET", Path: "users", Bearer: u.MinifiedJWT})
	expectStatus(t, r, 200)
	m := r.Map(t)
	if m["firstName"] != "Jane" || m["alias"] != "jj" || m["metadata"].(map[string]any)["plan"] != "pro" {
		t.Fatalf("GET users %s", r.Body)
	}
	for _, bad := range []map[string]any{
		{"firstName": "<script>"},
		{"firstName": " Jane"},
		{"alias": strings.Repeat("a", 256)},
		{"country": "United States"},
		{"metadata": []int{1}},
		{"mfaBackupCodeAcknowledgement": "done"},
		{"firstName": 5},
	} {
		expectError(t, e.do(req{Method: "PUT", Path: "users", Bearer: v.MinifiedJWT, Body: bad}), 400, "validation_error")
	}
	// Acknowledging codes that were never issued.
	expectError(t, e.do(req{Method: "PUT", Path: "users", Bearer: v.MinifiedJWT, Body: map[string]any{"mfaBackupCodeAcknowledgement": "complete"}}), 422, "no_recovery_codes")
}

func testCookieMode(t *testing.T, newStores storeFactory) {
	const origin = "https://app.example.com"
	e := newTestEnv(t, newStores, func(c *config) { c.CookieAuth = true; c.CORSOrigins = []string{origin} })
	national, e164 := testPhone(97)
	id := e.smsStart(national)
	r := e.do(req{Method: "POST", Path: "smsVerifications/signin", Body: map[string]any{"verificationUUID": id, "verificationToken": e.lastCode(e164)}})
	expectStatus(t, r, 200)
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
	ck := sessionCookie(t, r)
	if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.MaxAge != 7200 {
		t.Fatalf("cookie %+v", ck)
	}
	if c := decodeJWT(t, ck.Value); c.Exp != int64(m["expiresAt"].(float64)) || c.Header["typ"] != "at+jwt" {
		t.Fatalf("cookie token exp %d typ %v", c.Exp, c.Header["typ"])
	}
	cookie := &http.Cookie{Name: ck.Name, Value: ck.Value}

	// Login CSRF: a sign-in from a foreign Origin is refused before the
	// code is checked (the code still works afterwards).
	id2 := e.emailStart("csrf@example.com")
	csrfBody := map[string]any{"verificationUUID": id2, "verificationToken": e.lastCode("csrf@example.com")}
	expectError(t, e.do(req{Method: "POST", Path: "emailVerifications/signin", Body: csrfBody, Header: map[string]string{"Origin": "https://evil.example"}}), 403, "csrf_rejected")
	expectStatus(t, e.do(req{Method: "POST", Path: "emailVerifications/signin", Body: csrfBody, Header: map[string]string{"Origin": origin}}), 200)

	expectStatus(t, e.do(req{Method: "GET", Path: "users", Cookie: cookie}), 200)
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Cookie: cookie, Header: map[string]string{"Origin": origin}}), 200)
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Cookie: cookie, Header: map[string]string{"Origin": e.ts.URL}}), 200)
	expectError(t, e.do(req{Method: "GET", Path: "users", Cookie: cookie, Header: map[string]string{"Origin": "https://evil.example"}}), 403, "csrf_rejected")
	expectError(t, e.do(req{Method: "POST", Path: "revoke", Cookie: cookie, Header: map[string]string{"Origin": "https://evil.example"}}), 403, "csrf_rejected")
	// A bearer token is not subject to the Origin check: a cross-site page cannot attach it.
	expectStatus(t, e.do(req{Method: "GET", Path: "session", Bearer: ck.Value, Header: map[string]string{"Origin": "https://evil.example"}}), 204)
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/auth/totp", Bearer: ck.Value, Header: map[string]string{"Origin": "https://evil.example"}, Body: map[string]any{"code": "123456"}}), 422, "mfa_device_not_found")
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/auth/totp", Cookie: cookie, Header: map[string]string{"Origin": "https://evil.example"}, Body: map[string]any{"code": "123456"}}), 403, "csrf_rejected")

	// PUT users and refresh set a new cookie.
	r = e.do(req{Method: "PUT", Path: "users", Cookie: cookie, Body: map[string]any{"firstName": "Ann"}})
	expectStatus(t, r, 200)
	if _, ok := r.Map(t)["jwt"]; ok {
		t.Fatal("jwt in the PUT users body")
	}
	sessionCookie(t, r)
	e.clock.Advance(time.Minute)
	r = e.do(req{Method: "POST", Path: "refresh", Cookie: cookie})
	expectStatus(t, r, 200)
	fresh := sessionCookie(t, r)
	if decodeJWT(t, fresh.Value).Exp <= decodeJWT(t, ck.Value).Exp {
		t.Fatal("refresh cookie not later")
	}
	// Revoke clears the cookie; the old value no longer works anywhere.
	r = e.do(req{Method: "POST", Path: "revoke", Cookie: cookie})
	expectStatus(t, r, 204)
	cleared := false
	for _, c := range r.Cookies {
		if c.Name == "DYNAMIC_JWT_TOKEN" && c.MaxAge < 0 && c.Value == "" {
			cleared = true
		}
	}
	if !cleared || !strings.Contains(r.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("cookie not cleared: %v", r.Header.Values("Set-Cookie"))
	}
	expectError(t, e.do(req{Method: "GET", Path: "session", Cookie: &http.Cookie{Name: fresh.Name, Value: fresh.Value}}), 401, "unauthorized")
}

// sessionCookie returns the DYNAMIC_JWT_TOKEN cookie a response set.
func sessionCookie(t *testing.T, r *resp) *http.Cookie {
	t.Helper()
	for _, c := range r.Cookies {
		if c.Name == "DYNAMIC_JWT_TOKEN" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", r.Header.Values("Set-Cookie"))
	return nil
}

func testDevModeOff(t *testing.T, newStores storeFactory) {
	// Outside development mode a real sender is needed; an SMTP sender is
	// built without connecting, and SMS has none.
	e := newTestEnv(t, newStores, func(c *config) {
		c.Dev = false
		c.SMTPAddr, c.SMTPFrom = "127.0.0.1:1", "codes@example.com"
	})
	for _, p := range []string{"/dev/messages?to=%2B19172113333", "/dev/messages", "/dev/oauth/authorize"} {
		expectError(t, e.do(req{Method: "GET", Path: p}), 404, "not_found")
	}
	national, _ := testPhone(98)
	expectError(t, e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody(national)}), 404, "not_found")
	if strings.Contains(e.logs.String(), " code=") {
		t.Fatal("a code was logged outside development mode")
	}
}
