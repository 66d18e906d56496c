package session_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/session"
)

// ecdsaValid reports whether tok's ES256 signature verifies under pub with
// crypto/ecdsa alone (no low-S rule).
func ecdsaValid(t *testing.T, pub *ecdsa.PublicKey, tok string) bool {
	t.Helper()
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("bad signature segment: %v", err)
	}
	h := sha256.Sum256([]byte(tok[:i]))
	return ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
}

func sOf(t *testing.T, tok string) *big.Int {
	t.Helper()
	sig, err := base64.RawURLEncoding.DecodeString(tok[strings.LastIndexByte(tok, '.')+1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("bad signature segment: %v", err)
	}
	return new(big.Int).SetBytes(sig[32:])
}

// TestES256MintsLowS: every ES256 signature Mint makes has s ≤ n/2. Without
// the normalisation half of them would not: 100 signatures all landing low
// by chance has probability 2⁻¹⁰⁰.
func TestES256MintsLowS(t *testing.T) {
	f := newFixture(t, session.ES256, false)
	half := new(big.Int).Rsh(elliptic.P256().Params().N, 1)
	pub := f.key.Public().(*ecdsa.PublicKey)
	for range 50 {
		tok, err := f.m.Mint(t.Context(), testUser(1), session.MintOptions{SessionID: benchSID})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{tok.JWT, tok.MinifiedJWT} {
			if sOf(t, s).Cmp(half) > 0 {
				t.Fatal("Mint made a high-S signature")
			}
			if !ecdsaValid(t, pub, s) {
				t.Fatal("normalised signature does not verify")
			}
		}
	}
}

// TestES256HighSTwinRefused is the malleability attack: replacing s with
// n−s gives a second signature crypto/ecdsa accepts for the same token.
// Verify refuses that twin with ErrBadSignature wrapping ErrHighS, and
// still accepts the original.
func TestES256HighSTwinRefused(t *testing.T) {
	f := newFixture(t, session.ES256, true)
	pub := f.key.Public().(*ecdsa.PublicKey)
	tok, err := f.m.Mint(t.Context(), testUser(2), session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		tok  string
		kind session.Kind
	}{{"minified", tok.MinifiedJWT, session.KindSession}, {"full", tok.JWT, session.KindFull}} {
		t.Run(tc.name, func(t *testing.T) {
			twin := withS(t, tc.tok, true)
			if twin == tc.tok || !ecdsaValid(t, pub, twin) {
				t.Fatal("the high-S twin should be a different string that crypto/ecdsa accepts")
			}
			_, err := f.m.Verify(t.Context(), twin, tc.kind)
			if !errors.Is(err, session.ErrBadSignature) || !errors.Is(err, session.ErrHighS) {
				t.Fatalf("Verify(high-S twin) = %v; want ErrBadSignature wrapping ErrHighS", err)
			}
			if _, err := f.m.Verify(t.Context(), tc.tok, tc.kind); err != nil {
				t.Fatalf("Verify(original) = %v", err)
			}
		})
	}
	// The same rule for a token signed elsewhere with our key: its low form
	// verifies, its high form does not.
	forged := forge(t, testPriv(t, session.ES256, 0), session.ES256, map[string]any{"typ": session.TypMinified, "kid": f.key.KID()}, f.validClaims(tok.SessionID))
	if _, err := f.m.Verify(t.Context(), forged, session.KindSession); err != nil {
		t.Fatalf("low-S forged control: %v", err)
	}
	if _, err := f.m.Verify(t.Context(), withS(t, forged, true), session.KindSession); !errors.Is(err, session.ErrHighS) {
		t.Fatalf("high-S forged = %v; want ErrHighS", err)
	}
}

// TestVerifyTimeClaimsMustBeNumbers: exp, nbf, iat (and auth_time) that are
// not JSON numbers make the token malformed, even when the string holds a
// valid time; genuine numbers in any JSON spelling pass.
func TestVerifyTimeClaimsMustBeNumbers(t *testing.T) {
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) {
			f := newFixture(t, alg, false)
			priv := testPriv(t, alg, 0)
			now := f.clk.Now()
			exp, iat := now.Add(time.Hour).Unix(), now.Unix()
			hdr := map[string]any{"typ": session.TypMinified, "kid": f.key.KID()}
			str := func(v int64) string { return json.Number(big.NewInt(v).String()).String() }
			tests := []struct {
				name string
				kv   []any
				ok   bool
			}{
				{"numbers (control)", nil, true},
				{"exp float", []any{"exp", float64(exp) + 0.5}, true},
				{"exp exponent", []any{"exp", json.Number("1.7779068e9")}, true},
				{"nbf number", []any{"nbf", iat}, true},
				{"exp string", []any{"exp", str(exp)}, false},
				{"exp string far future", []any{"exp", "99999999999"}, false},
				{"iat string", []any{"iat", str(iat)}, false},
				{"nbf string", []any{"nbf", str(iat)}, false},
				{"auth_time string", []any{"auth_time", str(iat)}, false},
				{"exp null", []any{"exp", json.RawMessage("null")}, false},
				{"iat null", []any{"iat", json.RawMessage("null")}, false},
				{"nbf null", []any{"nbf", json.RawMessage("null")}, false},
				{"exp true", []any{"exp", true}, false},
				{"exp array", []any{"exp", []int64{exp}}, false},
				{"exp object", []any{"exp", map[string]int64{"n": exp}}, false},
				{"EXP upper-case string", []any{"EXP", str(exp)}, false},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					c := f.validClaims(benchSID)
					c["exp"], c["iat"] = exp, iat
					for i := 0; i < len(tc.kv); i += 2 {
						c[tc.kv[i].(string)] = tc.kv[i+1]
					}
					_, err := f.m.Verify(t.Context(), forge(t, priv, alg, hdr, c), session.KindSession)
					if tc.ok && err != nil {
						t.Fatalf("Verify = %v; want accepted", err)
					}
					if !tc.ok && !errors.Is(err, session.ErrMalformed) {
						t.Fatalf("Verify = %v; want ErrMalformed", err)
					}
				})
			}
		})
	}
}
