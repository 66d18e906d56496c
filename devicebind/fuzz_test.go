package devicebind_test

import (
	"errors"
	"testing"

	"github.com/authkit/authkit/devicebind"
)

// FuzzVerify: no proof from the wire makes Verify panic, and any refusal
// is an ErrInvalidProof (never a store error, never success without an
// issued nonce).
func FuzzVerify(f *testing.F) {
	s, _ := newService(f)
	f.Add("nonce", "02"+"11", "00")
	f.Fuzz(func(t *testing.T, nonce, pub, sig string) {
		d, err := s.Verify(t.Context(), devicebind.Proof{Nonce: nonce, PublicKey: pub, Signature: sig})
		if err == nil || d.Known() || !errors.Is(err, devicebind.ErrInvalidProof) {
			t.Fatalf("Verify(%q, %q, %q) = %+v, %v", nonce, pub, sig, d, err)
		}
	})
}
