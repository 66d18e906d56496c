package session

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"

	"github.com/golang-jwt/jwt/v5"
)

// Algorithm is a JWS signature algorithm. Each Key is bound to exactly one
// (RFC 8725 §3.1): the verifier uses the key's algorithm, never the token's
// say-so.
type Algorithm string

// The supported algorithms. HMAC and "none" are deliberately absent: a
// verifier that knows only public keys can never be tricked into using one
// as an HMAC secret.
const (
	// ES256 is ECDSA on P-256 with SHA-256, the default.
	ES256 Algorithm = "ES256"
	// EdDSA is Ed25519 (RFC 8037).
	EdDSA Algorithm = "EdDSA"
	// RS256 is RSASSA-PKCS1-v1_5 with SHA-256, with a modulus of at least
	// 2048 bits. Dynamic signs with RS256.
	RS256 Algorithm = "RS256"
)

// RSA modulus bounds: RFC 7518 §3.3 requires ≥ 2048 bits; the upper bound
// keeps a hostile key from making every verification slow.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// Key errors, each matching ErrConfig.
var (
	// errKeyAlgorithm: an algorithm other than ES256, EdDSA or RS256, or
	// an alg that does not fit the key.
	errKeyAlgorithm = fmt.Errorf("%w: unsupported algorithm", errKeyInvalid)
	// errNoSigningKey: the key set's active key has no private key.
	errNoSigningKey = fmt.Errorf("%w: active key cannot sign", errKeyInvalid)
	// errKeyNotExportable: MarshalPEM or MarshalJWK of a key whose signer
	// is not an in-memory standard-library key (a KMS or HSM signer):
	// there is no private key to export.
	errKeyNotExportable = fmt.Errorf("%w: private key not exportable", errKeyInvalid)
)

// Key is a signing or verification key bound to one Algorithm. Its kid is
// the RFC 7638 JWK thumbprint of the public key, so the same key always has
// the same kid and a kid cannot be chosen to collide with another key.
// A Key is immutable and safe for concurrent use.
type Key struct {
	alg    Algorithm
	kid    string
	signer crypto.Signer    // nil for a verification-only key
	public crypto.PublicKey // *ecdsa.PublicKey, ed25519.PublicKey or *rsa.PublicKey
	method jwt.SigningMethod
	// headers are the encoded protected headers of the three token
	// kinds (encodeHeaders).
	headers [3]string
}

// GenerateKey makes a new private key for alg from crypto/rand: P-256 for
// ES256, Ed25519 for EdDSA, 2048-bit RSA for RS256.
func GenerateKey(alg Algorithm) (*Key, error) {
	var s crypto.Signer
	var err error
	switch alg {
	case ES256:
		s, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, s, err = ed25519.GenerateKey(rand.Reader)
	case RS256:
		s, err = rsa.GenerateKey(rand.Reader, minRSABits)
	default:
		return nil, fmt.Errorf("%w: %q", errKeyAlgorithm, alg)
	}
	if err != nil {
		return nil, fmt.Errorf("session: generate key: %w", err)
	}
	return NewKey(s)
}

// NewKey wraps a signer: an in-memory private key (*ecdsa.PrivateKey on
// P-256, ed25519.PrivateKey, *rsa.PrivateKey of 2048–8192 bits) or any
// other crypto.Signer, such as a KMS or HSM client, whose Public() is one
// of those public key types. The algorithm follows from the public key.
// The private key never needs to leave the signer: signing calls
// Sign(rand, SHA-256 digest, crypto.SHA256) for ES256 (ASN.1 or raw R‖S
// result) and RS256 (PKCS #1 v1.5), and Sign(rand, message,
// crypto.Hash(0)) for EdDSA.
func NewKey(private crypto.Signer) (*Key, error) {
	switch p := private.(type) {
	case nil:
		return nil, fmt.Errorf("%w: nil key", errKeyInvalid)
	case *ecdsa.PrivateKey:
		if p == nil {
			return nil, fmt.Errorf("%w: nil key", errKeyInvalid)
		}
	case *rsa.PrivateKey:
		if p == nil {
			return nil, fmt.Errorf("%w: nil key", errKeyInvalid)
		}
	case ed25519.PrivateKey:
		if len(p) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("%w: Ed25519 private key of %d bytes", errKeyInvalid, len(p))
		}
	}
	k, err := newPublicKey(private.Public())
	if err != nil {
		return nil, err
	}
	k.signer = private
	return k, nil
}

