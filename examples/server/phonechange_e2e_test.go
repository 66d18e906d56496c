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

// phoneChange is the UpdateSelfResponse of PUT users with its
// smsVerification.
type phoneChange struct {
	verifyResponse
	EmailVerification *emailCreateResponse `json:"emailVerification"`
	SMSVerification   *smsCreateResponse   `json:"smsVerification"`
}

// putPhone sends PUT users with body and decodes a 200 answer.
func (e *testEnv) putPhone(bearer string, body map[string]any, h map[string]string) phoneChange {
	e.t.Helper()
	r := e.do(req{Method: "PUT", Path: "users", Bearer: bearer, Body: body, Header: h})
	expectStatus(e.t, r, 200)
	var out phoneChange
	r.JSON(e.t, &out)
	return out
}

// verifySMS completes a verification with the newest code sent to e164.
func (e *testEnv) verifySMS(bearer, id, e164 string, h map[string]string) *resp {
	e.t.Helper()
	return e.do(req{Method: "POST", Path: "smsVerifications/verify", Bearer: bearer, Header: h,
		Body: map[string]any{"verificationUUID": id, "verificationToken": e.lastCode(e164)}})
}

// phoneCreds lists the E.164 numbers of the user's phone credentials.
func phoneCreds(v verifyResponse) []string {
	var out []string
	for _, c := range v.User.VerifiedCredentials {
		if c.Format == "phoneNumber" {
			out = append(out, "+"+c.PhoneCountryCode+c.PhoneNumber)
		}
	}
	return out
}

// TestPhoneChange runs the phone-change tests on every store backend
// (PostgreSQL and Redis skip without their environment variables).
func TestPhoneChange(t *testing.T) {
	for _, b := range []struct {
		name string
		f    storeFactory
	}{{"Memory", memoryStores}, {"Postgres", postgresStores}, {"Redis", redisStores}} {
		t.Run(b.name, func(t *testing.T) {
			t.Run("Change", func(t *testing.T) { testPhoneChange(t, b.f) })
			t.Run("StepUp", func(t *testing.T) { testPhoneChangeStepUp(t, b.f) })
			t.Run("Race", func(t *testing.T) { testPhoneChangeRace(t, b.f) })
		})
	}
}

// testPhoneChange: PUT users {phoneNumber} sends a code to the new number
// and changes nothing else about the phone; verify replaces the
// credential.
func testPhoneChange(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(1, nil)
	oldNational, oldE164 := testPhone(1)
	newNational, newE164 := testPhone(2)

	ch := e.putPhone(v.MinifiedJWT, map[string]any{"phoneNumber": newE164, "firstName": "Ann"}, nil)
	if ch.NextView != "verify-sms" || ch.SMSVerification == nil || ch.EmailVerification != nil ||
		ch.SMSVerification.PhoneNumber != newNational || ch.SMSVerification.PhoneCountryCode != "1" ||
		ch.SMSVerification.IsoCountryCode != "US" || len(ch.SMSVerification.VerificationUUID) != 36 ||
		fmt.Sprint(phoneCreds(ch.verifyResponse)) != "["+oldE164+"]" || ch.User.FirstName != "Ann" || ch.MinifiedJWT == "" {
		t.Fatalf("PUT users phoneNumber: %+v", ch)
	}
	r := e.verifySMS(ch.MinifiedJWT, ch.SMSVerification.VerificationUUID, newE164, nil)
	expectStatus(t, r, 200)
	var done verifyResponse
	r.JSON(t, &done)
	if done.NextView != "done" || fmt.Sprint(phoneCreds(done)) != "["+newE164+"]" || len(decodeJWT(t, done.JWT).Creds) != 1 {
		t.Fatalf("verify: %s", r.Body)
	}
	e.clock.Advance(time.Minute)
	if got := e.smsSignIn(2, nil); got.User.ID != v.User.ID {
		t.Fatal("the new number signs in to another user")
	}
	if got := e.smsSignIn(1, nil); got.User.ID == v.User.ID {
		t.Fatalf("the replaced number %s still signs in to the user", oldNational)
	}

	// The same number: done, no code sent.
	sent := len(e.devCodes(newE164))
	if s := e.putPhone(done.MinifiedJWT, map[string]any{"phoneNumber": newE164}, nil); s.NextView != "done" || s.SMSVerification != nil {
		t.Fatalf("same number: %+v", s)
	}
	if len(e.devCodes(newE164)) != sent {
		t.Fatal("a code was sent for the current number")
	}

	// Bad input changes nothing: no code, no profile update, and a valid
	// email beside an invalid number is not sent a code either.
	for _, bad := range []any{"", "9172113303", "+1917211330", "+0917211330", "+19171113333", "+1 917 211 3303", 5,
		"+" + strings.Repeat("1", 300)} {
		expectError(t, e.do(req{Method: "PUT", Path: "users", Bearer: done.MinifiedJWT,
			Body: map[string]any{"phoneNumber": bad, "email": "side@example.com", "lastName": "Changed"}}), 400, "validation_error")
	}
	if m := e.do(req{Method: "GET", Path: "users", Bearer: done.MinifiedJWT}).Map(t); m["lastName"] != nil {
		t.Fatalf("a refused PUT changed the profile: %v", m)
	}
	if got := len(e.devCodes("side@example.com")); got != 0 {
		t.Fatalf("%d codes sent by refused PUTs", got)
	}

	// A number another user signs in with: PUT does not tell, verify
	// refuses, and the user keeps its number.
	e.smsSignIn(3, nil)
	_, takenE164 := testPhone(3)
	e.clock.Advance(time.Minute)
	tk := e.putPhone(done.MinifiedJWT, map[string]any{"phoneNumber": takenE164}, nil)
	if tk.NextView != "verify-sms" || tk.SMSVerification == nil {
		t.Fatalf("taken: %+v", tk)
	}
	expectError(t, e.verifySMS(done.MinifiedJWT, tk.SMSVerification.VerificationUUID, takenE164, nil),
		422, "user_has_already_account_with_phone_number")
	after := e.do(req{Method: "GET", Path: "users", Bearer: done.MinifiedJWT})
	expectStatus(t, after, 200)
	var u verifyResponse
	after.JSON(t, &u.User)
	if fmt.Sprint(phoneCreds(u)) != "["+newE164+"]" {
		t.Fatalf("after a refused change: %v", phoneCreds(u))
	}
}

