package session

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// signDigest signs a JWS signing input with the key's crypto.Signer. Any
// Signer works, an in-memory key or a KMS/HSM client: ES256 hashes with
// SHA-256 and converts the Signer's ASN.1 DER signature to the fixed
// 64-byte R‖S of RFC 7518 §3.4; RS256 is RSASSA-PKCS1-v1_5 over SHA-256
// (RFC 7518 §3.3, what a Signer does for crypto.SHA256 options); EdDSA
// signs the message itself (RFC 8037 §3.1).
func signDigest(k *Key, input []byte) ([]byte, error) {
	switch k.alg {
	case ES256:
		sum := sha256.Sum256(input)
		der, err := k.signer.Sign(rand.Reader, sum[:], crypto.SHA256)
		if err != nil {
			return nil, err
		}
		return ecdsaRaw(der)
	case RS256:
		sum := sha256.Sum256(input)
		return k.signer.Sign(rand.Reader, sum[:], crypto.SHA256)
	case EdDSA:
		sig, err := k.signer.Sign(rand.Reader, input, crypto.Hash(0))
		if err == nil && len(sig) != ed25519.SignatureSize {
			err = fmt.Errorf("signer returned %d bytes", len(sig))
		}
		return sig, err
	}
	return nil, fmt.Errorf("%w: %q", errKeyAlgorithm, k.alg)
}

// ecdsaRaw converts an ASN.1 ECDSA-Sig-Value (RFC 3279 §2.2.3) to R‖S,
// each left-padded to 32 bytes. A Signer that already returns 64 raw
// bytes (some KMS clients do) is passed through: 64 bytes that are not
// one DER signature are raw, whatever their first byte (R starts with
// 0x30, the SEQUENCE tag, once in 256 signatures).
func ecdsaRaw(der []byte) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 || sig.R == nil || sig.S == nil ||
		sig.R.Sign() <= 0 || sig.S.Sign() <= 0 || sig.R.BitLen() > 256 || sig.S.BitLen() > 256 {
		if len(der) == 64 {
			return der, nil
		}
		return nil, errors.New("signer returned a malformed ECDSA signature")
	}
	out := make([]byte, 64)
	sig.R.FillBytes(out[:32])
	sig.S.FillBytes(out[32:])
	return out, nil
}
