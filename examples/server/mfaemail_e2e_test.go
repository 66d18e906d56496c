package main

import (
	"slices"
	"testing"
	"time"
)

// TestMFAEmail runs the email-OTP MFA tests on every store backend
// (PostgreSQL and Redis skip without their environment variables).
func TestMFAEmail(t *testing.T) {
	for _, b := range []struct {
		name string
		f    storeFactory
	}{{"Memory", memoryStores}, {"Postgres", postgresStores}, {"Redis", redisStores}} {
		t.Run(b.name, func(t *testing.T) { testMFAEmail(t, b.f) })
	}
}

// testMFAEmail: an MFA-pending session is upgraded by a code sent to the
// user's own verified email, and by nothing else.
func testMFAEmail(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	const own, other = "mfa-own@example.com", "mfa-other@example.com"
	v := e.smsSignIn(20, nil)
	expectStatus(t, e.do(req{Method: "POST", Path: "emailVerifications/verify", Bearer: v.MinifiedJWT,
		Body: map[string]any{"verificationUUID": e.emailStart(own), "verificationToken": e.lastCode(own)}}), 200)
	e.enrollTOTP(v.MinifiedJWT)
	e.clock.Advance(time.Minute)
	p := e.smsSignIn(20, nil)
	pc := decodeJWT(t, p.MinifiedJWT)
	if !hasScope(pc.Scope, "requiresAdditionalAuth") {
		t.Fatalf("not MFA-pending: %q", pc.Scope)
	}
	auth := func(id, code string, extra map[string]any) *resp {
		body := map[string]any{"verificationUUID": id, "verificationToken": code}
		for k, x := range extra {
			body[k] = x
		}
		return e.do(req{Method: "POST", Path: "users/mfa/auth/email", Bearer: p.MinifiedJWT, Body: body})
	}

	otherID := e.emailStart(other)
	ownID := e.emailStart(own)
	wrong := "000000"
	if e.lastCode(own) == wrong {
		wrong = "111111"
	}
	tests := []struct {
		name, id, code string
		status         int
		errCode        string
	}{
		{"another address", otherID, e.lastCode(other), 422, "invalid_email_verification"},
		{"wrong code", ownID, wrong, 422, "wrong_email_verification_token"},
		{"malformed code", ownID, "12", 400, "validation_error"},
		{"malformed id", "not-a-uuid", e.lastCode(own), 400, "validation_error"},
		{"sms verification", e.smsStart("9172113321"), e.lastCode("+19172113321"), 422, "invalid_email_verification"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectError(t, auth(tc.id, tc.code, nil), tc.status, tc.errCode)
			// Nothing changed: the session is still pending.
			expectError(t, e.do(req{Method: "GET", Path: "users", Bearer: p.MinifiedJWT}), 403, "insufficient_scope")
		})
	}

	code := e.lastCode(own)
	r := auth(ownID, code, map[string]any{"createMfaToken": map[string]any{"singleUse": true}})
	expectStatus(t, r, 200)
	var up verifyResponse
	r.JSON(t, &up)
	uc := decodeJWT(t, up.MinifiedJWT)
	if !hasScope(uc.Scope, "user:basic") || hasScope(uc.Scope, "requiresAdditionalAuth") || uc.Sid != pc.Sid {
		t.Fatalf("upgraded: scope %q sid %s/%s", uc.Scope, uc.Sid, pc.Sid)
	}
	if up.MFAToken == "" || !slices.Contains(uc.AMR, "mfa") {
		t.Fatalf("MFA token or amr missing: %s", r.Body)
	}
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Bearer: up.MinifiedJWT}), 200)

	// The code is single-use.
	expectError(t, auth(ownID, code, nil), 422, "invalid_email_verification")

	// A session that signed in with the email cannot use the same inbox
	// as its second factor. (The clock moves past the send cooldowns.)
	e.clock.Advance(15 * time.Minute)
	es := e.do(req{Method: "POST", Path: "emailVerifications/signin",
		Body: map[string]any{"verificationUUID": e.emailStart(own), "verificationToken": e.lastCode(own)}})
	expectStatus(t, es, 200)
	var ev verifyResponse
	es.JSON(t, &ev)
	if !hasScope(decodeJWT(t, ev.MinifiedJWT).Scope, "requiresAdditionalAuth") {
		t.Fatal("email sign-in of a TOTP user is not MFA-pending")
	}
	e.clock.Advance(2 * time.Minute)
	again := e.emailStart(own)
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/auth/email", Bearer: ev.MinifiedJWT,
		Body: map[string]any{"verificationUUID": again, "verificationToken": e.lastCode(own)}}), 422, "invalid_email_verification")
	expectError(t, e.do(req{Method: "GET", Path: "users", Bearer: ev.MinifiedJWT}), 403, "insufficient_scope")
}
