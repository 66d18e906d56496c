package session_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/asn1"
	"io"
	"math/big"
	"testing"

	"github.com/authkit/authkit/session"
)

// rawR30Signer is a KMS client that returns raw 64-byte R‖S signatures
// (as some KMS APIs do) and, to pin the case, only ones whose R starts
// with the byte 0x30 (an ASN.1 SEQUENCE tag, 1 signature in 256) and whose
// S is in the high half.
type rawR30Signer struct{ inner *ecdsa.PrivateKey }

func (k rawR30Signer) Public() crypto.PublicKey { return k.inner.Public() }

func (k rawR30Signer) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	n := elliptic.P256().Params().N
	for {
		der, err := k.inner.Sign(r, digest, opts)
		if err != nil {
			return nil, err
		}
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(der, &rs); err != nil {
			return nil, err
		}
		out := make([]byte, 64)
		rs.R.FillBytes(out[:32])
		if out[0] != 0x30 {
			continue
		}
		if rs.S.Cmp(new(big.Int).Rsh(n, 1)) <= 0 {
			rs.S.Sub(n, rs.S)
		}
		rs.S.FillBytes(out[32:])
		return out, nil
	}
}

// TestNewKeyRawSignerSequenceTag: a KMS signer's raw R‖S whose first byte
// happens to be 0x30 is still a raw signature, not a malformed DER one:
// Mint succeeds, puts it in low-S form, and the tokens verify.
func TestNewKeyRawSignerSequenceTag(t *testing.T) {
	priv := testPriv(t, session.ES256, 5).(*ecdsa.PrivateKey)
	key, err := session.NewKey(rawR30Signer{inner: priv})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, session.ES256, true)
	if err := f.m.Rotate(key); err != nil {
		t.Fatal(err)
	}
	half := new(big.Int).Rsh(elliptic.P256().Params().N, 1)
	for range 3 {
		tokens, err := f.m.Mint(t.Context(), testUser(1), session.MintOptions{})
		if err != nil {
			t.Fatalf("Mint with a raw signer whose R starts with 0x30: %v", err)
		}
		for _, tok := range []string{tokens.JWT, tokens.MinifiedJWT} {
			if sOf(t, tok).Cmp(half) > 0 {
				t.Fatal("raw KMS signature left in high-S form")
			}
			if !ecdsaValid(t, &priv.PublicKey, tok) {
				t.Fatal("raw KMS signature does not verify under crypto/ecdsa")
			}
			if _, err := f.m.Verify(t.Context(), tok, session.KindSession); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		}
	}
}
