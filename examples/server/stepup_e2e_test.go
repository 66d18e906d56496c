package main

import (
	"testing"
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
	e.clock.Advance(30 * 1e9)
	return up
}

var _ = testing.T{}
