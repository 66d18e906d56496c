package session_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/authkit/authkit/session"
)

// sentinels are the errors Verify may return for hostile input.
var sentinels = []error{
	session.ErrMalformed, session.ErrTooLarge, session.ErrUnknownKey, session.ErrBadSignature,
	session.ErrAlgorithm, session.ErrExpired, session.ErrNotYetValid, session.ErrIssuer,
	session.ErrAudience, session.ErrWrongKind, session.ErrRevoked, session.ErrSessionExpired,
	session.ErrSessionMismatch,
}

// FuzzVerify: any input gets claims or one of the typed errors, never a
// panic; and nothing but a token we signed verifies.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f, session.ES256, true)
	tok, err := fx.m.Mint(f.Context(), testUser(2), session.MintOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok.MinifiedJWT)
	f.Add(tok.JWT)
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add(rfc8037JWS)
	f.Add("a.b.c")
	f.Add("")
	minted := map[string]bool{tok.MinifiedJWT: true, tok.JWT: true}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := fx.m.Verify(t.Context(), s, session.KindSession|session.KindElevated)
		if err == nil {
			if c == nil || !minted[s] {
				t.Fatalf("accepted a token we did not mint: %q", s)
			}
			return
		}
		for _, e := range sentinels {
			if errors.Is(err, e) {
				return
			}
		}
		t.Fatalf("untyped error %v", err)
	})
}

// FuzzParseJWK: key parsing never panics and a parsed key is usable.
func FuzzParseJWK(f *testing.F) {
	f.Add([]byte(rfc8037PrivateJWK))
	for _, alg := range algs {
		b, _ := testKey(f, alg, 0).MarshalJWK()
		f.Add(b)
	}
	f.Add([]byte(`{"kty":"RSA","n":"AQAB","e":"AQAB"}`))
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"","y":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := session.ParseKey(b)
		if err != nil {
			return
		}
		if k.KID() == "" || k.Algorithm() == "" {
			t.Fatal("parsed key without kid or alg")
		}
		if _, err := k.PublicPEM(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParsePEM: PEM parsing never panics.
func FuzzParsePEM(f *testing.F) {
	for _, alg := range algs {
		b, _ := testKey(f, alg, 0).MarshalPEM()
		f.Add(b)
		p, _ := testKey(f, alg, 0).PublicPEM()
		f.Add(p)
	}
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := session.ParseKey(b)
		if err == nil && k.KID() == "" {
			t.Fatal("parsed key without kid")
		}
	})
}

// FuzzIPPrefix: any input gives "" or a valid /24 or /48 prefix that
// contains the address, never the address itself.
func FuzzIPPrefix(f *testing.F) {
	for _, s := range []string{"203.0.113.77", "[2001:db8::1]:443", "::ffff:10.0.0.1", "fe80::1%eth0", "1.2.3.4:99999", "2002:cb00:714d::1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := session.IPPrefix(in)
		if out == "" {
			return
		}
		p, err := netip.ParsePrefix(out)
		if err != nil || (p.Bits() != 24 && p.Bits() != 40 && p.Bits() != 48) || p != p.Masked() {
			t.Fatalf("IPPrefix(%q) = %q: not a masked /24, /40 or /48", in, out)
		}
		if a := p.Addr(); a.Is6() && a.As16()[0] == 0x20 && a.As16()[1] == 0x02 && p.Bits() > 40 {
			t.Fatalf("IPPrefix(%q) = %q: a 6to4 prefix that holds more than an IPv4 /24", in, out)
		}
	})
}
