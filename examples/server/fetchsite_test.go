package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A page on another site makes its visitors' browsers POST to OTP create
// (a form or text/plain fetch, no preflight, the browser adds Origin):
// refused in every mode, so no code is sent from those visitors' IPs.
func TestForeignOriginCannotSendCodes(t *testing.T) {
	const app = "https://app.example.com"
	e := newTestEnv(t, nil, func(c *config) { c.CORSOrigins = []string{app} })
	national, e164 := testPhone(91)
	host := strings.TrimPrefix(e.ts.URL, "http://")
	for _, o := range []string{
		"https://evil.example", "null", "http://evil@" + host, e.ts.URL + "/", "http://" + host + ".evil.example",
		"https://app.example.com.evil.example", "HTTPS://APP.EXAMPLE.COM",
	} {
		for _, path := range []string{"smsVerifications/create", "emailVerifications/create"} {
			body := any(smsBody(national))
			if strings.HasPrefix(path, "email") {
				body = map[string]any{"email": "pumped@example.com"}
			}
			expectError(t, e.do(req{Method: "POST", Path: path, Body: body, Header: map[string]string{"Origin": o}}), 403, "csrf_rejected")
		}
	}
	if n := len(e.devCodes(e164)) + len(e.devCodes("pumped@example.com")); n != 0 {
		t.Fatalf("foreign origins sent %d codes", n)
	}
	// Retry too: start legitimately, then a foreign page asks for a resend.
	id := e.smsStart(national)
	retry := map[string]any{"verificationUUID": id, "phoneCountryCode": "1", "phoneNumber": national, "isoCountryCode": "US"}
	expectError(t, e.do(req{Method: "POST", Path: "smsVerifications/retry", Body: retry, Header: map[string]string{"Origin": "https://evil.example"}}), 403, "csrf_rejected")
	if n := len(e.devCodes(e164)); n != 1 {
		t.Fatalf("%d codes after a foreign retry, want 1", n)
	}
	// Allowed origins, the server's own, and no Origin (a native client) are served.
	for i, o := range []string{app, e.ts.URL, ""} {
		n, _ := testPhone(95 + i)
		expectStatus(t, e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody(n), Header: map[string]string{"Origin": o}}), 201)
	}
}

// In cookie mode the SameSite=Lax cookie rides along on a cross-site
// top-level GET, which carries no Origin: GET users/mfa/register/totp
// would create a device and GET users/mfa/recovery a code set. Refused
// on Sec-Fetch-Site: cross-site, and nothing is created.
func TestCookieModeCrossSiteStateChanges(t *testing.T) {
	const app = "https://app.example.com"
	e := newTestEnv(t, nil, func(c *config) { c.CookieAuth = true; c.CORSOrigins = []string{app} })
	in := e.smsSignIn(93, nil)
	ck := sessionCookie(t, in.raw)
	cookie := &http.Cookie{Name: ck.Name, Value: ck.Value}
	userID := decodeJWT(t, ck.Value).Sub
	crossSite := map[string]string{"Sec-Fetch-Site": "cross-site"}

	expectError(t, e.do(req{Method: "GET", Path: "users/mfa/register/totp", Cookie: cookie, Header: crossSite}), 403, "csrf_rejected")
	expectError(t, e.do(req{Method: "GET", Path: "users/mfa/recovery", Cookie: cookie, Header: crossSite}), 403, "csrf_rejected")
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/recovery", Cookie: cookie, Header: crossSite}), 403, "csrf_rejected")
	expectError(t, e.do(req{Method: "PUT", Path: "users", Cookie: cookie, Header: crossSite, Body: map[string]any{"firstName": "Mallory"}}), 403, "csrf_rejected")
	expectError(t, e.do(req{Method: "POST", Path: "refresh", Cookie: cookie, Header: crossSite}), 403, "csrf_rejected")
	devices, err := e.srv.mfa.ListDevices(t.Context(), userID)
	if err != nil || len(devices) != 0 {
		t.Fatalf("devices after cross-site GET: %v %v", devices, err)
	}
	if _, err := e.srv.stores.MFA.GetRecoverySet(t.Context(), userID); err == nil {
		t.Fatal("a recovery set was created by a cross-site GET")
	}
	r := e.do(req{Method: "GET", Path: "users", Cookie: cookie})
	if u := r.Map(t); u["firstName"] == "Mallory" {
		t.Fatal("cross-site PUT changed the profile")
	}
	// Public state-creating routes too (initAuth stores a state), by
	// Origin and by Sec-Fetch-Site.
	st := oauthState(20)
	expectError(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}, Header: map[string]string{"Origin": "https://evil.example"}}), 403, "csrf_rejected")
	expectError(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}, Header: crossSite}), 403, "csrf_rejected")
	expectStatus(t, e.do(req{Method: "GET", Path: "providers/github/loginUrl?state=" + st}), 422) // no state was stored

	// Reads stay allowed cross-site (a link to the app is not an attack).
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Cookie: cookie, Header: crossSite}), 200)
	// Same-site, same-origin, user-typed (none), an allowed cross-site
	// origin, and a bearer token are served.
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "none"},
		{"Sec-Fetch-Site": "cross-site", "Origin": app}, {},
	} {
		expectStatus(t, e.do(req{Method: "GET", Path: "users/mfa/recovery", Cookie: cookie, Header: h}), 200)
	}
	expectStatus(t, e.do(req{Method: "GET", Path: "users/mfa/register/totp", Bearer: ck.Value, Header: crossSite}), 200)

	// The provider's callback is cross-site by design (Apple's form_post).
	st = oauthState(21)
	expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}}), 204)
	form := url.Values{"code": {"provider-code"}, "state": {st}}
	cb := e.do(req{Method: "POST", Path: "providers/github/redirect", Body: form.Encode(), Header: map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://appleid.apple.com", "Sec-Fetch-Site": "cross-site",
	}})
	expectStatus(t, cb, 200)
}

