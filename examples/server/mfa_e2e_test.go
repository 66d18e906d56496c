package main

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/authkit/authkit/mfa/mfatest"
)

// totpCode is the code an authenticator app shows for secret at the test
// server's current time.
func (e *testEnv) totpCode(secret string) string {
	e.t.Helper()
	return mfatest.TOTPCode(e.t, secret, e.clock.Now())
}

// mfaDevice is a device as the API lists it.
type mfaDevice struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Verified bool   `json:"verified"`
	Default  bool   `json:"default"`
}

// enrollTOTP registers and confirms a TOTP device with the bearer token
// and returns its id and secret. It leaves the clock on a fresh time step.
func (e *testEnv) enrollTOTP(bearer string) (id, secret string) {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: "users/mfa/register/totp", Bearer: bearer})
	expectStatus(e.t, r, 200)
	var reg struct {
		ID, Type, Secret, URI string
	}
	r.JSON(e.t, &reg)
	if reg.ID == "" || reg.Type != "totp" || len(reg.Secret) < 32 || len(reg.URI) < 20 || reg.URI[:15] != "otpauth://totp/" {
		e.t.Fatalf("register %s", r.Body)
	}
	r = e.do(req{Method: "POST", Path: "users/mfa/register/totp", Bearer: bearer, Body: map[string]any{"type": "totp", "code": e.totpCode(reg.Secret)}})
	expectStatus(e.t, r, 200)
	var d mfaDevice
	r.JSON(e.t, &d)
	if d.ID != reg.ID || !d.Verified {
		e.t.Fatalf("confirm %s", r.Body)
	}
	e.clock.Advance(30 * time.Second) // the confirming step is used
	if e.secrets == nil {
		e.secrets = map[string]string{}
	}
	e.secrets[reg.ID] = reg.Secret
	return reg.ID, reg.Secret
}

