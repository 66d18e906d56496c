package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Client-side steps shared by the end-to-end tests.

// testPhone returns the i-th test number, all valid US numbers
// (+1 917 211 33xx): each test uses its own so that the per-destination
// send limits of one test never touch another.
func testPhone(i int) (national, e164 string) {
	national = fmt.Sprintf("91721133%02d", i%100)
	return national, "+1" + national
}

// smsBody is an SMS create body for the national US number.
func smsBody(national string) map[string]any {
	return map[string]any{"phoneCountryCode": "1", "phoneNumber": national, "isoCountryCode": "US"}
}

// devCodes lists the codes sent to a destination, oldest first.
func (e *testEnv) devCodes(to string) []string {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: "/dev/messages?to=" + url.QueryEscape(to)})
	expectStatus(e.t, r, 200)
	var msgs []devMessage
	r.JSON(e.t, &msgs)
	codes := make([]string, len(msgs))
	for i, m := range msgs {
		codes[i] = m.Code
	}
	return codes
}

// lastCode is the newest code sent to a destination.
func (e *testEnv) lastCode(to string) string {
	e.t.Helper()
	c := e.devCodes(to)
	if len(c) == 0 {
		e.t.Fatalf("no code sent to %s", to)
	}
	return c[len(c)-1]
}

// smsStart creates an SMS verification and returns its UUID.
func (e *testEnv) smsStart(national string) string {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody(national)})
	expectStatus(e.t, r, 201)
	var v smsCreateResponse
	r.JSON(e.t, &v)
	return v.VerificationUUID
}

// emailStart creates an email verification and returns its UUID.
func (e *testEnv) emailStart(email string) string {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: "emailVerifications/create", Body: map[string]any{"email": email}})
	expectStatus(e.t, r, 201)
	var v emailCreateResponse
	r.JSON(e.t, &v)
	return v.VerificationUUID
}

// signInResult is a decoded VerifyResponse.
type signInResult struct {
	verifyResponse
	raw *resp
}

// smsSignIn runs create → read code → signin for the i-th test number,
// with extra fields merged into the signin body.
func (e *testEnv) smsSignIn(i int, extra map[string]any) signInResult {
	e.t.Helper()
	national, e164 := testPhone(i)
	id := e.smsStart(national)
	body := map[string]any{"verificationUUID": id, "verificationToken": e.lastCode(e164)}
	for k, v := range extra {
		body[k] = v
	}
	r := e.do(req{Method: "POST", Path: "smsVerifications/signin", Body: body})
	expectStatus(e.t, r, 200)
	var v signInResult
	r.JSON(e.t, &v.verifyResponse)
	v.raw = r
	return v
}

// emailSignIn runs create → read code → signin for an address.
func (e *testEnv) emailSignIn(email string) signInResult {
	e.t.Helper()
	id := e.emailStart(email)
	r := e.do(req{Method: "POST", Path: "emailVerifications/signin", Body: map[string]any{
		"verificationUUID": id, "verificationToken": e.lastCode(email),
	}})
	expectStatus(e.t, r, 200)
	var v signInResult
	r.JSON(e.t, &v.verifyResponse)
	v.raw = r
	return v
}

// tokenClaims decodes a JWT's header and payload without verifying it
// (the server verified it; tests look at what it minted).
type tokenClaims struct {
	Header map[string]any
	Iss    string   `json:"iss"`
	Sub    string   `json:"sub"`
	Aud    any      `json:"aud"`
	Exp    int64    `json:"exp"`
	Iat    int64    `json:"iat"`
	Sid    string   `json:"sid"`
	Scope  string   `json:"scope"`
	AMR    []string `json:"amr"`
	Creds  []any    `json:"verified_credentials"`
}

func decodeJWT(t *testing.T, tok string) tokenClaims {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", tok)
	}
	var c tokenClaims
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(h, &c.Header); err != nil {
		t.Fatal(err)
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(p, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// hasScope reports whether a space-separated scope holds s.
func hasScope(scope, s string) bool {
	for _, f := range strings.Fields(scope) {
		if f == s {
			return true
		}
	}
	return false
}

func containsAny(s, sub string) bool { return sub != "" && strings.Contains(s, sub) }

func splitLines(s string) []string { return strings.Split(s, "\n") }

// durField matches slog's duration field in a request log line.
var durField = regexp.MustCompile(`\bdur=\S+`)

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
