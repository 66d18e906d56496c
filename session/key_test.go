package session_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/authkit/authkit/session"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// RFC 8037 Appendix A (standards.md §2.6), verbatim.
const (
	rfc8037PrivateJWK = `{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`
	rfc8037SeedHex    = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
	rfc8037Thumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
	rfc8037JWS        = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)

// TestRFC7638Thumbprint: the kid of the RFC 8037 key is its RFC 7638
// thumbprint (RFC 8037 A.3).
func TestRFC7638Thumbprint(t *testing.T) {
	k, err := session.ParseKey([]byte(rfc8037PrivateJWK))
	if err != nil {
		t.Fatal(err)
	}
	if k.KID() != rfc8037Thumbprint {
		t.Fatalf("kid = %s, want %s", k.KID(), rfc8037Thumbprint)
	}
	if k.Algorithm() != session.EdDSA || !k.CanSign() {
		t.Fatalf("alg %s, can sign %v", k.Algorithm(), k.CanSign())
	}
	pub := session.JWK{Kty: "OKP", Crv: "Ed25519", X: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
	tp, err := pub.Thumbprint()
	if err != nil || tp != rfc8037Thumbprint {
		t.Fatalf("JWK.Thumbprint = %s, %v", tp, err)
	}
}

// TestRFC8037Ed25519: the key from the seed, and the exact signature of
// RFC 8037 A.4 (Ed25519 is deterministic).
func TestRFC8037Ed25519(t *testing.T) {
	seed, _ := hex.DecodeString(rfc8037SeedHex)
	k, err := session.NewKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	if k.KID() != rfc8037Thumbprint {
		t.Fatalf("kid from seed = %s", k.KID())
	}
	jwkBytes, err := k.MarshalJWK()
	if err != nil {
		t.Fatal(err)
	}
	var j session.JWK
	if err := json.Unmarshal(jwkBytes, &j); err != nil {
		t.Fatal(err)
	}
	if j.D != "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A" || j.X != "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" {
		t.Fatalf("JWK = %s", jwkBytes)
	}
	i := strings.LastIndexByte(rfc8037JWS, '.')
	sig, err := jwt.SigningMethodEdDSA.Sign(rfc8037JWS[:i], ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(sig); got != rfc8037JWS[i+1:] {
		t.Fatalf("signature = %s, want %s", got, rfc8037JWS[i+1:])
	}
	want, _ := base64.RawURLEncoding.DecodeString(rfc8037JWS[i+1:])
	if err := jwt.SigningMethodEdDSA.Verify(rfc8037JWS[:i], want, k.Public()); err != nil {
		t.Fatalf("vector does not verify with the parsed key: %v", err)
	}
}

// TestRFC7515HS256Rejected: the RFC 7515 A.1 token is a valid HS256 JWS
// (checked with golang-jwt directly), yet our verifier refuses it for its
// algorithm.
func TestRFC7515HS256Rejected(t *testing.T) {
	const (
		k   = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
		jws = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	)
	key, _ := base64.RawURLEncoding.DecodeString(k)
	i := strings.LastIndexByte(jws, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(jws[i+1:])
	if err := jwt.SigningMethodHS256.Verify(jws[:i], sig, key); err != nil {
		t.Fatalf("vector broken: %v", err)
	}
	f := newFixture(t, session.ES256, false)
	if _, err := f.m.Verify(t.Context(), jws, session.KindSession); !errors.Is(err, session.ErrAlgorithm) {
		t.Fatalf("Verify(RFC 7515 A.1) = %v, want ErrAlgorithm", err)
	}
}

// TestThumbprintMatchesGoJose cross-checks our kid against go-jose's RFC
// 7638 implementation for every algorithm.
func TestThumbprintMatchesGoJose(t *testing.T) {
	for _, alg := range algs {
		k := testKey(t, alg, 0)
		jk := jose.JSONWebKey{Key: k.Public()}
		tp, err := jk.Thumbprint(crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if got := base64.RawURLEncoding.EncodeToString(tp); got != k.KID() {
			t.Errorf("%s: kid %s, go-jose thumbprint %s", alg, k.KID(), got)
		}
	}
}

func TestKeyPEMRoundTrip(t *testing.T) {
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) {
			k := testKey(t, alg, 0)
			priv, err := k.MarshalPEM()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(priv, []byte("BEGIN PRIVATE KEY")) {
				t.Fatalf("private PEM: %s", priv)
			}
			k2, err := session.ParseKey(priv)
			if err != nil {
				t.Fatal(err)
			}
			if k2.KID() != k.KID() || k2.Algorithm() != alg || !k2.CanSign() {
				t.Fatalf("round trip: kid %s alg %s sign %v", k2.KID(), k2.Algorithm(), k2.CanSign())
			}
			pub, err := k.PublicPEM()
			if err != nil {
				t.Fatal(err)
			}
			k3, err := session.ParseKey(pub)
			if err != nil {
				t.Fatal(err)
			}
			if k3.KID() != k.KID() || k3.CanSign() {
				t.Fatalf("public round trip: kid %s sign %v", k3.KID(), k3.CanSign())
			}
			if p, _ := k3.MarshalPEM(); !bytes.Equal(p, pub) {
				t.Fatal("MarshalPEM of a public key is not its PublicPEM")
			}
		})
	}
	// Legacy encodings.
	ec := testPriv(t, session.ES256, 0).(*ecdsa.PrivateKey)
	der, _ := x509.MarshalECPrivateKey(ec)
	if k, err := session.ParseKey(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})); err != nil || k.Algorithm() != session.ES256 {
		t.Fatalf("SEC 1: %v", err)
	}
	rk := testPriv(t, session.RS256, 0).(*rsa.PrivateKey)
	if k, err := session.ParseKey(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)})); err != nil || k.Algorithm() != session.RS256 {
		t.Fatalf("PKCS #1: %v", err)
	}
}

