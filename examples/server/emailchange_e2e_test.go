package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/race"
)

// emailChange is the UpdateSelfResponse of PUT users with its
// emailVerification.
type emailChange struct {
	verifyResponse
	EmailVerification *emailCreateResponse `json:"emailVerification"`
}

// putEmail sends PUT users with body and decodes a 200 answer.
func (e *testEnv) putEmail(bearer string, body map[string]any, h map[string]string) emailChange {
	e.t.Helper()
	r := e.do(req{Method: "PUT", Path: "users", Bearer: bearer, Body: body, Header: h})
	expectStatus(e.t, r, 200)
	var out emailChange
	r.JSON(e.t, &out)
	return out
}

// verifyEmail completes a verification with the newest code of email.
func (e *testEnv) verifyEmail(bearer, id, email string, h map[string]string) *resp {
	e.t.Helper()
	return e.do(req{Method: "POST", Path: "emailVerifications/verify", Bearer: bearer, Header: h,
		Body: map[string]any{"verificationUUID": id, "verificationToken": e.lastCode(email)}})
}

func emailCreds(v verifyResponse) []string {
	var out []string
	for _, c := range v.User.VerifiedCredentials {
		if c.Format == "email" {
			out = append(out, c.Email)
		}
	}
	return out
}

// TestEmailChange runs the email-change tests on every store backend
// (PostgreSQL and Redis skip without their environment variables).
func TestEmailChange(t *testing.T) {
	for _, b := range []struct {
		name string
		f    storeFactory
	}{{"Memory", memoryStores}, {"Postgres", postgresStores}, {"Redis", redisStores}} {
		t.Run(b.name, func(t *testing.T) {
			t.Run("Change", func(t *testing.T) { testEmailChange(t, b.f) })
			t.Run("StepUp", func(t *testing.T) { testEmailChangeStepUp(t, b.f) })
			t.Run("Race", func(t *testing.T) { testEmailChangeRace(t, b.f) })
		})
	}
}

// testEmailChange: PUT users {email} sends a code to the new address and
// changes nothing else about the email; verify replaces the credential.
func testEmailChange(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.emailSignIn("old@example.com")

	ch := e.putEmail(v.MinifiedJWT, map[string]any{"email": "new@example.com", "firstName": "Ann"}, nil)
	if ch.NextView != "verify-email" || ch.EmailVerification == nil || ch.EmailVerification.Email != "new@example.com" ||
		len(ch.EmailVerification.VerificationUUID) != 36 || ch.User.Email != "old@example.com" || ch.User.FirstName != "Ann" || ch.MinifiedJWT == "" {
		t.Fatalf("PUT users email: %+v", ch)
	}
	r := e.verifyEmail(ch.MinifiedJWT, ch.EmailVerification.VerificationUUID, "new@example.com", nil)
	expectStatus(t, r, 200)
	var done verifyResponse
	r.JSON(t, &done)
	if done.NextView != "done" || done.User.Email != "new@example.com" || fmt.Sprint(emailCreds(done)) != "[new@example.com]" ||
		len(decodeJWT(t, done.JWT).Creds) != 1 {
		t.Fatalf("verify: %s", r.Body)
	}
	e.clock.Advance(time.Minute)
	if got := e.emailSignIn("new@example.com"); got.User.ID != v.User.ID {
		t.Fatal("the new address signs in to another user")
	}
	if got := e.emailSignIn("old@example.com"); got.User.ID == v.User.ID {
		t.Fatal("the replaced address still signs in to the user")
	}

	// The same address (any case): done, no code sent.
	sent := len(e.devCodes("new@example.com"))
	if s := e.putEmail(done.MinifiedJWT, map[string]any{"email": "New@Example.com"}, nil); s.NextView != "done" || s.EmailVerification != nil {
		t.Fatalf("same email: %+v", s)
	}
	if len(e.devCodes("new@example.com")) != sent {
		t.Fatal("a code was sent for the current address")
	}

	// Bad input changes nothing: no code, no profile update.
	for _, bad := range []any{"", "no-at-sign", 5, "a@" + string(make([]byte, 300))} {
		expectError(t, e.do(req{Method: "PUT", Path: "users", Bearer: done.MinifiedJWT,
			Body: map[string]any{"email": bad, "lastName": "Changed"}}), 400, "validation_error")
	}
	if m := e.do(req{Method: "GET", Path: "users", Bearer: done.MinifiedJWT}).Map(t); m["lastName"] != nil {
		t.Fatalf("a refused PUT changed the profile: %v", m)
	}

	// An address another user signs in with: PUT does not tell, verify
	// refuses, and the user keeps its email.
	e.emailSignIn("taken@example.com")
	e.clock.Advance(time.Minute)
	tk := e.putEmail(done.MinifiedJWT, map[string]any{"email": "taken@example.com"}, nil)
	if tk.NextView != "verify-email" || tk.EmailVerification == nil {
		t.Fatalf("taken: %+v", tk)
	}
	expectError(t, e.verifyEmail(done.MinifiedJWT, tk.EmailVerification.VerificationUUID, "taken@example.com", nil),
		422, "user_has_already_account_with_email")
	if m := e.do(req{Method: "GET", Path: "users", Bearer: done.MinifiedJWT}).Map(t); m["email"] != "new@example.com" {
		t.Fatalf("after a refused change: %v", m)
	}
}

