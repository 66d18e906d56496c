package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/passkey/passkeytest"
	"github.com/authkit/authkit/session/stepup"
)

// mfaAuth passes MFA with the device of secret on the session of bearer
// (users/mfa/auth/totp, with the extra body fields) and returns the
// upgraded, fresh session. It leaves the clock on a new time step.
func (e *testEnv) mfaAuth(bearer, secret string, extra map[string]any) verifyResponse {
	e.t.Helper()
	body := map[string]any{"code": e.totpCode(secret)}
	for k, v := range extra {
		body[k] = v
	}
	r := e.do(req{Method: "POST", Path: "users/mfa/auth/totp", Bearer: bearer, Body: body})
	expectStatus(e.t, r, 200)
	var up verifyResponse
	r.JSON(e.t, &up)
	if _, ok := extra["createMfaToken"]; ok && up.MFAToken == "" {
		e.t.Fatalf("no mfaToken: %s", r.Body)
	}
	e.clock.Advance(30 * time.Second)
	return up
}

// stepUpCheck asks POST stepUp/check about scope.
func (e *testEnv) stepUpCheck(bearer, scope string) bool {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: "stepUp/check", Bearer: bearer, Body: map[string]any{"scope": scope}})
	expectStatus(e.t, r, 200)
	var c struct {
		IsRequired  *bool `json:"isRequired"`
		Credentials []struct {
			ID, Format, Type string
		} `json:"credentials"`
	}
	r.JSON(e.t, &c)
	if c.IsRequired == nil || c.Credentials == nil || (*c.IsRequired) == (len(c.Credentials) == 0) {
		e.t.Fatalf("stepUp/check %s: %s", scope, r.Body)
	}
	return *c.IsRequired
}

// The session states of the step-up property.
const (
	stNoFactor = "user without a second factor"
	stNoAMR    = "MFA user, session from before the device"
	stFresh    = "MFA user, MFA moments ago"
	stStale    = "MFA user, MFA 6 minutes ago"
)

// stepUpSession signs user i in and brings the session into state st. It
// returns the bearer and, for an MFA user, the verified device.
func (e *testEnv) stepUpSession(i int, st string) (bearer, device string) {
	e.t.Helper()
	v := e.smsSignIn(i, nil)
	// A second sign-in credential, so that one can be unlinked.
	id := e.emailStart(secondEmail)
	r := e.do(req{Method: "POST", Path: "emailVerifications/verify", Bearer: v.MinifiedJWT,
		Body: map[string]any{"verificationUUID": id, "verificationToken": e.lastCode(secondEmail)}})
	expectStatus(e.t, r, 200)
	if st == stNoFactor {
		return v.MinifiedJWT, ""
	}
	dev, secret := e.enrollTOTP(v.MinifiedJWT)
	switch st {
	case stNoAMR:
		return v.MinifiedJWT, dev
	case stFresh:
		return e.mfaAuth(v.MinifiedJWT, secret, nil).MinifiedJWT, dev
	}
	up := e.mfaAuth(v.MinifiedJWT, secret, nil)
	e.clock.Advance(6 * time.Minute)
	return up.MinifiedJWT, dev
}

// secondEmail is the email stepUpSession links before the session's state.
const secondEmail = "second@example.com"

// guardedRoute calls the route of one policy action without any step-up
// token and reports whether it did the action.
type guardedRoute struct {
	action stepup.Action
	call   func(e *testEnv, bearer, device string) bool
}

func ok2xx(r *resp) bool { return r.Status >= 200 && r.Status < 300 }