// newPublicKey wraps a public key (*ecdsa.PublicKey on P-256,
// ed25519.PublicKey, or *rsa.PublicKey of 2048–8192 bits) as a
// verification-only Key.
func newPublicKey(public crypto.PublicKey) (*Key, error) {
	k := &Key{public: public}
	switch p := public.(type) {
	case *ecdsa.PublicKey:
		if p == nil || p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: ECDSA key not on P-256", errKeyInvalid)
		}
		k.alg, k.method = ES256, jwt.SigningMethodES256
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: Ed25519 public key of %d bytes", errKeyInvalid, len(p))
		}
		k.alg, k.method = EdDSA, jwt.SigningMethodEdDSA
	case *rsa.PublicKey:
		if p == nil || p.N == nil || p.N.BitLen() < minRSABits || p.N.BitLen() > maxRSABits {
			return nil, fmt.Errorf("%w: RSA modulus must have %d to %d bits", errKeyInvalid, minRSABits, maxRSABits)
		}
		if p.E < 3 || p.E%2 == 0 {
			return nil, fmt.Errorf("%w: RSA exponent", errKeyInvalid)
		}
		k.alg, k.method = RS256, jwt.SigningMethodRS256
	default:
		return nil, fmt.Errorf("%w: public key type %T", errKeyInvalid, public)
	}
	j, err := k.publicJWK()
	if err != nil {
		return nil, err
	}
	k.kid = j.thumbprint()
	k.encodeHeaders()
	return k, nil
}

// Algorithm returns the one algorithm the key signs and verifies with.
func (k *Key) Algorithm() Algorithm { return k.alg }

// KID returns the key id: the RFC 7638 SHA-256 thumbprint, base64url.
func (k *Key) KID() string { return k.kid }

// Public returns the public key.
func (k *Key) Public() crypto.PublicKey { return k.public }

// CanSign reports whether the key holds a private key.
func (k *Key) CanSign() bool { return k.signer != nil }

// PublicOnly returns the verification-only form of k.
func (k *Key) PublicOnly() *Key {
	c := *k
	c.signer = nil
	return &c
}