func testMFA(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(100, nil)
	bearer := v.MinifiedJWT

	r := e.do(req{Method: "GET", Path: "users/mfa", Bearer: bearer})
	expectStatus(t, r, 200)
	if m := r.Map(t); m["count"].(float64) != 0 || len(m["devices"].([]any)) != 0 {
		t.Fatalf("devices %s", r.Body)
	}
	// Registration: wrong code, then the right one, then nothing pending.
	r = e.do(req{Method: "GET", Path: "users/mfa/register/totp", Bearer: bearer})
	expectStatus(t, r, 200)
	var reg struct{ ID, Secret string }
	r.JSON(t, &reg)
	r = e.do(req{Method: "GET", Path: "users/mfa", Bearer: bearer})
	var list struct {
		Count   int         `json:"count"`
		Devices []mfaDevice `json:"devices"`
	}
	r.JSON(t, &list)
	if list.Count != 1 || list.Devices[0].Verified {
		t.Fatalf("unverified device not listed: %s", r.Body)
	}
	right := e.totpCode(reg.Secret)
	wrong := "000000"
	if right == wrong {
		wrong = "111111"
	}
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/register/totp", Bearer: bearer, Body: map[string]any{"type": "totp", "code": wrong}}), 422, "mfa_invalid_code")
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/register/totp", Bearer: bearer, Body: map[string]any{"type": "sms", "code": right}}), 422, "mfa_invalid_request")
	r = e.do(req{Method: "POST", Path: "users/mfa/register/totp", Bearer: bearer, Body: map[string]any{"type": "totp", "code": right}})
	expectStatus(t, r, 200)
	var dev mfaDevice
	r.JSON(t, &dev)
	if !dev.Verified || !dev.Default || dev.ID != reg.ID {
		t.Fatalf("confirmed device %s", r.Body)
	}
	// The user has MFA now: confirming a device is enrolment and needs a
	// step-up this session (signed in before the device) cannot show.
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/register/totp", Bearer: bearer, Body: map[string]any{"type": "totp", "code": right}}), 403, "step_up_required")
	e.clock.Advance(30 * time.Second)

	// The next sign-in is MFA-pending.
	p := e.smsSignIn(100, map[string]any{"requestedScopes": []string{"wallet:sign"}})
	pc := decodeJWT(t, p.MinifiedJWT)
	if !hasScope(pc.Scope, "requiresAdditionalAuth") || hasScope(pc.Scope, "user:basic") || p.User.Scope != pc.Scope {
		t.Fatalf("pending scope %q", pc.Scope)
	}
	if p.ElevatedAccessToken != "" {
		t.Fatal("an MFA user got an elevated token without MFA")
	}
	for _, rt := range []struct{ method, path string }{{"GET", "users"}, {"GET", "users/mfa"}, {"POST", "refresh"}, {"GET", "users/mfa/recovery"}, {"GET", "users/mfa/register/totp"}, {"PUT", "users"}} {
		expectError(t, e.do(req{Method: rt.method, Path: rt.path, Bearer: p.MinifiedJWT, Body: map[string]any{}}), 403, "insufficient_scope")
	}
	expectStatus(t, e.do(req{Method: "GET", Path: "session", Bearer: p.MinifiedJWT}), 204)

	// The MFA step upgrades it, with an MFA token and an elevated token.
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/auth/totp", Bearer: p.MinifiedJWT, Body: map[string]any{"code": wrong}}), 422, "mfa_invalid_code")
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/auth/totp", Bearer: p.MinifiedJWT, Body: map[string]any{"code": "12"}}), 400, "validation_error")
	code := e.totpCode(reg.Secret)
	r = e.do(req{Method: "POST", Path: "users/mfa/auth/totp", Bearer: p.MinifiedJWT, Body: map[string]any{
		"code": code, "createMfaToken": map[string]any{"singleUse": true}, "requestedScopes": []string{"wallet:sign"},
	}})
	expectStatus(t, r, 200)
	var up verifyResponse
	r.JSON(t, &up)
	uc := decodeJWT(t, up.MinifiedJWT)
	if !hasScope(uc.Scope, "user:basic") || hasScope(uc.Scope, "requiresAdditionalAuth") || uc.Sid != pc.Sid || up.ExpiresAt != uc.Exp {
		t.Fatalf("upgraded: scope %q sid %s/%s", uc.Scope, uc.Sid, pc.Sid)
	}
	if up.MFAToken == "" || up.ElevatedAccessToken == "" || decodeJWT(t, up.ElevatedAccessToken).Sid != pc.Sid {
		t.Fatalf("tokens missing: %s", r.Body)
	}
	if amr := decodeJWT(t, up.ElevatedAccessToken).AMR; len(amr) == 0 || amr[0] != "mfa" {
		t.Fatalf("amr %v", amr)
	}
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Bearer: up.MinifiedJWT}), 200)
	// The pending token is still only pending.
	expectError(t, e.do(req{Method: "GET", Path: "users", Bearer: p.MinifiedJWT}), 403, "insufficient_scope")
	// A used time step does not work again.
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/auth/totp", Bearer: p.MinifiedJWT, Body: map[string]any{"code": code}}), 422, "mfa_invalid_code")

	// A second device; deleting needs the MFA token.
	second, _ := e.enrollTOTP(up.MinifiedJWT)
	r = e.do(req{Method: "GET", Path: "users/mfa", Bearer: up.MinifiedJWT})
	r.JSON(t, &list)
	if list.Count != 2 || !list.Devices[0].Default || list.Devices[1].Default || list.Devices[1].ID != second {
		t.Fatalf("two devices %s", r.Body)
	}
	del := func(id, token string) *resp {
		h := map[string]string{}
		if token != "" {
			h["x-mfa-auth-token"] = token
		}
		return e.do(req{Method: "DELETE", Path: "users/mfa/" + id, Bearer: up.MinifiedJWT, Header: h})
	}
	expectError(t, del(reg.ID, ""), 403, "step_up_required")
	expectError(t, del(reg.ID, "bogus"), 403, "mfa_token_required")
	expectError(t, del(reg.ID, v.MinifiedJWT), 403, "mfa_token_required")
	expectStatus(t, del(reg.ID, up.MFAToken), 204)
	expectError(t, del(second, up.MFAToken), 403, "mfa_token_required") // single-use
	r = e.do(req{Method: "GET", Path: "users/mfa", Bearer: up.MinifiedJWT})
	r.JSON(t, &list)
	if list.Count != 1 || list.Devices[0].ID != second || !list.Devices[0].Default {
		t.Fatalf("after deleting the default: %s", r.Body)
	}
	// An expired multi-use token is refused; a live one works twice.
	e.clock.Advance(30 * time.Second)
	r = e.do(req{Method: "POST", Path: "users/mfa/auth/totp", Bearer: up.MinifiedJWT, Body: map[string]any{
		"code": e.totpCode(e.secretOf(second)), "createMfaToken": map[string]any{"singleUse": false},
	}})
	expectStatus(t, r, 200)
	var multi verifyResponse
	r.JSON(t, &multi)
	third, _ := e.enrollTOTP(multi.MinifiedJWT)
	expectError(t, del("8d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a", multi.MFAToken), 422, "mfa_device_not_found")
	expectStatus(t, del(third, multi.MFAToken), 204)
	e.clock.Advance(11 * time.Minute)
	expectError(t, del(second, multi.MFAToken), 403, "mfa_token_required")
}

// secretOf is the secret of a device enrolled by enrollTOTP, which keeps
// it as an authenticator app would (the API never shows it again).
func (e *testEnv) secretOf(deviceID string) string {
	e.t.Helper()
	s, ok := e.secrets[deviceID]
	if !ok {
		e.t.Fatalf("unknown device %s", deviceID)
	}
	return s
}

