package session_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

// shapedSigner is a KMS-like ECDSA crypto.Signer whose signatures have a
// chosen shape: raw R‖S (as some KMS APIs return) with R's first byte
// 0x30 (the DER SEQUENCE tag), or DER with s always in the high half.
type shapedSigner struct {
	inner *ecdsa.PrivateKey
	raw30 bool // raw R‖S whose first byte is 0x30
	highS bool // DER with s > n/2
}

func (s shapedSigner) Public() crypto.PublicKey { return s.inner.Public() }

func (s shapedSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	n := elliptic.P256().Params().N
	for {
		der, err := s.inner.Sign(r, digest, opts)
		if err != nil {
			return nil, err
		}
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(der, &rs); err != nil {
			return nil, err
		}
		if s.highS {
			if rs.S.Cmp(new(big.Int).Rsh(n, 1)) <= 0 {
				rs.S.Sub(n, rs.S)
			}
			return asn1.Marshal(rs)
		}
		out := make([]byte, 64)
		rs.R.FillBytes(out[:32])
		rs.S.FillBytes(out[32:])
		if !s.raw30 || out[0] == 0x30 {
			return out, nil
		}
	}
}

// TestSignerShapes: a raw R‖S signer is accepted whatever R's first byte
// (one signature in 256 starts with the DER tag 0x30), and a signer that
// always returns high-S signatures still yields low-S tokens that verify.
func TestSignerShapes(t *testing.T) {
	priv := testPriv(t, session.ES256, 5).(*ecdsa.PrivateKey)
	for name, sg := range map[string]shapedSigner{
		"raw-0x30": {inner: priv, raw30: true},
		"high-S":   {inner: priv, highS: true},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			key, err := session.NewKey(sg)
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, session.ES256, true)
			if err := f.m.Rotate(key); err != nil {
				t.Fatal(err)
			}
			for range 8 {
				toks, err := f.m.Mint(ctx, testUser(1), session.MintOptions{})
				if err != nil {
					t.Fatalf("Mint: %v", err)
				}
				for _, tok := range []string{toks.JWT, toks.MinifiedJWT} {
					if _, err := f.m.Verify(ctx, tok, session.KindSession); err != nil {
						t.Fatalf("Verify: %v", err)
					}
					sig, err := base64.RawURLEncoding.DecodeString(tok[strings.LastIndexByte(tok, '.')+1:])
					if err != nil || len(sig) != 64 {
						t.Fatalf("signature: %d bytes, %v", len(sig), err)
					}
					if half := new(big.Int).Rsh(elliptic.P256().Params().N, 1); new(big.Int).SetBytes(sig[32:]).Cmp(half) > 0 {
						t.Fatal("token signed in high-S form")
					}
				}
			}
		})
	}
}

// TestIPPrefixEmbeddedIPv4: a 6to4 address (2002::/16) carries the whole
// public IPv4 address in bits 16–47, so its /48 would be that address;
// it is cut to the IPv4 /24's share instead.
func TestIPPrefixEmbeddedIPv4(t *testing.T) {
	for in, want := range map[string]string{
		"2002:cb00:714d:1::5":      "2002:cb00:7100::/40", // 203.0.113.77 → 203.0.113.0/24
		"[2002:cb00:714d::1]:4431": "2002:cb00:7100::/40",
		"2001:db8:abcd:12::1":      "2001:db8:abcd::/48",
	} {
		if got := session.IPPrefix(in); got != want {
			t.Errorf("IPPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReuseRevokesElevated: refresh-token reuse ends the session for every
// token kind: elevated tokens minted from it, multi- and single-use, are
// refused afterwards, like the session tokens.
func TestReuseRevokesElevated(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	user := testUser(1)
	t0, err := f.m.Mint(ctx, user, session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t1, err := f.m.Refresh(ctx, t0.MinifiedJWT, lookup(user))
	if err != nil {
		t.Fatal(err)
	}
	var els []string
	for _, single := range []bool{false, true} {
		el, _, err := f.m.MintElevated(ctx, t1.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeCredentialLink}, SingleUse: single})
		if err != nil {
			t.Fatal(err)
		}
		els = append(els, el)
	}
	f.clk.Advance(session.DefaultRefreshGrace)
	if _, err := f.m.Refresh(ctx, t0.MinifiedJWT, lookup(user)); !errors.Is(err, session.ErrRefreshReuse) {
		t.Fatalf("reuse = %v, want ErrRefreshReuse", err)
	}
	for i, el := range els {
		if _, err := f.m.VerifyElevated(ctx, el, authkit.ScopeCredentialLink, t1.Claims); !errors.Is(err, session.ErrRevoked) {
			t.Fatalf("elevated token (single use %v) after reuse = %v, want ErrRevoked", i == 1, err)
		}
	}
	if _, _, err := f.m.MintElevated(ctx, t1.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeCredentialLink}}); !errors.Is(err, session.ErrRevoked) {
		t.Fatalf("MintElevated after reuse = %v, want ErrRevoked", err)
	}
}

// TestGenClaim: a session token without a gen claim is generation 0 (what
// Mint writes for a new session, which omits the zero): it stops
// authenticating once the session has rotated and the grace window passed,
// and a gen that is not a JSON unsigned integer is malformed.
func TestGenClaim(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	user := testUser(0)
	toks, err := f.m.Mint(ctx, user, session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	priv := testPriv(t, session.ES256, 0)
	hdr := map[string]any{"kid": f.key.KID(), "typ": session.TypMinified}
	claims := func(gen any) map[string]any {
		c := f.validClaims(toks.SessionID)
		c["aud"] = testOrigin
		if gen != nil {
			c["gen"] = gen
		}
		return c
	}
	noGen := forge(t, priv, session.ES256, hdr, claims(nil))
	if c, err := f.m.Verify(ctx, noGen, session.KindSession); err != nil || c.Generation != 0 {
		t.Fatalf("token without gen on a new session = %v, %v", c, err)
	}
	for _, bad := range []any{-1, 1.5, "1", true} {
		if _, err := f.m.Verify(ctx, forge(t, priv, session.ES256, hdr, claims(bad)), session.KindSession); !errors.Is(err, session.ErrMalformed) {
			t.Fatalf("gen %v: %v, want ErrMalformed", bad, err)
		}
	}
	if _, err := f.m.Refresh(ctx, toks.MinifiedJWT, lookup(user)); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(session.DefaultRefreshGrace + time.Second)
	if _, err := f.m.Verify(ctx, noGen, session.KindSession); !errors.Is(err, session.ErrSuperseded) {
		t.Fatalf("token without gen after rotation = %v, want ErrSuperseded", err)
	}
}
