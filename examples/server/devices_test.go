package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/textproto"
	"strings"
	"testing"
)

// testDevice signs nonces as the SDK's WebCrypto device key does.
type testDevice struct{ key *ecdsa.PrivateKey }

func newTestDevice(t *testing.T) testDevice {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testDevice{k}
}

func (d testDevice) pub() string {
	b, _ := d.key.PublicKey.Bytes()
	return hex.EncodeToString(append([]byte{2 | b[64]&1}, b[1:33]...))
}

// headers returns the three device headers for a fresh nonce of e.
func (d testDevice) headers(t *testing.T, e *testEnv) map[string]string {
	t.Helper()
	n := e.nonces(1)[0]
	h := sha256.Sum256([]byte(n))
	r, s, err := ecdsa.Sign(rand.Reader, d.key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return map[string]string{"x-dynamic-device-nonce": n, "x-dynamic-device-publickey": d.pub(), "x-dynamic-device-signed-nonce": hex.EncodeToString(sig)}
}

func (e *testEnv) nonces(n int) []string {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: "nonces?count=" + string(rune('0'+n))})
	expectStatus(e.t, r, 200)
	var body struct{ Nonces []string }
	r.JSON(e.t, &body)
	return body.Nonces
}

// claim reads one claim of a JWT without checking it.
func claim(t *testing.T, tok, name string) any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m[name]
}

// emailSignInWith signs in with the device headers h (none when nil).
func (e *testEnv) emailSignInWith(email string, h map[string]string) *resp {
	e.t.Helper()
	id := e.emailStart(email)
	return e.do(req{Method: "POST", Path: "emailVerifications/signin", Header: h, Body: map[string]any{
		"verificationUUID": id, "verificationToken": e.lastCode(email),
	}})
}

func TestDeviceNonces(t *testing.T) {
	e := newTestEnv(t, nil)
	if n := e.nonces(5); len(n) != 5 {
		t.Fatalf("count=5: %d nonces", len(n))
	}
	r := e.do(req{Method: "GET", Path: "nonces?count=50"})
	var body struct{ Nonces []string }
	r.JSON(t, &body)
	if len(body.Nonces) != 5 {
		t.Fatalf("count=50: %d nonces, want at most 5", len(body.Nonces))
	}
	for _, bad := range []string{"0", "-1", "x"} {
		expectError(t, e.do(req{Method: "GET", Path: "nonces?count=" + bad}), 400, "validation_error")
	}
	r = e.do(req{Method: "GET", Path: "nonce"})
	expectStatus(t, r, 200)
	if m := r.Map(t); len(m["nonce"].(string)) != 43 {
		t.Fatalf("nonce %s", r.Body)
	}
}

func TestDeviceBoundSession(t *testing.T) {
	e := newTestEnv(t, nil)
	d, other := newTestDevice(t), newTestDevice(t)
	sessionKey := "03" + strings.Repeat("cd", 32)

	// A sign-in proving the device binds its key; the session key comes
	// from the header the SDK sends.
	h := d.headers(t, e)
	h["x-dyn-session-public-key"] = sessionKey
	r := e.emailSignInWith("dev@example.com", h)
	expectStatus(t, r, 200)
	var v verifyResponse
	r.JSON(t, &v)
	if claim(t, v.MinifiedJWT, "device_public_key") != d.pub() || claim(t, v.JWT, "session_public_key") != sessionKey {
		t.Fatalf("tokens do not bind the keys: %v %v", claim(t, v.MinifiedJWT, "device_public_key"), claim(t, v.JWT, "session_public_key"))
	}
	refresh := func(h map[string]string) *resp {
		return e.do(req{Method: "POST", Path: "refresh", Bearer: v.MinifiedJWT, Header: h})
	}
	// Refresh demands the same device, and refuses before rotating.
	expectError(t, refresh(nil), 403, "invalid_device_signature")
	expectError(t, refresh(other.headers(t, e)), 403, "invalid_device_signature")
	hs := d.headers(t, e)
	hs["x-dyn-session-public-key"] = "02" + strings.Repeat("ef", 32)
	expectError(t, refresh(hs), 422, "invalid_session_public_key")
	good := d.headers(t, e)
	r = refresh(good)
	expectStatus(t, r, 200)
	var v2 verifyResponse
	r.JSON(t, &v2)
	if v2.MinifiedJWT == "" || claim(t, v2.MinifiedJWT, "device_public_key") != d.pub() {
		t.Fatalf("refreshed tokens %s", r.Body)
	}
	// The nonce was single-use.
	v = v2
	expectError(t, refresh(good), 403, "invalid_device_signature")

	// Present but invalid headers are refused, and change nothing.
	bad := d.headers(t, e)
	bad["x-dynamic-device-signed-nonce"] = strings.Repeat("00", 64)
	expectError(t, e.emailSignInWith("bad1@example.com", bad), 403, "invalid_device_signature")
	partial := d.headers(t, e)
	delete(partial, "x-dynamic-device-publickey")
	expectError(t, e.emailSignInWith("bad2@example.com", partial), 403, "invalid_device_signature")
	unknown := d.headers(t, e)
	unknown["x-dynamic-device-nonce"] = "never-issued"
	expectError(t, e.emailSignInWith("bad3@example.com", unknown), 403, "invalid_device_signature")

	// Without the headers: an unknown device, nothing bound.
	r = e.emailSignInWith("plain@example.com", nil)
	expectStatus(t, r, 200)
	r.JSON(t, &v)
	if claim(t, v.MinifiedJWT, "device_public_key") != nil {
		t.Fatal("a sign-in without proof bound a device")
	}
	expectStatus(t, e.do(req{Method: "POST", Path: "refresh", Bearer: v.MinifiedJWT}), 200)
}

func TestRequireDeviceSignature(t *testing.T) {
	e := newTestEnv(t, nil, func(c *config) { c.RequireDeviceSignature = true })
	expectError(t, e.emailSignInWith("a@example.com", nil), 403, "invalid_device_signature")
	expectStatus(t, e.emailSignInWith("b@example.com", newTestDevice(t).headers(t, e)), 200)
	c := defaultConfig()
	c.Env, c.CookieAuth, c.RequireDeviceSignature = testEnvID, true, true
	if err := c.validate(); err == nil {
		t.Fatal("-require-device-signature with -cookie-auth accepted")
	}
}

// TestCanonicalHeaderNames: the canonical header names the server reads
// are those of the names the SDK uses.
func TestCanonicalHeaderNames(t *testing.T) {
	for _, c := range []struct{ ours, name string }{
		{hdrSessionPublicKey, "x-dyn-session-public-key"},
	} {
		if got := textproto.CanonicalMIMEHeaderKey(c.name); got != c.ours {
			t.Errorf("canonical %q = %q, server reads %q", c.name, got, c.ours)
		}
	}
}