func testMFALimitsAndErrors(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(101, nil)
	_, secret := e.enrollTOTP(v.MinifiedJWT)
	p := e.smsSignIn(101, nil)
	auth := func(code string) *resp {
		return e.do(req{Method: "POST", Path: "users/mfa/auth/totp", Bearer: p.MinifiedJWT, Body: map[string]any{"code": code}})
	}
	right := e.totpCode(secret)
	wrong := "000000"
	if right == wrong {
		wrong = "111111"
	}
	for range 5 {
		expectError(t, auth(wrong), 422, "mfa_invalid_code")
	}
	r := auth(right)
	expectError(t, r, 429, "mfa_rate_limited")
	ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 300 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	e.clock.Advance(time.Duration(ra) * time.Second)
	expectStatus(t, auth(e.totpCode(secret)), 200)
	// Unknown device id.
	e.clock.Advance(30 * time.Second)
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/auth/totp", Bearer: p.MinifiedJWT, Body: map[string]any{
		"code": e.totpCode(secret), "id": "8d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a",
	}}), 422, "mfa_device_not_found")
}

func testRecoveryCodes(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	stale := e.smsSignIn(102, nil)
	_, secret := e.enrollTOTP(stale.MinifiedJWT)
	// Recovery codes are shown only to a session that just passed MFA.
	v := e.mfaAuth(stale.MinifiedJWT, secret, nil)

	var got struct {
		Count         int      `json:"count"`
		RecoveryCodes []string `json:"recoveryCodes"`
	}
	r := e.do(req{Method: "GET", Path: "users/mfa/recovery", Bearer: stale.MinifiedJWT})
	expectStatus(t, r, 200)
	r.JSON(t, &got)
	if got.Count != 0 || got.RecoveryCodes == nil || len(got.RecoveryCodes) != 0 {
		t.Fatalf("a session without MFA saw %s", r.Body)
	}
	r = e.do(req{Method: "GET", Path: "users/mfa/recovery", Bearer: v.MinifiedJWT})
	expectStatus(t, r, 200)
	r.JSON(t, &got)
	if len(got.RecoveryCodes) != 10 || got.Count != 10 {
		t.Fatalf("recovery codes %s", r.Body)
	}
	first := slices.Clone(got.RecoveryCodes)
	r = e.do(req{Method: "GET", Path: "users/mfa/recovery", Bearer: v.MinifiedJWT})
	r.JSON(t, &got)
	if got.RecoveryCodes[0] != first[0] {
		t.Fatal("GET made a new set")
	}
	user := func(bearer string) map[string]any {
		r := e.do(req{Method: "GET", Path: "users", Bearer: bearer})
		expectStatus(t, r, 200)
		return r.Map(t)
	}
	if user(v.MinifiedJWT)["mfaBackupCodeAcknowledgement"] != "pending" {
		t.Fatal("not pending")
	}
	r = e.do(req{Method: "PUT", Path: "users", Bearer: v.MinifiedJWT, Body: map[string]any{"mfaBackupCodeAcknowledgement": "complete"}})
	expectStatus(t, r, 200)
	if r.Map(t)["user"].(map[string]any)["mfaBackupCodeAcknowledgement"] != "complete" || user(v.MinifiedJWT)["mfaBackupCodeAcknowledgement"] != "complete" {
		t.Fatal("not complete")
	}
	// Acknowledged: the count only, even for the fresh session.
	r = e.do(req{Method: "GET", Path: "users/mfa/recovery", Bearer: v.MinifiedJWT})
	r.JSON(t, &got)
	if got.Count != 10 || len(got.RecoveryCodes) != 0 {
		t.Fatalf("after acknowledgement: %s", r.Body)
	}
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/recovery", Bearer: stale.MinifiedJWT}), 403, "step_up_required")
	// Regenerating invalidates the previous set.
	r = e.do(req{Method: "POST", Path: "users/mfa/recovery", Bearer: v.MinifiedJWT})
	expectStatus(t, r, 200)
	r.JSON(t, &got)
	if got.Count != 10 || len(got.RecoveryCodes) != 10 || got.RecoveryCodes[0] == first[0] {
		t.Fatalf("regenerated %s", r.Body)
	}
	fresh := got.RecoveryCodes

	p := e.smsSignIn(102, nil)
	rec := func(code string) *resp {
		return e.do(req{Method: "POST", Path: "users/mfa/auth/recovery", Bearer: p.MinifiedJWT, Body: map[string]any{"code": code}})
	}
	expectError(t, rec(first[0]), 422, "mfa_invalid_code")
	expectError(t, rec("not a code"), 422, "mfa_invalid_code")
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/auth/recovery", Bearer: p.MinifiedJWT, Body: map[string]any{}}), 400, "validation_error")
	r = rec(fresh[3])
	expectStatus(t, r, 200)
	var up verifyResponse
	r.JSON(t, &up)
	if !hasScope(decodeJWT(t, up.MinifiedJWT).Scope, "user:basic") {
		t.Fatal("recovery did not upgrade")
	}
	expectError(t, rec(fresh[3]), 422, "mfa_invalid_code")
}
