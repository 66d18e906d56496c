package session

import (
	"crypto/elliptic"
	"math/big"
)

// p256HalfOrder is ⌊n/2⌋ for the order n of P-256 (FIPS 186-5, SEC 2
// §2.4.2), as 32 big-endian bytes. Equal-length big-endian byte strings
// compare as the numbers they encode, so checking s is one string
// comparison with no allocation.
const p256HalfOrder = "\x7f\xff\xff\xff\x80\x00\x00\x00\x7f\xff\xff\xff\xff\xff\xff\xff" +
	"\xde\x73\x7d\x56\xd3\x8b\xcf\x42\x79\xdc\xe5\x61\x7e\x31\x92\xa8"

// highS reports whether a 64-byte ES256 signature r ‖ s (RFC 7518 §3.4) has
// s > n/2. Signatures of another length are left to the verifier, which
// refuses them.
func highS(sig []byte) bool {
	return len(sig) == 64 && string(sig[32:]) > p256HalfOrder
}

// lowS rewrites an ES256 signature r ‖ s in place to r ‖ (n − s) when s is
// above n/2, the canonical form of the same signature (as in BIP 62).
// crypto/ecdsa does not do this itself.
func lowS(sig []byte) {
	if !highS(sig) {
		return
	}
	n := elliptic.P256().Params().N
	s := new(big.Int).SetBytes(sig[32:])
	s.Sub(n, s).FillBytes(sig[32:])
}
