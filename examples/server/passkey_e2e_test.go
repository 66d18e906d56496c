package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/passkey/passkeytest"
)

// The passkey routes end to end: the virtual authenticator of passkeytest
// plays the browser, over HTTP only, on each backend.

func TestPasskeyEndToEnd(t *testing.T)         { runPasskeyEndToEnd(t, memoryStores) }
func TestPasskeyEndToEndPostgres(t *testing.T) { runPasskeyEndToEnd(t, postgresStores) }
func TestPasskeyEndToEndRedis(t *testing.T)    { runPasskeyEndToEnd(t, redisStores) }

func runPasskeyEndToEnd(t *testing.T, newStores storeFactory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, newStores storeFactory)
	}{
		{"RegisterAndSignIn", testPasskeyRegisterSignIn},
		{"SecondFactor", testPasskeyMFA},
		{"StepUpOnRegistration", testPasskeyStepUp},
		{"Manage", testPasskeyManage},
		{"MFADeviceRoutes", testPasskeyMFADeviceRoutes},
		{"Refusals", testPasskeyRefusals},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStores) })
	}
}

// passkeyOrigin is the origin the browser sees: localhost, because an IP
// address cannot be an RP ID.
func (e *testEnv) passkeyOrigin() string {
	return strings.Replace(e.ts.URL, "127.0.0.1", "localhost", 1)
}

// registerPasskey registers a new passkey of auth on the session of bearer
// (with extra headers) and returns the response.
func (e *testEnv) registerPasskey(auth *passkeytest.Authenticator, bearer string, header map[string]string, opts ...passkeytest.Option) *resp {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: "users/passkeys/register", Bearer: bearer})
	expectStatus(e.t, r, 200)
	body, _, err := auth.Register(r.Body, opts...)
	if err != nil {
		e.t.Fatalf("authenticator: %v", err)
	}
	return e.do(req{Method: "POST", Path: "users/passkeys/register", Bearer: bearer, Body: body, Header: header})
}

// passkeySignIn signs in with auth and returns the response.
func (e *testEnv) passkeySignIn(auth *passkeytest.Authenticator, extra map[string]any) *resp {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: "users/passkeys/signin"})
	expectStatus(e.t, r, 200)
	body, err := auth.Assert(r.Body)
	if err != nil {
		e.t.Fatalf("authenticator: %v", err)
	}
	return e.do(req{Method: "POST", Path: "users/passkeys/signin", Body: merge(e.t, body, extra)})
}

