package session_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

func publicDER(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func publicBytes(pub crypto.PublicKey) []byte {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		b, _ := p.Bytes()
		return b
	case ed25519.PublicKey:
		return p
	case *rsa.PublicKey:
		return p.N.Bytes()
	}
	return nil
}

// TestVerifyAttacks runs each attack of the issue against each algorithm;
// every one must fail with its typed error.
func TestVerifyAttacks(t *testing.T) {
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) { testVerifyAttacks(t, alg) })
	}
}

func testVerifyAttacks(t *testing.T, alg session.Algorithm) {
	ctx := context.Background()
	f := newFixture(t, alg, true)
	priv := testPriv(t, alg, 0)
	kid := f.key.KID()
	tokens, err := f.m.Mint(ctx, testUser(2), session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sid := tokens.SessionID
	hdr := func(kv ...string) map[string]any {
		h := map[string]any{"typ": session.TypMinified, "kid": kid}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "-" {
				delete(h, kv[i])
			} else {
				h[kv[i]] = kv[i+1]
			}
		}
		return h
	}
	with := func(kv ...any) map[string]any {
		c := f.validClaims(sid)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	now := f.clk.Now()
	hs256 := func(key []byte) func(string) []byte {
		return func(in string) []byte {
			m := hmac.New(sha256.New, key)
			m.Write([]byte(in))
			return m.Sum(nil)
		}
	}
	elevated, _, err := f.m.MintElevated(ctx, tokens.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeWalletExport}})
	if err != nil {
		t.Fatal(err)
	}
	tampered := func(tok string) string {
		parts := strings.Split(tok, ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		payload = []byte(strings.Replace(string(payload), `"scope":"user:basic"`, `"scope":"user:basic admin"`, 1))
		parts[1] = base64.RawURLEncoding.EncodeToString(payload)
		return strings.Join(parts, ".")
	}
	otherAlg := session.EdDSA
	if alg == session.EdDSA {
		otherAlg = session.ES256
	}
	revokedTokens, err := f.m.Mint(ctx, testUser(1), session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.m.Revoke(ctx, revokedTokens.SessionID); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name  string
		token string
		kind  session.Kind
		want  error
	}{
		{"valid forged-by-us control", forge(t, priv, alg, hdr(), with()), session.KindSession, nil},
		{"alg none", rawJWS(t, map[string]any{"alg": "none", "typ": session.TypMinified, "kid": kid}, with(), func(string) []byte { return nil }), session.KindSession, session.ErrAlgorithm},
		{"alg none no kid", rawJWS(t, map[string]any{"alg": "none", "typ": session.TypMinified}, with(), func(string) []byte { return nil }), session.KindSession, session.ErrAlgorithm},
		{"alg missing", rawJWS(t, map[string]any{"typ": session.TypMinified, "kid": kid}, with(), func(string) []byte { return []byte("x") }), session.KindSession, session.ErrAlgorithm},
		{"HS256 keyed with public key DER", rawJWS(t, map[string]any{"alg": "HS256", "typ": session.TypMinified, "kid": kid}, with(), hs256(publicDER(t, priv.Public()))), session.KindSession, session.ErrAlgorithm},
		{"HS256 keyed with public key bytes", rawJWS(t, map[string]any{"alg": "HS256", "typ": session.TypMinified, "kid": kid}, with(), hs256(publicBytes(priv.Public()))), session.KindSession, session.ErrAlgorithm},
		{"alg of another key type", forge(t, testPriv(t, otherAlg, 0), otherAlg, hdr(), with()), session.KindSession, session.ErrAlgorithm},
		{"unknown kid", forge(t, testPriv(t, alg, 1), alg, hdr("kid", testKey(t, alg, 1).KID()), with()), session.KindSession, session.ErrUnknownKey},
		{"missing kid", forge(t, priv, alg, hdr("kid", "-"), with()), session.KindSession, session.ErrUnknownKey},
		{"kid with path", forge(t, priv, alg, hdr("kid", "../../../../etc/passwd"), with()), session.KindSession, session.ErrUnknownKey},
		{"kid with SQL", forge(t, priv, alg, hdr("kid", "x' UNION SELECT key FROM keys--"), with()), session.KindSession, session.ErrUnknownKey},
		{"kid null byte", forge(t, priv, alg, hdr("kid", kid+"\x00"), with()), session.KindSession, session.ErrUnknownKey},
		{"right kid, other key's signature", forge(t, testPriv(t, alg, 1), alg, hdr(), with()), session.KindSession, session.ErrBadSignature},
		{"tampered payload", tampered(tokens.MinifiedJWT), session.KindSession, session.ErrBadSignature},
		{"expired", forge(t, priv, alg, hdr(), with("exp", now.Add(-2*time.Minute).Unix())), session.KindSession, session.ErrExpired},
		{"exp missing", forge(t, priv, alg, hdr(), with("exp", nil)), session.KindSession, session.ErrMalformed},
		{"nbf in the future", forge(t, priv, alg, hdr(), with("nbf", now.Add(5*time.Minute).Unix())), session.KindSession, session.ErrNotYetValid},
		{"iat in the future", forge(t, priv, alg, hdr(), with("iat", now.Add(5*time.Minute).Unix())), session.KindSession, session.ErrNotYetValid},
		{"wrong aud", forge(t, priv, alg, hdr(), with("aud", "https://evil.example")), session.KindSession, session.ErrAudience},
		{"wrong aud list", forge(t, priv, alg, hdr(), with("aud", []string{"a", "b"})), session.KindSession, session.ErrAudience},
		{"aud missing", forge(t, priv, alg, hdr(), with("aud", nil)), session.KindSession, session.ErrAudience},
		{"wrong iss", forge(t, priv, alg, hdr(), with("iss", "auth.evil.example/"+testEnv)), session.KindSession, session.ErrIssuer},
		{"other environment", forge(t, priv, alg, hdr(), with("environment_id", "ffffffff-0000-4000-8000-000000000001")), session.KindSession, session.ErrIssuer},
		{"sid missing", forge(t, priv, alg, hdr(), with("sid", nil)), session.KindSession, session.ErrMalformed},
		{"typ missing", forge(t, priv, alg, hdr("typ", "-"), with()), session.KindSession, session.ErrWrongKind},
		{"typ JWT", forge(t, priv, alg, hdr("typ", "JWT"), with()), session.KindSession, session.ErrWrongKind},
		{"crit header", forge(t, priv, alg, map[string]any{"typ": session.TypMinified, "kid": kid, "crit": []string{"exp"}}, with()), session.KindSession, session.ErrMalformed},
		{"elevated token as session token", elevated, session.KindSession, session.ErrWrongKind},
		{"session token as elevated token", tokens.MinifiedJWT, session.KindElevated, session.ErrWrongKind},
		{"full token as minified", tokens.JWT, session.KindMinified, session.ErrWrongKind},
		{"minified as full", tokens.MinifiedJWT, session.KindFull, session.ErrWrongKind},
		{"revoked session", revokedTokens.MinifiedJWT, session.KindSession, session.ErrRevoked},
		{"revoked session, full token", revokedTokens.JWT, session.KindSession, session.ErrRevoked},
		{"unknown session", forge(t, priv, alg, hdr(), with("sid", "no-such-session")), session.KindSession, session.ErrRevoked},
		{"session of another user", forge(t, priv, alg, hdr(), with("sub", "someone-else")), session.KindSession, session.ErrSessionMismatch},
		{"over the size limit", tokens.MinifiedJWT + strings.Repeat("A", session.MaxTokenSize), session.KindSession, session.ErrTooLarge},
		{"size limit with big claim", forge(t, priv, alg, hdr(), with("pad", strings.Repeat("x", session.MaxTokenSize))), session.KindSession, session.ErrTooLarge},
		{"two segments", "eyJhbGciOiJFUzI1NiJ9.e30", session.KindSession, session.ErrMalformed},
		{"garbage", "not a token", session.KindSession, session.ErrMalformed},
		{"empty", "", session.KindSession, session.ErrMalformed},
		{"bad base64 header", "!!!." + strings.SplitN(tokens.MinifiedJWT, ".", 2)[1], session.KindSession, session.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := f.m.Verify(ctx, tc.token, tc.kind)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if c != nil {
				t.Fatal("claims returned with an error")
			}
			if strings.Contains(err.Error(), tc.token) && tc.token != "" {
				t.Fatal("error message contains the token")
			}
		})
	}
}