var guardedRoutes = []guardedRoute{
	{stepup.ActionEnrollFactor, func(e *testEnv, bearer, _ string) bool {
		return ok2xx(e.do(req{Method: "GET", Path: "users/mfa/register/totp", Bearer: bearer}))
	}},
	{stepup.ActionEnrollFactor, func(e *testEnv, bearer, _ string) bool {
		return ok2xx(e.registerPasskey(&passkeytest.Authenticator{Origin: e.passkeyOrigin()}, bearer, nil))
	}},
	{stepup.ActionLinkCredential, func(e *testEnv, bearer, _ string) bool {
		const email = "linked@example.com"
		id := e.emailStart(email)
		return ok2xx(e.do(req{Method: "POST", Path: "emailVerifications/verify", Bearer: bearer,
			Body: map[string]any{"verificationUUID": id, "verificationToken": e.lastCode(email)}}))
	}},
	{stepup.ActionLinkCredential, func(e *testEnv, bearer, _ string) bool {
		return ok2xx(e.oauthSignIn(77, bearer))
	}},
	{stepup.ActionRemoveFactor, func(e *testEnv, bearer, device string) bool {
		if device == "" { // a user without a device may drop an unconfirmed one
			r := e.do(req{Method: "GET", Path: "users/mfa/register/totp", Bearer: bearer})
			expectStatus(e.t, r, 200)
			var reg struct{ ID string }
			r.JSON(e.t, &reg)
			device = reg.ID
		}
		return ok2xx(e.do(req{Method: "DELETE", Path: "users/mfa/" + device, Bearer: bearer, Header: map[string]string{mfaTokenHeader: ""}}))
	}},
	{stepup.ActionRevealRecoveryCodes, func(e *testEnv, bearer, _ string) bool {
		r := e.do(req{Method: "GET", Path: "users/mfa/recovery", Bearer: bearer})
		expectStatus(e.t, r, 200)
		var got recoveryResponse
		r.JSON(e.t, &got)
		return len(got.RecoveryCodes) > 0
	}},
	{stepup.ActionRegenerateRecoveryCodes, func(e *testEnv, bearer, _ string) bool {
		return ok2xx(e.do(req{Method: "POST", Path: "users/mfa/recovery", Bearer: bearer}))
	}},
	{stepup.ActionUpdateUser, func(e *testEnv, bearer, _ string) bool {
		return ok2xx(e.do(req{Method: "PUT", Path: "users", Bearer: bearer, Body: map[string]any{"alias": "renamed"}}))
	}},
	{stepup.ActionUnlinkCredential, func(e *testEnv, bearer, _ string) bool {
		r := e.do(req{Method: "GET", Path: "users", Bearer: bearer})
		expectStatus(e.t, r, 200)
		var u struct {
			VerifiedCredentials []struct{ ID, Email string } `json:"verifiedCredentials"`
		}
		r.JSON(e.t, &u)
		for _, c := range u.VerifiedCredentials {
			if c.Email == secondEmail {
				return ok2xx(e.do(req{Method: "POST", Path: "verify/unlink", Bearer: bearer, Body: map[string]any{"verifiedCredentialId": c.ID}}))
			}
		}
		e.t.Fatalf("no %s credential: %s", secondEmail, r.Body)
		return false
	}},
	{stepup.ActionDeleteUser, func(e *testEnv, bearer, _ string) bool {
		return ok2xx(e.do(req{Method: "DELETE", Path: "users", Bearer: bearer}))
	}},
}

// TestStepUpCheckMatchesRoutes: for every guarded route and every session
// state, POST stepUp/check with the action's scope answers "not required"
// exactly when the route performs the action without any token.
func TestStepUpCheckMatchesRoutes(t *testing.T) {
	for i, gr := range guardedRoutes {
		rule, ok := stepup.DefaultRules()[0], false
		for _, r := range stepup.DefaultRules() {
			if r.Action == gr.action {
				rule, ok = r, true
			}
		}
		if !ok {
			t.Fatalf("no rule for %s", gr.action)
		}
		for _, st := range []string{stNoFactor, stNoAMR, stFresh, stStale} {
			t.Run(fmt.Sprintf("%s#%d/%s", gr.action, i, st), func(t *testing.T) {
				e := newTestEnv(t, nil)
				bearer, device := e.stepUpSession(1, st)
				required := e.stepUpCheck(bearer, string(rule.Scope))
				if did := gr.call(e, bearer, device); did == required {
					t.Fatalf("stepUp/check %s: isRequired %v, but the route did the action: %v", rule.Scope, required, did)
				}
			})
		}
	}
}