// merge adds extra members to a JSON object.
func merge(t *testing.T, body []byte, extra map[string]any) []byte {
	t.Helper()
	if len(extra) == 0 {
		return body
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testPasskeyRegisterSignIn(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(201, nil)
	r := e.do(req{Method: "GET", Path: "users/passkeys/register", Bearer: v.MinifiedJWT})
	expectStatus(t, r, 200)
	opts := r.Map(t)
	rp := opts["rp"].(map[string]any)
	sel := opts["authenticatorSelection"].(map[string]any)
	if ex, ok := opts["excludeCredentials"].([]any); !ok || len(ex) != 0 || rp["id"] != "localhost" ||
		opts["attestation"] != "none" || sel["residentKey"] != "preferred" || sel["userVerification"] != "preferred" {
		t.Fatalf("creation options %s", r.Body)
	}
	auth := &passkeytest.Authenticator{Origin: e.passkeyOrigin()}
	// Dynamic's SDK spells the member clientDataJson.
	r = e.registerPasskey(auth, v.MinifiedJWT, nil, passkeytest.WithClientDataField("clientDataJson"))
	expectStatus(t, r, 200)
	var reg verifyResponse
	r.JSON(t, &reg)
	if reg.JWT == "" || reg.MinifiedJWT == "" || reg.User.ID != v.User.ID {
		t.Fatalf("register response %s", r.Body)
	}
	r = e.do(req{Method: "GET", Path: "users/passkeys", Bearer: reg.MinifiedJWT})
	expectStatus(t, r, 200)
	list := r.Map(t)
	pks := list["passkeys"].([]any)
	if list["count"] != 1.0 || len(pks) != 1 || pks[0].(map[string]any)["credentialId"] == "" || pks[0].(map[string]any)["createdAt"] == "" {
		t.Fatalf("passkeys %s", r.Body)
	}
	r = e.do(req{Method: "GET", Path: "users/mfa/methods", Bearer: reg.MinifiedJWT})
	if m := r.Map(t); len(m["passkeys"].([]any)) != 1 || m["userHasVerifiedMfaMethods"] != true {
		t.Fatalf("mfa methods %s", r.Body)
	}
	expectStatus(t, e.do(req{Method: "POST", Path: "revoke", Bearer: reg.MinifiedJWT}), 204)

	// Sign-in options carry no allowCredentials (Dynamic's parser drops
	// the type of each entry, and the browser would refuse them).
	r = e.do(req{Method: "GET", Path: "users/passkeys/signin"})
	expectStatus(t, r, 200)
	if strings.Contains(string(r.Body), "allowCredentials") || !strings.Contains(string(r.Body), `"rpId":"localhost"`) {
		t.Fatalf("sign-in options %s", r.Body)
	}
	body, err := auth.Assert(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r = e.do(req{Method: "POST", Path: "users/passkeys/signin", Body: merge(t, body, map[string]any{"requestedScopes": []string{"credential:link"}})})
	expectStatus(t, r, 200)
	var in verifyResponse
	r.JSON(t, &in)
	c := decodeJWT(t, in.MinifiedJWT)
	if in.User.ID != v.User.ID || hasScope(c.Scope, "requiresAdditionalAuth") || !hasScope(c.Scope, "user:basic") || in.ElevatedAccessToken == "" {
		t.Fatalf("passkey sign-in %s (scope %q)", r.Body, c.Scope)
	}
	// The same assertion again is a replay.
	expectError(t, e.do(req{Method: "POST", Path: "users/passkeys/signin", Body: body}), 422, "other_verify_failure")
}

func testPasskeyMFA(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	auth := &passkeytest.Authenticator{Origin: e.passkeyOrigin()}
	v := e.smsSignIn(202, nil)
	expectStatus(t, e.registerPasskey(auth, v.MinifiedJWT, nil), 200)

	// With a passkey, an OTP sign-in is MFA-pending.
	e.clock.Advance(time.Minute) // past the resend cooldown of the number
	p := e.smsSignIn(202, nil)
	if !hasScope(decodeJWT(t, p.MinifiedJWT).Scope, "requiresAdditionalAuth") || p.ElevatedAccessToken != "" {
		t.Fatalf("OTP sign-in of a passkey user is not MFA-pending: %s", p.raw.Body)
	}
	expectError(t, e.do(req{Method: "GET", Path: "users/passkeys", Bearer: p.MinifiedJWT}), 403, "insufficient_scope")
	r := e.do(req{Method: "GET", Path: "users/passkeys/authenticate", Bearer: p.MinifiedJWT})
	expectStatus(t, r, 200)
	var opts struct {
		AllowCredentials []struct{ ID, Type string } `json:"allowCredentials"`
	}
	r.JSON(t, &opts)
	if len(opts.AllowCredentials) != 1 || opts.AllowCredentials[0].Type != "public-key" {
		t.Fatalf("authenticate options %s", r.Body)
	}
	body, err := auth.Assert(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r = e.do(req{Method: "POST", Path: "users/mfa/auth/passkey", Bearer: p.MinifiedJWT, Body: merge(t, body, map[string]any{
		"requestedScopes": []string{"credential:unlink"}, "createMfaToken": map[string]any{"singleUse": true},
	})})
	expectStatus(t, r, 200)
	var up verifyResponse
	r.JSON(t, &up)
	if c := decodeJWT(t, up.MinifiedJWT); hasScope(c.Scope, "requiresAdditionalAuth") || !hasScope(c.Scope, "user:basic") ||
		up.ElevatedAccessToken == "" || up.MFAToken == "" {
		t.Fatalf("upgrade %s", r.Body)
	}
	expectStatus(t, e.do(req{Method: "GET", Path: "users/passkeys", Bearer: up.MinifiedJWT}), 200)

	// Another user's passkey does not pass this user's MFA.
	other := &passkeytest.Authenticator{Origin: e.passkeyOrigin()}
	w := e.smsSignIn(203, nil)
	expectStatus(t, e.registerPasskey(other, w.MinifiedJWT, nil), 200)
	e.clock.Advance(time.Minute)
	p = e.smsSignIn(202, nil)
	r = e.do(req{Method: "GET", Path: "users/passkeys/authenticate", Bearer: p.MinifiedJWT})
	body, err = other.Assert(r.Body, passkeytest.WithCredential(other.Credentials()[0]))
	if err != nil {
		t.Fatal(err)
	}
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/auth/passkey", Bearer: p.MinifiedJWT, Body: body}), 422, "passkey_not_found")
	// A sign-in challenge does not pass MFA either.
	r = e.do(req{Method: "GET", Path: "users/passkeys/signin"})
	body, _ = auth.Assert(r.Body)
	expectError(t, e.do(req{Method: "POST", Path: "users/mfa/auth/passkey", Bearer: p.MinifiedJWT, Body: body}), 422, "other_verify_failure")
	// A passkey that proves presence only signs in MFA-pending.
	weak := &passkeytest.Authenticator{Origin: e.passkeyOrigin(), NoUserVerification: true}
	fresh := e.smsSignIn(204, nil)
	expectStatus(t, e.registerPasskey(weak, fresh.MinifiedJWT, nil), 200)
	r = e.passkeySignIn(weak, nil)
	expectStatus(t, r, 200)
	var in verifyResponse
	r.JSON(t, &in)
	if !hasScope(decodeJWT(t, in.MinifiedJWT).Scope, "requiresAdditionalAuth") {
		t.Fatalf("sign-in without user verification is not MFA-pending: %s", r.Body)
	}
}

func testPasskeyStepUp(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	auth := &passkeytest.Authenticator{Origin: e.passkeyOrigin()}
	v := e.smsSignIn(205, nil)
	// The first passkey of a user without a second factor needs no step-up.
	expectStatus(t, e.registerPasskey(auth, v.MinifiedJWT, nil), 200)
	r := e.passkeySignIn(auth, nil)
	expectStatus(t, r, 200)
	var in verifyResponse
	r.JSON(t, &in)
	// Moments after the passkey sign-in the session is fresh: a second
	// passkey needs no token.
	second := &passkeytest.Authenticator{Origin: e.passkeyOrigin(), Alg: passkeytest.EdDSA}
	expectStatus(t, e.registerPasskey(second, in.MinifiedJWT, nil), 200)
	// Later, it needs an elevated token (or an MFA token).
	e.clock.Advance(6 * time.Minute)
	third := &passkeytest.Authenticator{Origin: e.passkeyOrigin()}
	expectError(t, e.registerPasskey(third, in.MinifiedJWT, nil), 403, "step_up_required")
	r = e.do(req{Method: "GET", Path: "users/passkeys/authenticate", Bearer: in.MinifiedJWT})
	body, err := auth.Assert(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r = e.do(req{Method: "POST", Path: "users/mfa/auth/passkey", Bearer: in.MinifiedJWT, Body: merge(t, body, map[string]any{"requestedScopes": []string{"credential:link"}})})
	expectStatus(t, r, 200)
	var up verifyResponse
	r.JSON(t, &up)
	// The session's earlier token is not fresh: the elevated token is what
	// counts.
	expectStatus(t, e.registerPasskey(third, in.MinifiedJWT, map[string]string{elevatedHeader: up.ElevatedAccessToken}), 200)
}

func testPasskeyManage(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	auth := &passkeytest.Authenticator{Origin: e.passkeyOrigin()}
	v := e.smsSignIn(206, nil)
	expectStatus(t, e.registerPasskey(auth, v.MinifiedJWT, nil), 200)
	r := e.passkeySignIn(auth, map[string]any{"createMfaToken": map[string]any{"singleUse": true}})
	expectStatus(t, r, 200)
	var in verifyResponse
	r.JSON(t, &in)
	if in.MFAToken == "" {
		t.Fatalf("no MFA token from a user-verified passkey sign-in: %s", r.Body)
	}
	r = e.do(req{Method: "GET", Path: "users/passkeys", Bearer: in.MinifiedJWT})
	var list struct {
		Passkeys []struct{ ID, Alias string } `json:"passkeys"`
	}
	r.JSON(t, &list)
	id := list.Passkeys[0].ID
	r = e.do(req{Method: "PUT", Path: "users/passkeys", Bearer: in.MinifiedJWT, Body: map[string]any{"id": id, "alias": "Laptop"}})
	expectStatus(t, r, 200)
	if m := r.Map(t); m["alias"] != "Laptop" || m["id"] != id || m["updatedAt"] == nil {
		t.Fatalf("rename %s", r.Body)
	}
	expectError(t, e.do(req{Method: "PUT", Path: "users/passkeys", Bearer: in.MinifiedJWT, Body: map[string]any{"id": "nope", "alias": "x"}}), 422, "passkey_not_found")
	// DELETE carries its id in a JSON body, and removing a factor needs
	// step-up (here the MFA token) even right after MFA.
	del := func(body any, header map[string]string) *resp {
		return e.do(req{Method: "DELETE", Path: "users/passkeys", Bearer: in.MinifiedJWT, Body: body, Header: header})
	}
	expectError(t, del(map[string]any{"passkeyId": "nope"}, map[string]string{mfaTokenHeader: in.MFAToken}), 422, "passkey_not_found")
	expectError(t, del(map[string]any{}, nil), 400, "validation_error")
	expectError(t, del(map[string]any{"passkeyId": id}, nil), 403, "step_up_required")
	expectStatus(t, del(map[string]any{"passkeyId": id}, map[string]string{mfaTokenHeader: in.MFAToken}), 204)
	r = e.do(req{Method: "GET", Path: "users/passkeys", Bearer: in.MinifiedJWT})
	if m := r.Map(t); m["count"] != 0.0 || len(m["passkeys"].([]any)) != 0 {
		t.Fatalf("after delete %s", r.Body)
	}
	// Without a passkey the OTP sign-in is not MFA-pending any more.
	e.clock.Advance(time.Minute)
	if p := e.smsSignIn(206, nil); hasScope(decodeJWT(t, p.MinifiedJWT).Scope, "requiresAdditionalAuth") {
		t.Fatal("still MFA-pending after the passkey was deleted")
	}
}

func testPasskeyMFADeviceRoutes(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	auth := &passkeytest.Authenticator{Origin: e.passkeyOrigin(), Alg: passkeytest.RS256}
	v := e.smsSignIn(207, nil)
	r := e.do(req{Method: "GET", Path: "users/mfa/register/passkey", Bearer: v.MinifiedJWT})
	expectStatus(t, r, 200)
	var start struct {
		ID           string          `json:"id"`
		Type         string          `json:"type"`
		Registration json.RawMessage `json:"registration"`
	}
	r.JSON(t, &start)
	if start.ID == "" || start.Type != "passkey" {
		t.Fatalf("register start %s", r.Body)
	}
	att, _, err := auth.Register(start.Registration)
	if err != nil {
		t.Fatal(err)
	}
	r = e.do(req{Method: "POST", Path: "users/mfa/register/passkey", Bearer: v.MinifiedJWT, Body: map[string]any{"id": start.ID, "attestation": json.RawMessage(att)}})
	expectStatus(t, r, 200)
	e.clock.Advance(time.Minute)
	if p := e.smsSignIn(207, nil); !hasScope(decodeJWT(t, p.MinifiedJWT).Scope, "requiresAdditionalAuth") {
		t.Fatal("a passkey registered as an MFA device does not make sign-in MFA-pending")
	}
}

func testPasskeyRefusals(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(208, nil)
	// A response made for another origin.
	evil := &passkeytest.Authenticator{Origin: "https://evil.example"}
	expectError(t, e.registerPasskey(evil, v.MinifiedJWT, nil), 422, "other_verify_failure")
	auth := &passkeytest.Authenticator{Origin: e.passkeyOrigin()}
	expectStatus(t, e.registerPasskey(auth, v.MinifiedJWT, nil), 200)
	r := e.do(req{Method: "GET", Path: "users/passkeys/signin"})
	body, _ := auth.Assert(r.Body, passkeytest.WithOrigin("http://localhost:1"))
	expectError(t, e.do(req{Method: "POST", Path: "users/passkeys/signin", Body: body}), 422, "other_verify_failure")
	// A counter going backwards.
	cred := auth.Credentials()[0]
	expectStatus(t, e.passkeySignIn(auth, nil), 200)
	cred.SetSignCount(0)
	expectError(t, e.passkeySignIn(auth, nil), 422, "other_verify_failure")
	// Malformed bodies and an unknown related RP ID.
	expectError(t, e.do(req{Method: "POST", Path: "users/passkeys/signin", Body: `{"id":1}`}), 400, "validation_error")
	expectError(t, e.do(req{Method: "POST", Path: "users/passkeys/signin", Body: `[]`}), 400, "validation_error")
	expectError(t, e.do(req{Method: "GET", Path: "users/passkeys/signin?relatedOriginRpId=evil.example"}), 400, "validation_error")
	// A registration challenge of one session is no good in another.
	r = e.do(req{Method: "GET", Path: "users/passkeys/register", Bearer: v.MinifiedJWT})
	att, _, err := (&passkeytest.Authenticator{Origin: e.passkeyOrigin()}).Register(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	w := e.smsSignIn(208, nil) // same user, new session; MFA-pending now
	expectError(t, e.do(req{Method: "POST", Path: "users/passkeys/register", Bearer: w.MinifiedJWT, Body: att}), 403, "insufficient_scope")
	// No passkeys: the authenticate options are refused.
	x := e.smsSignIn(209, nil)
	expectError(t, e.do(req{Method: "GET", Path: "users/passkeys/authenticate", Bearer: x.MinifiedJWT}), 422, "passkey_not_found")
	// Unauthenticated registration is refused.
	expectError(t, e.do(req{Method: "GET", Path: "users/passkeys/register"}), 401, "unauthorized")
}