// TestVerifyLeeway: exp, nbf and iat are honoured with Config.Leeway, no more.
func TestVerifyLeeway(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, session.ES256, false, func(c *session.Config) { c.Leeway = 60 * time.Second })
	priv := testPriv(t, session.ES256, 0)
	now := f.clk.Now()
	hdr := map[string]any{"typ": session.TypMinified, "kid": f.key.KID()}
	cases := []struct {
		claim string
		at    time.Time
		want  error
	}{
		{"exp", now.Add(-59 * time.Second), nil},
		{"exp", now.Add(-61 * time.Second), session.ErrExpired},
		{"nbf", now.Add(59 * time.Second), nil},
		{"nbf", now.Add(61 * time.Second), session.ErrNotYetValid},
		{"iat", now.Add(59 * time.Second), nil},
		{"iat", now.Add(61 * time.Second), session.ErrNotYetValid},
	}
	for _, tc := range cases {
		c := f.validClaims("sid-1")
		c[tc.claim] = tc.at.Unix()
		_, err := f.m.Verify(ctx, forge(t, priv, session.ES256, hdr, c), session.KindSession)
		if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Errorf("%s at %v: Verify = %v, want %v", tc.claim, tc.at.Sub(now), err, tc.want)
		}
	}
	if _, err := session.New(session.Config{Keys: f.keys, Issuer: testIssuer, Stateless: true, Leeway: 61 * time.Second}); !errors.Is(err, session.ErrConfig) {
		t.Fatalf("Leeway over 60 s accepted: %v", err)
	}
}

