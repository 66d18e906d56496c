package session_test

import (
	"crypto"
	"crypto/ecdsa"
	"encoding/asn1"
	"errors"
	"io"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/authkit/authkit/session"
)

// kmsSigner stands in for a KMS or HSM client: a crypto.Signer that is not
// a standard-library key type and exposes only Public and Sign. raw makes
// its ECDSA signatures 64-byte R‖S, as some KMS APIs return them.
type kmsSigner struct {
	inner crypto.Signer
	raw   bool
	calls atomic.Int64
}

func (k *kmsSigner) Public() crypto.PublicKey { return k.inner.Public() }

func (k *kmsSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	k.calls.Add(1)
	sig, err := k.inner.Sign(r, digest, opts)
	if err != nil || !k.raw {
		return sig, err
	}
	if _, ok := k.inner.(*ecdsa.PrivateKey); !ok {
		return sig, nil
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		return nil, err
	}
	out := make([]byte, 64)
	rs.R.FillBytes(out[:32])
	rs.S.FillBytes(out[32:])
	return out, nil
}

// failingSigner is a KMS that is down.
type failingSigner struct{ pub crypto.PublicKey }

var errKMSDown = errors.New("kms unavailable")

func (f failingSigner) Public() crypto.PublicKey { return f.pub }
func (f failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errKMSDown
}

// TestNewKeyAnySigner: tokens signed through a non-standard crypto.Signer
// verify with our verifier and with go-jose, for every algorithm; the
// signer is really used, its kid is the public key's, and its private key
// cannot be exported.
func TestNewKeyAnySigner(t *testing.T) {
	cases := []struct {
		alg session.Algorithm
		raw bool
	}{{session.ES256, false}, {session.ES256, true}, {session.EdDSA, false}, {session.RS256, false}}
	for _, tc := range cases {
		name := string(tc.alg)
		if tc.raw {
			name += "-raw"
		}
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			kms := &kmsSigner{inner: testPriv(t, tc.alg, 3), raw: tc.raw}
			key, err := session.NewKey(kms)
			if err != nil {
				t.Fatalf("NewKey(KMS signer): %v", err)
			}
			std := testKey(t, tc.alg, 3)
			if key.Algorithm() != tc.alg || key.KID() != std.KID() || !key.CanSign() {
				t.Fatalf("KMS key: alg %s kid %s, want %s %s", key.Algorithm(), key.KID(), tc.alg, std.KID())
			}
			f := newFixture(t, tc.alg, true)
			if err := f.m.Rotate(key); err != nil {
				t.Fatal(err)
			}
			tokens, err := f.m.Mint(ctx, testUser(1), session.MintOptions{})
			if err != nil {
				t.Fatalf("Mint with the KMS key: %v", err)
			}
			if n := kms.calls.Load(); n != 2 {
				t.Fatalf("signer called %d times for two tokens", n)
			}
			for _, tok := range []string{tokens.JWT, tokens.MinifiedJWT} {
				c, err := f.m.Verify(ctx, tok, session.KindSession)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if c.KeyID != key.KID() {
					t.Fatalf("signed by %s, want %s", c.KeyID, key.KID())
				}
				jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(tc.alg)})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := jws.Verify(kms.Public()); err != nil {
					t.Fatalf("go-jose rejects the KMS signature: %v", err)
				}
			}
			if _, err := key.MarshalPEM(); !errors.Is(err, session.ErrKeyNotExportable) {
				t.Fatalf("MarshalPEM of a KMS key = %v, want ErrKeyNotExportable", err)
			}
			if _, err := key.MarshalJWK(); !errors.Is(err, session.ErrKeyNotExportable) {
				t.Fatalf("MarshalJWK of a KMS key = %v, want ErrKeyNotExportable", err)
			}
			if pem, err := key.PublicPEM(); err != nil || !strings.Contains(string(pem), "PUBLIC KEY") {
				t.Fatalf("PublicPEM: %v", err)
			}
		})
	}
}

// TestSignerErrors: a signer that fails makes Mint fail with its error; a
// signer whose public key is unsupported is refused by NewKey.
func TestSignerErrors(t *testing.T) {
	ctx := t.Context()
	down, err := session.NewKey(failingSigner{pub: testPriv(t, session.ES256, 4).Public()})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, session.ES256, true)
	if err := f.m.Rotate(down); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Mint(ctx, testUser(1), session.MintOptions{}); !errors.Is(err, errKMSDown) {
		t.Fatalf("Mint with a failing signer = %v, want its error", err)
	}
	if _, err := session.NewKey(failingSigner{pub: "not a key"}); !errors.Is(err, session.ErrKeyInvalid) {
		t.Fatalf("NewKey(unsupported public key) = %v, want ErrKeyInvalid", err)
	}
	if _, err := session.NewKey((*ecdsa.PrivateKey)(nil)); !errors.Is(err, session.ErrKeyInvalid) {
		t.Fatalf("NewKey(typed nil) = %v, want ErrKeyInvalid", err)
	}
}