// MarshalPEM encodes the private key as a PKCS #8 "PRIVATE KEY" block, or a
// verification-only key as a PKIX "PUBLIC KEY" block. The PEM holds secret
// material when the key can sign: store it like a password.
func (k *Key) MarshalPEM() ([]byte, error) {
	if k.signer == nil {
		return k.PublicPEM()
	}
	if !exportable(k.signer) {
		return nil, errKeyNotExportable
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.signer)
	if err != nil {
		return nil, fmt.Errorf("session: marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// PublicPEM encodes the public key as a PKIX "PUBLIC KEY" block.
func (k *Key) PublicPEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k.public)
	if err != nil {
		return nil, fmt.Errorf("session: marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParseKey reads a key saved by Key.MarshalPEM, Key.MarshalJWK or another
// tool: a JWK (RFC 7517) when data is a JSON object, otherwise the first
// PEM block (RFC 7468): "PRIVATE KEY" (PKCS #8), "EC PRIVATE KEY" (SEC 1),
// "RSA PRIVATE KEY" (PKCS #1) or "PUBLIC KEY" (PKIX). The algorithm
// follows from the key type. A JWK's "alg", if present, must be the
// algorithm the key type implies and its "use", if present, "sig"; its
// "kid" is ignored and the thumbprint used instead, so a kid is always
// derived from the key material.
func ParseKey(data []byte) (*Key, error) {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return parseJWK(data)
	}
	return parsePEM(data)
}

// parsePEM reads the first PEM block of data.
func parsePEM(data []byte) (*Key, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%w: no PEM block", errKeyInvalid)
	}
	var (
		key any
		err error
	)
	switch b.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(b.Bytes)
	default:
		return nil, fmt.Errorf("%w: PEM block type %q", errKeyInvalid, b.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errKeyInvalid, err)
	}
	if s, ok := key.(crypto.Signer); ok && b.Type != "PUBLIC KEY" {
		return NewKey(s)
	}
	return newPublicKey(key)
}

// jsonWebKey is a JSON Web Key (RFC 7517) for the key types used here: EC
// P-256, OKP Ed25519 and RSA. Private members are set only by
// (*Key).MarshalJWK on a signing key.
type jsonWebKey struct {
	Kty string `json:"kty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	Kid string `json:"kid,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	// Private members.
	D  string `json:"d,omitempty"`
	P  string `json:"p,omitempty"`
	Q  string `json:"q,omitempty"`
	DP string `json:"dp,omitempty"`
	DQ string `json:"dq,omitempty"`
	QI string `json:"qi,omitempty"`
}

var b64 = base64.RawURLEncoding

// publishedJWK returns the public JWK with kty, kid, alg and use "sig" set.
func (k *Key) publishedJWK() jsonWebKey {
	j, _ := k.publicJWK() // cannot fail: checked when k was made
	j.Use, j.Alg, j.Kid = "sig", string(k.alg), k.kid
	return j
}

func (k *Key) publicJWK() (jsonWebKey, error) {
	switch p := k.public.(type) {
	case *ecdsa.PublicKey:
		raw, err := p.Bytes() // 0x04 ‖ X ‖ Y
		if err != nil || len(raw) != 65 {
			return jsonWebKey{}, fmt.Errorf("%w: %v", errKeyInvalid, err)
		}
		return jsonWebKey{Kty: "EC", Crv: "P-256", X: b64.EncodeToString(raw[1:33]), Y: b64.EncodeToString(raw[33:])}, nil
	case ed25519.PublicKey:
		return jsonWebKey{Kty: "OKP", Crv: "Ed25519", X: b64.EncodeToString(p)}, nil
	case *rsa.PublicKey:
		return jsonWebKey{Kty: "RSA", N: b64.EncodeToString(p.N.Bytes()), E: b64.EncodeToString(big.NewInt(int64(p.E)).Bytes())}, nil
	}
	return jsonWebKey{}, fmt.Errorf("%w: public key type %T", errKeyInvalid, k.public)
}

// thumbprint is RFC 7638: SHA-256 over the required members in
// lexicographic order, no whitespace. The members are base64url or fixed
// names, so they need no JSON escaping.
func (j jsonWebKey) thumbprint() string {
	var s string
	switch j.Kty {
	case "EC":
		s = `{"crv":"` + j.Crv + `","kty":"EC","x":"` + j.X + `","y":"` + j.Y + `"}`
	case "OKP":
		s = `{"crv":"` + j.Crv + `","kty":"OKP","x":"` + j.X + `"}`
	case "RSA":
		s = `{"e":"` + j.E + `","kty":"RSA","n":"` + j.N + `"}`
	}
	sum := sha256.Sum256([]byte(s))
	return b64.EncodeToString(sum[:])
}

// MarshalJWK encodes the key as a JWK with kid, alg and use "sig". A
// signing key's JWK includes the private members: store it like a password.
// PublicOnly().MarshalJWK() is the JWK to publish.
func (k *Key) MarshalJWK() ([]byte, error) {
	j := k.publishedJWK()
	if k.signer != nil && !exportable(k.signer) {
		return nil, errKeyNotExportable
	}
	switch s := k.signer.(type) {
	case *ecdsa.PrivateKey:
		d, err := s.Bytes()
		if err != nil {
			return nil, fmt.Errorf("session: marshal key: %w", err)
		}
		j.D = b64.EncodeToString(d)
	case ed25519.PrivateKey:
		j.D = b64.EncodeToString(s.Seed())
	case *rsa.PrivateKey:
		if len(s.Primes) != 2 {
			return nil, fmt.Errorf("%w: multi-prime RSA", errKeyInvalid)
		}
		s.Precompute()
		j.D = b64.EncodeToString(s.D.Bytes())
		j.P = b64.EncodeToString(s.Primes[0].Bytes())
		j.Q = b64.EncodeToString(s.Primes[1].Bytes())
		j.DP = b64.EncodeToString(s.Precomputed.Dp.Bytes())
		j.DQ = b64.EncodeToString(s.Precomputed.Dq.Bytes())
		j.QI = b64.EncodeToString(s.Precomputed.Qinv.Bytes())
	}
	return json.Marshal(j)
}

// parseJWK reads a JWK (public or private).
func parseJWK(data []byte) (*Key, error) {
	var j jsonWebKey
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("%w: %v", errKeyInvalid, err)
	}
	return j.Key()
}