// TestVerifyTypVariants: the application/ prefix and case are tolerated
// (RFC 7515 §4.1.9), other typ values are not.
func TestVerifyTypVariants(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, session.ES256, false)
	priv := testPriv(t, session.ES256, 0)
	for _, tc := range []struct {
		typ  string
		kind session.Kind
		ok   bool
	}{
		{"at+jwt", session.KindMinified, true},
		{"application/at+jwt", session.KindMinified, true},
		{"AT+JWT", session.KindMinified, true},
		{"at+jwt ", session.KindMinified, false},
		{"jwt", session.KindMinified, false},
		{"authkit-id+jwt", session.KindFull, true},
		{"authkit-elevated+jwt", session.KindSession, false},
	} {
		c, err := f.m.Verify(ctx, forge(t, priv, session.ES256, map[string]any{"typ": tc.typ, "kid": f.key.KID()}, f.validClaims("s")), session.KindSession)
		if tc.ok != (err == nil) {
			t.Errorf("typ %q: err = %v, want ok=%v", tc.typ, err, tc.ok)
		}
		if err == nil && c.Kind != tc.kind {
			t.Errorf("typ %q: kind %v, want %v", tc.typ, c.Kind, tc.kind)
		}
	}
}

// TestVerifyStateless: without a store, tokens verify on signature and
// claims alone.
func TestVerifyStateless(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, session.EdDSA, false)
	tok, err := f.m.Mint(ctx, testUser(1), session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{tok.JWT, tok.MinifiedJWT} {
		if _, err := f.m.Verify(ctx, s, session.KindSession); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.m.Revoke(ctx, tok.SessionID); !errors.Is(err, session.ErrNoStore) {
		t.Fatalf("Revoke without store = %v, want ErrNoStore", err)
	}
	if _, err := f.m.Refresh(ctx, tok.MinifiedJWT, lookup(testUser(1))); !errors.Is(err, session.ErrNoStore) {
		t.Fatalf("Refresh without store = %v, want ErrNoStore", err)
	}
	f.clk.Advance(2*time.Hour + time.Minute)
	if _, err := f.m.Verify(ctx, tok.MinifiedJWT, session.KindSession); !errors.Is(err, session.ErrExpired) {
		t.Fatalf("after 2 h: %v, want ErrExpired", err)
	}
}