// The cookie CSRF check compared only the host of a parsed Origin, so
// "http://anything@<our host>" passed for our own origin.
func TestCookieOriginUserinfoRefused(t *testing.T) {
	e := newTestEnv(t, nil, func(c *config) { c.CookieAuth = true })
	in := e.smsSignIn(94, nil)
	ck := sessionCookie(t, in.raw)
	cookie := &http.Cookie{Name: ck.Name, Value: ck.Value}
	host := strings.TrimPrefix(e.ts.URL, "http://")
	for _, o := range []string{"http://evil.example@" + host, "http://@" + host, "http://" + host + "/path", "http://" + host + "?x", "http://" + host + "#x", "ftp://" + host, "http://" + host + ":"} {
		expectError(t, e.do(req{Method: "GET", Path: "users", Cookie: cookie, Header: map[string]string{"Origin": o}}), 403, "csrf_rejected")
		expectError(t, e.do(req{Method: "POST", Path: "revoke", Cookie: cookie, Header: map[string]string{"Origin": o}}), 403, "csrf_rejected")
	}
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Cookie: cookie, Header: map[string]string{"Origin": e.ts.URL}}), 200)
}

// Over the whole route table, in cookie mode: every route that creates or
// changes state refuses a cross-site request that names no allowed origin
// (a top-level navigation or a no-cors fetch) before its handler runs,
// and the reads do not.
func TestCrossSiteEveryStateChangingRoute(t *testing.T) {
	e := newTestEnv(t, nil, func(c *config) { c.CookieAuth = true })
	in := e.smsSignIn(98, nil)
	ck := sessionCookie(t, in.raw)
	cookie := &http.Cookie{Name: ck.Name, Value: ck.Value}
	guarded := 0
	for _, rt := range e.srv.apiRoutes() {
		name := rt.method + " " + rt.path
		r := e.callRoute(rt, req{Cookie: cookie, Header: map[string]string{"Sec-Fetch-Site": "cross-site"}})
		refused := r.Status == 403 && strings.Contains(string(r.Body), `"csrf_rejected"`)
		if changesState(rt) != refused {
			t.Errorf("%s cross-site: %d %s (state-changing: %v)", name, r.Status, r.Body, changesState(rt))
		}
		if changesState(rt) {
			guarded++
			r = e.callRoute(rt, req{Cookie: cookie, Header: map[string]string{"Origin": "https://evil.example"}})
			if r.Status != 403 || !strings.Contains(string(r.Body), `"csrf_rejected"`) {
				t.Errorf("%s from a foreign origin: %d %s", name, r.Status, r.Body)
			}
		}
	}
	if guarded < 20 {
		t.Fatalf("only %d state-changing routes", guarded)
	}
}