func TestStepUpCheckValidation(t *testing.T) {
	e := newTestEnv(t, nil)
	v := e.smsSignIn(1, nil)
	for _, scope := range []any{"console:mfa:reset", "user:basic", "wallet:nope", "", nil} {
		expectError(t, e.do(req{Method: "POST", Path: "stepUp/check", Bearer: v.MinifiedJWT, Body: map[string]any{"scope": scope}}), 422, "invalid_scopes")
	}
	// A user without MFA steps up with the sign-in credential; a scope no
	// route needs is never required.
	if e.stepUpCheck(v.MinifiedJWT, "wallet:sign") {
		t.Error("wallet:sign required")
	}
	r := e.do(req{Method: "POST", Path: "stepUp/check", Bearer: v.MinifiedJWT, Body: map[string]any{"scope": "credential:update"}})
	var c struct {
		Credentials         []struct{ ID, Format string }
		DefaultCredentialID string
	}
	r.JSON(t, &c)
	if len(c.Credentials) != 1 || c.Credentials[0].Format != "phoneNumber" || c.DefaultCredentialID != c.Credentials[0].ID {
		t.Errorf("credentials of a user without MFA: %s", r.Body)
	}
	// An MFA user steps up with the device.
	dev, _ := e.enrollTOTP(v.MinifiedJWT)
	r = e.do(req{Method: "POST", Path: "stepUp/check", Bearer: v.MinifiedJWT, Body: map[string]any{"scope": "credential:unlink"}})
	r.JSON(t, &c)
	if len(c.Credentials) != 1 || c.Credentials[0].ID != dev || c.Credentials[0].Format != "totp" || c.DefaultCredentialID != dev {
		t.Errorf("credentials of an MFA user: %s", r.Body)
	}
	// An MFA-pending session gets no answer.
	p := e.smsSignIn(1, nil)
	expectError(t, e.do(req{Method: "POST", Path: "stepUp/check", Bearer: p.MinifiedJWT, Body: map[string]any{"scope": "credential:link"}}), 403, "insufficient_scope")
}

// TestStepUpTokens: the tokens that satisfy the policy where the session
// alone does not: an elevated token of the right scope (single-use: once),
// an MFA token where the rule takes one.
func TestStepUpTokens(t *testing.T) {
	e := newTestEnv(t, nil)
	v := e.smsSignIn(1, nil)
	_, secret := e.enrollTOTP(v.MinifiedJWT)
	up := e.mfaAuth(v.MinifiedJWT, secret, map[string]any{
		"requestedScopes": []string{"credential:link"}, "createMfaToken": map[string]any{"singleUse": true},
	})
	// v's token is of the same session but carries no MFA proof: only the
	// tokens help it.
	register := func(h map[string]string) *resp {
		return e.do(req{Method: "GET", Path: "users/mfa/register/totp", Bearer: v.MinifiedJWT, Header: h})
	}
	r := register(nil)
	expectError(t, r, 403, "step_up_required")
	if ch := r.Header.Get("WWW-Authenticate"); !strings.Contains(ch, `error="insufficient_user_authentication"`) || !strings.Contains(ch, `scope="credential:link"`) || !strings.Contains(ch, `max_age="300"`) {
		t.Errorf("challenge %q", ch)
	}
	expectError(t, register(map[string]string{elevatedHeader: up.MinifiedJWT}), 403, "step_up_required")
	expectStatus(t, register(map[string]string{elevatedHeader: up.ElevatedAccessToken}), 200)
	expectError(t, register(map[string]string{elevatedHeader: up.ElevatedAccessToken}), 403, "step_up_required") // single-use
	expectStatus(t, register(map[string]string{mfaTokenHeader: up.MFAToken}), 200)
	expectError(t, register(map[string]string{mfaTokenHeader: up.MFAToken}), 403, "mfa_token_required")
	// The elevated token is never a bearer.
	expectError(t, e.do(req{Method: "GET", Path: "users", Bearer: up.ElevatedAccessToken}), 401, "unauthorized")

	// A re-issue (PUT users) keeps the session's MFA time, never a later one.
	f := e.mfaAuth(up.MinifiedJWT, secret, nil)
	r = e.do(req{Method: "PUT", Path: "users", Bearer: f.MinifiedJWT, Body: map[string]any{"alias": "a"}})
	expectStatus(t, r, 200)
	var put verifyResponse
	r.JSON(t, &put)
	if put.MinifiedJWT == "" || decodeJWT(t, put.MinifiedJWT).AMR == nil {
		t.Fatalf("PUT users dropped the session's amr: %s", r.Body)
	}
	e.clock.Advance(6 * time.Minute)
	expectError(t, e.do(req{Method: "GET", Path: "users/mfa/register/totp", Bearer: put.MinifiedJWT}), 403, "step_up_required")
}

// TestStolenTokenAttack replays issue 12's attack on every backend: with
// nothing but a stolen user:basic token of a user with TOTP (one from
// before the device, or one whose MFA is minutes old), every step is
// refused and the victim keeps both factors.
func TestStolenTokenAttack(t *testing.T) {
	for _, b := range []struct {
		name   string
		stores storeFactory
	}{{"memory", memoryStores}, {"postgres", postgresStores}, {"redis", redisStores}} {
		t.Run(b.name, func(t *testing.T) { testStolenTokenAttack(t, b.stores) })
	}
}

