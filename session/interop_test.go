package session_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit/session"
	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// TestInteropGoJoseVerifiesOurTokens: tokens minted here verify in go-jose
// (an independent JOSE implementation) against our JWKS output, with the
// claims go-jose reads matching ours, for every algorithm and token kind.
func TestInteropGoJoseVerifiesOurTokens(t *testing.T) {
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			f := newFixture(t, alg, true)
			tokens, err := f.m.Mint(ctx, testUser(3), session.MintOptions{Audience: testOrigin})
			if err != nil {
				t.Fatal(err)
			}
			el, _, err := f.m.MintElevated(ctx, tokens.Claims, session.ElevatedOptions{Scopes: tokensScopes(), AMR: []string{"otp"}})
			if err != nil {
				t.Fatal(err)
			}
			jwksJSON, err := f.m.JWKS()
			if err != nil {
				t.Fatal(err)
			}
			var set jose.JSONWebKeySet
			if err := json.Unmarshal(jwksJSON, &set); err != nil {
				t.Fatalf("go-jose cannot read our JWKS: %v", err)
			}
			for _, tc := range []struct {
				token, typ string
			}{
				{tokens.JWT, session.TypFull},
				{tokens.MinifiedJWT, session.TypMinified},
				{el, session.TypElevated},
			} {
				tok, err := josejwt.ParseSigned(tc.token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
				if err != nil {
					t.Fatalf("go-jose parse: %v", err)
				}
				h := tok.Headers[0]
				if h.ExtraHeaders["typ"] != tc.typ {
					t.Fatalf("typ = %v, want %s", h.ExtraHeaders["typ"], tc.typ)
				}
				keys := set.Key(h.KeyID)
				if len(keys) != 1 || keys[0].Algorithm != string(alg) || keys[0].Use != "sig" {
					t.Fatalf("JWKS lookup of %s: %+v", h.KeyID, keys)
				}
				var std josejwt.Claims
				var ours map[string]any
				if err := tok.Claims(keys[0].Key, &std, &ours); err != nil {
					t.Fatalf("go-jose signature check: %v", err)
				}
				if err := std.ValidateWithLeeway(josejwt.Expected{
					Issuer:      testIssuer,
					AnyAudience: josejwt.Audience{testOrigin},
					Subject:     testUser(0).ID,
					Time:        f.clk.Now(),
				}, 0); err != nil {
					t.Fatalf("go-jose claim validation: %v", err)
				}
				if ours["sid"] != tokens.SessionID || ours["environment_id"] != testEnv || std.ID == "" {
					t.Fatalf("claims %v", ours)
				}
				if _, ok := ours["aud"].(string); !ok {
					t.Fatalf("aud is not a single string: %T", ours["aud"])
				}
			}
		})
	}
}

// TestInteropGoJoseSignedTokens: tokens that go-jose signs with our
// published key material are accepted or refused by our verifier exactly
// as their claims and headers say.
func TestInteropGoJoseSignedTokens(t *testing.T) {
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			f := newFixture(t, alg, true)
			minted, err := f.m.Mint(ctx, testUser(1), session.MintOptions{})
			if err != nil {
				t.Fatal(err)
			}
			privJWK, err := f.key.MarshalJWK()
			if err != nil {
				t.Fatal(err)
			}
			var jk jose.JSONWebKey
			if err := jk.UnmarshalJSON(privJWK); err != nil {
				t.Fatal(err)
			}
			now := f.clk.Now()
			sign := func(typ string, kid string, claims map[string]any) string {
				opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", kid)
				s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jk.Key}, opts)
				if err != nil {
					t.Fatal(err)
				}
				out, err := josejwt.Signed(s).Claims(claims).Serialize()
				if err != nil {
					t.Fatal(err)
				}
				if alg == session.ES256 {
					// go-jose, like crypto/ecdsa, may emit high-S; Verify
					// takes only the low-S form (ErrHighS).
					out = withS(t, out, false)
				}
				return out
			}
			claims := func(kv ...any) map[string]any {
				c := f.validClaims(minted.SessionID)
				for i := 0; i+1 < len(kv); i += 2 {
					c[kv[i].(string)] = kv[i+1]
				}
				return c
			}
			kid := f.key.KID()
			otherKID := "A" + kid[1:]
			if kid[0] == 'A' {
				otherKID = "B" + kid[1:]
			}
			cases := []struct {
				name  string
				token string
				kind  session.Kind
				want  error
			}{
				{"valid minified", sign("at+jwt", kid, claims()), session.KindSession, nil},
				{"valid application/at+jwt", sign("application/at+jwt", kid, claims()), session.KindMinified, nil},
				{"valid full", sign(session.TypFull, kid, claims()), session.KindSession, nil},
				{"valid aud array", sign("at+jwt", kid, claims("aud", []string{"x", testOrigin})), session.KindSession, nil},
				{"valid elevated", sign(session.TypElevated, kid, claims("scope", "wallet:export")), session.KindElevated, nil},
				{"expired", sign("at+jwt", kid, claims("exp", now.Add(-time.Hour).Unix())), session.KindSession, session.ErrExpired},
				{"not yet valid", sign("at+jwt", kid, claims("nbf", now.Add(time.Hour).Unix())), session.KindSession, session.ErrNotYetValid},
				{"wrong aud", sign("at+jwt", kid, claims("aud", "https://evil.example")), session.KindSession, session.ErrAudience},
				{"wrong iss", sign("at+jwt", kid, claims("iss", "evil")), session.KindSession, session.ErrIssuer},
				{"typ JWT", sign("JWT", kid, claims()), session.KindSession, session.ErrWrongKind},
				{"elevated typ as session", sign(session.TypElevated, kid, claims()), session.KindSession, session.ErrWrongKind},
				{"unknown kid", sign("at+jwt", otherKID, claims()), session.KindSession, session.ErrUnknownKey},
				{"revoked sid", sign("at+jwt", kid, claims("sid", "unknown-sid")), session.KindSession, session.ErrRevoked},
			}
			for _, tc := range cases {
				c, err := f.m.Verify(ctx, tc.token, tc.kind)
				if tc.want == nil {
					if err != nil {
						t.Errorf("%s: %v", tc.name, err)
					} else if c.SessionID != minted.SessionID {
						t.Errorf("%s: sid %q", tc.name, c.SessionID)
					}
					continue
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
				}
			}
		})
	}
}