// testEmailChangeStepUp: PUT users of an MFA user is gated like any
// profile change, before a code is sent; verify is gated as a link.
func testEmailChangeStepUp(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	bearer, dev := e.stepUpSession(70, stStale)
	const addr = "stepup-new@example.com"
	expectError(t, e.do(req{Method: "PUT", Path: "users", Bearer: bearer, Body: map[string]any{"email": addr}}), 403, "step_up_required")
	if got := len(e.devCodes(addr)); got != 0 {
		t.Fatalf("%d codes sent before step-up", got)
	}
	up := e.mfaAuth(bearer, e.secretOf(dev), map[string]any{"createMfaToken": map[string]any{"singleUse": true}})
	ch := e.putEmail(up.MinifiedJWT, map[string]any{"email": addr}, map[string]string{mfaTokenHeader: up.MFAToken})
	if ch.NextView != "verify-email" || ch.EmailVerification == nil {
		t.Fatalf("PUT users with an MFA token: %+v", ch)
	}
	e.clock.Advance(6 * time.Minute) // the MFA is stale again: verify needs a new proof
	expectError(t, e.verifyEmail(ch.MinifiedJWT, ch.EmailVerification.VerificationUUID, addr, nil), 403, "step_up_required")
	up2 := e.mfaAuth(ch.MinifiedJWT, e.secretOf(dev), map[string]any{"createMfaToken": map[string]any{"singleUse": true}})
	r := e.verifyEmail(up2.MinifiedJWT, ch.EmailVerification.VerificationUUID, addr, map[string]string{mfaTokenHeader: up2.MFAToken})
	expectStatus(t, r, 200)
	var done verifyResponse
	r.JSON(t, &done)
	if done.User.Email != addr || fmt.Sprint(emailCreds(done)) != "["+addr+"]" {
		t.Fatalf("verify: %s", r.Body)
	}
}

// testEmailChangeRace: changes to N addresses verified at once leave the
// user exactly one email, one of the N.
func testEmailChangeRace(t *testing.T, newStores storeFactory) {
	const n = 8
	e := newTestEnv(t, newStores)
	v := e.emailSignIn("race-old@example.com")
	ids := make([]string, n)
	codes := make([]string, n)
	for i := range n {
		addr := fmt.Sprintf("race-%d@example.com", i)
		ch := e.putEmail(v.MinifiedJWT, map[string]any{"email": addr}, nil)
		ids[i], codes[i] = ch.EmailVerification.VerificationUUID, e.lastCode(addr)
	}
	errs := race.Run(n, func(i int) error {
		// The harness's do is not safe for concurrent use.
		body := `{"verificationUUID":"` + ids[i] + `","verificationToken":"` + codes[i] + `"}`
		hr, err := http.NewRequest("POST", e.base+"/emailVerifications/verify", strings.NewReader(body))
		if err != nil {
			return err
		}
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("Authorization", "Bearer "+v.MinifiedJWT)
		res, err := e.ts.Client().Do(hr)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != 200 {
			b, _ := io.ReadAll(res.Body)
			return fmt.Errorf("verify %d: %d %s", i, res.StatusCode, b)
		}
		return nil
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	r := e.do(req{Method: "GET", Path: "users", Bearer: v.MinifiedJWT})
	expectStatus(t, r, 200)
	var u verifyResponse
	r.JSON(t, &u.User)
	got := emailCreds(u)
	if len(got) != 1 || got[0] != u.User.Email || got[0] == "race-old@example.com" {
		t.Fatalf("emails after racing changes: %v (user.email %q)", got, u.User.Email)
	}
}