func testStolenTokenAttack(t *testing.T, stores storeFactory) {
	e := newTestEnv(t, stores)
	// The victim: SMS sign-in, TOTP, recovery codes seen and saved, not yet
	// acknowledged (the state in which codes are still revealable).
	v := e.smsSignIn(5, nil)
	device, secret := e.enrollTOTP(v.MinifiedJWT)
	fresh := e.mfaAuth(v.MinifiedJWT, secret, nil)
	r := e.do(req{Method: "GET", Path: "users/mfa/recovery", Bearer: fresh.MinifiedJWT})
	var saved recoveryResponse
	r.JSON(t, &saved)
	if len(saved.RecoveryCodes) != 10 {
		t.Fatalf("the victim did not see the codes: %s", r.Body)
	}
	e.clock.Advance(6 * time.Minute)

	for _, stolen := range []struct{ name, token string }{{"pre-MFA token", v.MinifiedJWT}, {"token after MFA", fresh.MinifiedJWT}} {
		t.Run(stolen.name, func(t *testing.T) {
			tok := stolen.token
			// 1. Read the recovery codes: the count only.
			r := e.do(req{Method: "GET", Path: "users/mfa/recovery", Bearer: tok})
			expectStatus(t, r, 200)
			var got recoveryResponse
			r.JSON(t, &got)
			if got.Count != 10 || len(got.RecoveryCodes) != 0 {
				t.Fatalf("recovery codes revealed: %s", r.Body)
			}
			// 2. Redeem one for an MFA token and an elevated token: there is
			// none to redeem, and a guess buys nothing.
			r = e.do(req{Method: "POST", Path: "users/mfa/auth/recovery", Bearer: tok, Body: map[string]any{
				"code": "AAAA-BBBB-CCCC-DDDD", "createMfaToken": map[string]any{"singleUse": false}, "requestedScopes": []string{"credential:unlink"},
			}})
			expectError(t, r, 422, "mfa_invalid_code")
			// 3. Delete the TOTP device, with no token, an empty one, a bogus
			// one, or the session token as the elevated token.
			del := func(h map[string]string) *resp {
				return e.do(req{Method: "DELETE", Path: "users/mfa/" + device, Bearer: tok, Header: h})
			}
			expectError(t, del(nil), 403, "step_up_required")
			expectError(t, del(map[string]string{mfaTokenHeader: ""}), 403, "step_up_required")
			expectError(t, del(map[string]string{mfaTokenHeader: "bogus"}), 403, "mfa_token_required")
			expectError(t, del(map[string]string{elevatedHeader: tok}), 403, "step_up_required")
			// 4. Regenerate the codes so the victim's saved set dies.
			expectError(t, e.do(req{Method: "POST", Path: "users/mfa/recovery", Bearer: tok}), 403, "step_up_required")
			// 5. Enrol the attacker's own TOTP device.
			expectError(t, e.do(req{Method: "GET", Path: "users/mfa/register/totp", Bearer: tok}), 403, "step_up_required")
			// ... or passkey (the guard runs before the ceremony is looked at).
			for _, path := range []string{"users/passkeys/register", "users/mfa/register/passkey"} {
				expectError(t, e.do(req{Method: "POST", Path: path, Bearer: tok, Body: map[string]any{}}), 403, "step_up_required")
			}
			// 6. Link the attacker's email (OTP) or OAuth account.
			attacker := "attacker-" + strings.ReplaceAll(stolen.name, " ", "-") + "@example.net"
			id := e.emailStart(attacker)
			expectError(t, e.do(req{Method: "POST", Path: "emailVerifications/verify", Bearer: tok,
				Body: map[string]any{"verificationUUID": id, "verificationToken": e.lastCode(attacker)}}), 403, "step_up_required")
			expectError(t, e.oauthSignIn(90, tok), 403, "step_up_required")
			// ... or change the profile.
			expectError(t, e.do(req{Method: "PUT", Path: "users", Bearer: tok, Body: map[string]any{"alias": "pwned"}}), 403, "step_up_required")
			// 7. Unlink the victim's phone, or delete the account.
			expectError(t, e.do(req{Method: "POST", Path: "verify/unlink", Bearer: tok, Body: map[string]any{"verifiedCredentialId": v.User.VerifiedCredentials[0].ID}}), 403, "step_up_required")
			expectError(t, e.do(req{Method: "DELETE", Path: "users", Bearer: tok}), 403, "step_up_required")
			expectError(t, e.do(req{Method: "DELETE", Path: "users", Bearer: tok, Header: map[string]string{mfaTokenHeader: "bogus"}}), 403, "mfa_token_required")
			// The check agrees: each of these needs a step-up.
			for _, scope := range []string{"credential:link", "credential:unlink", "credential:update", "user:update", "user:delete"} {
				if !e.stepUpCheck(tok, scope) {
					t.Errorf("stepUp/check %s: not required for a stolen token", scope)
				}
			}
		})
	}

	// The victim still has both factors and nothing of the attacker's.
	r = e.do(req{Method: "GET", Path: "users/mfa", Bearer: fresh.MinifiedJWT})
	var list struct {
		Count   int         `json:"count"`
		Devices []mfaDevice `json:"devices"`
	}
	r.JSON(t, &list)
	if list.Count != 1 || list.Devices[0].ID != device || !list.Devices[0].Verified {
		t.Fatalf("devices after the attack: %s", r.Body)
	}
	p := e.smsSignIn(5, nil)
	r = e.do(req{Method: "POST", Path: "users/mfa/auth/recovery", Bearer: p.MinifiedJWT, Body: map[string]any{"code": saved.RecoveryCodes[0]}})
	expectStatus(t, r, http.StatusOK)
	var up verifyResponse
	r.JSON(t, &up)
	for _, c := range up.User.VerifiedCredentials {
		if strings.Contains(c.Email, "attacker") || c.OAuthProvider != "" {
			t.Fatalf("the attacker's credential was linked: %+v", c)
		}
	}
	if up.User.Alias == "pwned" {
		t.Fatal("the profile changed")
	}
}