// testPhoneChangeStepUp: PUT users of an MFA user is gated like any
// profile change, before a code is sent; verify is gated as a link.
func testPhoneChangeStepUp(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	bearer, dev := e.stepUpSession(70, stStale)
	_, e164 := testPhone(71)
	expectError(t, e.do(req{Method: "PUT", Path: "users", Bearer: bearer, Body: map[string]any{"phoneNumber": e164}}), 403, "step_up_required")
	if got := len(e.devCodes(e164)); got != 0 {
		t.Fatalf("%d codes sent before step-up", got)
	}
	up := e.mfaAuth(bearer, e.secretOf(dev), map[string]any{"createMfaToken": map[string]any{"singleUse": true}})
	ch := e.putPhone(up.MinifiedJWT, map[string]any{"phoneNumber": e164}, map[string]string{mfaTokenHeader: up.MFAToken})
	if ch.NextView != "verify-sms" || ch.SMSVerification == nil {
		t.Fatalf("PUT users with an MFA token: %+v", ch)
	}
	e.clock.Advance(6 * time.Minute) // the MFA is stale again: verify needs a new proof
	expectError(t, e.verifySMS(ch.MinifiedJWT, ch.SMSVerification.VerificationUUID, e164, nil), 403, "step_up_required")
	up2 := e.mfaAuth(ch.MinifiedJWT, e.secretOf(dev), map[string]any{"createMfaToken": map[string]any{"singleUse": true}})
	r := e.verifySMS(up2.MinifiedJWT, ch.SMSVerification.VerificationUUID, e164, map[string]string{mfaTokenHeader: up2.MFAToken})
	expectStatus(t, r, 200)
	var done verifyResponse
	r.JSON(t, &done)
	if fmt.Sprint(phoneCreds(done)) != "["+e164+"]" {
		t.Fatalf("verify: %s", r.Body)
	}
}

// testPhoneChangeRace: changes to N numbers verified at once leave the
// user exactly one phone number, one of the N.
func testPhoneChangeRace(t *testing.T, newStores storeFactory) {
	const n = 8
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(40, nil)
	_, oldE164 := testPhone(40)
	ids := make([]string, n)
	codes := make([]string, n)
	for i := range n {
		_, e164 := testPhone(41 + i)
		ch := e.putPhone(v.MinifiedJWT, map[string]any{"phoneNumber": e164}, nil)
		if ch.SMSVerification == nil {
			t.Fatalf("PUT users %d: %+v", i, ch)
		}
		ids[i], codes[i] = ch.SMSVerification.VerificationUUID, e.lastCode(e164)
	}
	errs := race.Run(n, func(i int) error {
		// The harness's do is not safe for concurrent use.
		body := `{"verificationUUID":"` + ids[i] + `","verificationToken":"` + codes[i] + `"}`
		hr, err := http.NewRequest("POST", e.base+"/smsVerifications/verify", strings.NewReader(body))
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
	got := phoneCreds(u)
	if len(got) != 1 || got[0] == oldE164 {
		t.Fatalf("phone numbers after racing changes: %v", got)
	}
}