// Key converts the JWK into a Key (see ParseKey).
func (j jsonWebKey) Key() (*Key, error) {
	if j.Use != "" && j.Use != "sig" {
		return nil, fmt.Errorf("%w: use %q", errKeyInvalid, j.Use)
	}
	dec := func(s string) ([]byte, error) {
		b, err := b64.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errKeyInvalid, err)
		}
		return b, nil
	}
	var (
		k   *Key
		err error
	)
	switch {
	case j.Kty == "EC" && j.Crv == "P-256":
		x, err1 := dec(j.X)
		y, err2 := dec(j.Y)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		if len(x) != 32 || len(y) != 32 {
			return nil, fmt.Errorf("%w: P-256 coordinates must be 32 bytes", errKeyInvalid)
		}
		pub, perr := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if perr != nil {
			return nil, fmt.Errorf("%w: %v", errKeyInvalid, perr)
		}
		if j.D == "" {
			k, err = newPublicKey(pub)
			break
		}
		d, derr := dec(j.D)
		if derr != nil {
			return nil, derr
		}
		priv, perr := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
		if perr != nil {
			return nil, fmt.Errorf("%w: %v", errKeyInvalid, perr)
		}
		if !priv.PublicKey.Equal(pub) {
			return nil, fmt.Errorf("%w: d does not match x, y", errKeyInvalid)
		}
		k, err = NewKey(priv)
	case j.Kty == "OKP" && j.Crv == "Ed25519":
		x, xerr := dec(j.X)
		if xerr != nil {
			return nil, xerr
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: Ed25519 x must be 32 bytes", errKeyInvalid)
		}
		if j.D == "" {
			k, err = newPublicKey(ed25519.PublicKey(x))
			break
		}
		d, derr := dec(j.D)
		if derr != nil {
			return nil, derr
		}
		if len(d) != ed25519.SeedSize {
			return nil, fmt.Errorf("%w: Ed25519 d must be 32 bytes", errKeyInvalid)
		}
		priv := ed25519.NewKeyFromSeed(d)
		if !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(x)) {
			return nil, fmt.Errorf("%w: d does not match x", errKeyInvalid)
		}
		k, err = NewKey(priv)
	case j.Kty == "RSA":
		n, err1 := dec(j.N)
		e, err2 := dec(j.E)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		if len(e) == 0 || len(e) > 4 {
			return nil, fmt.Errorf("%w: RSA exponent", errKeyInvalid)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if j.D == "" {
			k, err = newPublicKey(pub)
			break
		}
		var parts [3][]byte
		for i, s := range []string{j.D, j.P, j.Q} {
			if parts[i], err = dec(s); err != nil {
				return nil, err
			}
		}
		priv := &rsa.PrivateKey{
			PublicKey: *pub,
			D:         new(big.Int).SetBytes(parts[0]),
			Primes:    []*big.Int{new(big.Int).SetBytes(parts[1]), new(big.Int).SetBytes(parts[2])},
		}
		if verr := priv.Validate(); verr != nil {
			return nil, fmt.Errorf("%w: %v", errKeyInvalid, verr)
		}
		priv.Precompute()
		k, err = NewKey(priv)
	default:
		return nil, fmt.Errorf("%w: kty %q crv %q", errKeyInvalid, j.Kty, j.Crv)
	}
	if err != nil {
		return nil, err
	}
	if j.Alg != "" && Algorithm(j.Alg) != k.alg {
		return nil, fmt.Errorf("%w: alg %q for a %s key", errKeyAlgorithm, j.Alg, k.alg)
	}
	return k, nil
}

// exportable reports whether s is an in-memory standard-library private key.
func exportable(s crypto.Signer) bool {
	switch s.(type) {
	case *ecdsa.PrivateKey, ed25519.PrivateKey, *rsa.PrivateKey:
		return true
	}
	return false
}