// TestPlantedDeviceCannotBeConfirmed: a thief who held the session before
// the user had MFA planted an unverified device whose secret they know.
// Once the user has confirmed a device of their own, confirming the
// planted one (either route) is enrolment and needs the same step-up.
// A second device added with a fresh session still works, after the
// recovery codes were acknowledged too.
func TestPlantedDeviceCannotBeConfirmed(t *testing.T) {
	e := newTestEnv(t, nil)
	v := e.smsSignIn(3, nil)
	r := e.do(req{Method: "GET", Path: "users/mfa/register/totp", Bearer: v.MinifiedJWT})
	expectStatus(t, r, 200)
	var planted struct{ ID, Secret string }
	r.JSON(t, &planted)
	e.clock.Advance(time.Second)
	// The victim enrols the SDK's way and acknowledges the codes.
	r = e.do(req{Method: "GET", Path: "users/mfa/register/totp", Bearer: v.MinifiedJWT})
	var own struct{ ID, Secret string }
	r.JSON(t, &own)
	up := e.mfaAuth(v.MinifiedJWT, own.Secret, map[string]any{"id": own.ID})
	expectStatus(t, e.do(req{Method: "PUT", Path: "users", Bearer: up.MinifiedJWT, Body: map[string]any{"mfaBackupCodeAcknowledgement": "complete"}}), 200)
	e.clock.Advance(6 * time.Minute)

	for _, tok := range []string{v.MinifiedJWT, up.MinifiedJWT} {
		expectError(t, e.do(req{Method: "POST", Path: "users/mfa/auth/totp", Bearer: tok, Body: map[string]any{"id": planted.ID, "code": e.totpCode(planted.Secret)}}), 403, "step_up_required")
		expectError(t, e.do(req{Method: "POST", Path: "users/mfa/register/totp", Bearer: tok, Body: map[string]any{"type": "totp", "code": e.totpCode(planted.Secret)}}), 403, "step_up_required")
	}
	// A fresh session adds a second device of the user's own.
	fresh := e.mfaAuth(up.MinifiedJWT, own.Secret, nil)
	r = e.do(req{Method: "GET", Path: "users/mfa/register/totp", Bearer: fresh.MinifiedJWT})
	expectStatus(t, r, 200)
	var second struct{ ID, Secret string }
	r.JSON(t, &second)
	e.mfaAuth(fresh.MinifiedJWT, second.Secret, map[string]any{"id": second.ID})
	r = e.do(req{Method: "GET", Path: "users/mfa", Bearer: fresh.MinifiedJWT})
	var list struct{ Devices []mfaDevice }
	r.JSON(t, &list)
	for _, d := range list.Devices {
		if d.Verified != (d.ID != planted.ID) {
			t.Errorf("device %s verified=%v (planted %s)", d.ID, d.Verified, planted.ID)
		}
	}
}