func TestKeyJWKRoundTrip(t *testing.T) {
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) {
			k := testKey(t, alg, 0)
			b, err := k.MarshalJWK()
			if err != nil {
				t.Fatal(err)
			}
			k2, err := session.ParseKey(b)
			if err != nil {
				t.Fatal(err)
			}
			if k2.KID() != k.KID() || !k2.CanSign() || k2.Algorithm() != alg {
				t.Fatal("private JWK round trip lost something")
			}
			// The private key survives: k2 signs what k verifies.
			ks, _ := session.NewKeySet(k2)
			m, err := session.New(session.Config{Keys: ks, Issuer: testIssuer, Stateless: true})
			if err != nil {
				t.Fatal(err)
			}
			out, err := m.Mint(t.Context(), testUser(1), session.MintOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ks1, _ := session.NewKeySet(testKey(t, alg, 1), k.PublicOnly())
			m1, _ := session.New(session.Config{Keys: ks1, Issuer: testIssuer, Stateless: true})
			if _, err := m1.Verify(t.Context(), out.MinifiedJWT, session.KindSession); err != nil {
				t.Fatalf("token signed by the reloaded key: %v", err)
			}
			pub := k.PublicJWK()
			if pub.D != "" || pub.P != "" || pub.Use != "sig" || pub.Alg != string(alg) || pub.Kid != k.KID() {
				t.Fatalf("PublicJWK = %+v", pub)
			}
			pb, _ := json.Marshal(pub)
			k3, err := session.ParseKey(pb)
			if err != nil || k3.CanSign() || k3.KID() != k.KID() {
				t.Fatalf("public JWK: %v", err)
			}
			// go-jose reads our private JWK to the same key.
			var jk jose.JSONWebKey
			if err := jk.UnmarshalJSON(b); err != nil {
				t.Fatalf("go-jose cannot read our JWK: %v", err)
			}
			if !jk.Valid() || jk.IsPublic() {
				t.Fatal("go-jose: invalid or public")
			}
		})
	}
}

func TestKeyRejects(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if _, err := session.NewKey(small); !errors.Is(err, session.ErrKeyInvalid) {
		t.Errorf("RSA-1024 accepted: %v", err)
	}
	if _, err := session.NewKey(p384); !errors.Is(err, session.ErrKeyInvalid) {
		t.Errorf("P-384 accepted: %v", err)
	}
	if _, err := session.GenerateKey("HS256"); !errors.Is(err, session.ErrKeyAlgorithm) {
		t.Errorf("GenerateKey(HS256) = %v", err)
	}
	if _, err := session.GenerateKey("none"); !errors.Is(err, session.ErrKeyAlgorithm) {
		t.Errorf("GenerateKey(none) = %v", err)
	}
	ed := testKey(t, session.EdDSA, 0)
	good, _ := ed.MarshalJWK()
	var j map[string]any
	_ = json.Unmarshal(good, &j)
	other := testKey(t, session.EdDSA, 1).PublicJWK()
	cases := map[string]func(map[string]any){
		"alg mismatch":   func(m map[string]any) { m["alg"] = "ES256" },
		"alg HS256":      func(m map[string]any) { m["alg"] = "HS256" },
		"use enc":        func(m map[string]any) { m["use"] = "enc" },
		"d of other key": func(m map[string]any) { m["x"] = other.X },
		"short x":        func(m map[string]any) { m["x"] = "AAAA" },
		"bad base64":     func(m map[string]any) { m["x"] = "***" },
		"kty oct":        func(m map[string]any) { m["kty"] = "oct"; m["k"] = "AAAA" },
		"crv X25519":     func(m map[string]any) { m["crv"] = "X25519" },
	}
	for name, mod := range cases {
		c := map[string]any{}
		for k, v := range j {
			c[k] = v
		}
		mod(c)
		b, _ := json.Marshal(c)
		if _, err := session.ParseKey(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := session.ParseKey([]byte("not pem")); !errors.Is(err, session.ErrKeyInvalid) {
		t.Errorf("ParsePEM(garbage) = %v", err)
	}
	if _, err := session.ParseKey(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})); !errors.Is(err, session.ErrKeyInvalid) {
		t.Errorf("ParsePEM(cert) = %v", err)
	}
	smallJWK, _ := json.Marshal(session.JWK{Kty: "RSA", N: base64.RawURLEncoding.EncodeToString(small.N.Bytes()), E: "AQAB"})
	if _, err := session.ParseKey(smallJWK); !errors.Is(err, session.ErrKeyInvalid) {
		t.Errorf("RSA-1024 JWK accepted: %v", err)
	}
	if _, err := session.NewKeySet(ed.PublicOnly()); !errors.Is(err, session.ErrNoSigningKey) {
		t.Errorf("NewKeySet(public key) = %v", err)
	}
}
