package session

import (
	"crypto/elliptic"
	"math/big"
	"testing"
)

// The hard-coded ⌊n/2⌋ must be the P-256 group order's.
func TestP256HalfOrder(t *testing.T) {
	want := new(big.Int).Rsh(elliptic.P256().Params().N, 1).FillBytes(make([]byte, 32))
	if string(want) != p256HalfOrder {
		t.Fatalf("p256HalfOrder = %x, want %x", p256HalfOrder, want)
	}
}

// lowS maps s to n−s exactly when s > n/2, at the boundary too.
func TestLowS(t *testing.T) {
	n := elliptic.P256().Params().N
	half := new(big.Int).Rsh(n, 1)
	one := big.NewInt(1)
	for _, tc := range []struct {
		s, want *big.Int
	}{
		{one, one},
		{half, half},
		{new(big.Int).Add(half, one), half}, // n − (⌊n/2⌋+1) = ⌊n/2⌋ since n is odd
		{new(big.Int).Sub(n, one), one},
	} {
		sig := make([]byte, 64)
		sig[0] = 0x42
		tc.s.FillBytes(sig[32:])
		lowS(sig)
		if got := new(big.Int).SetBytes(sig[32:]); got.Cmp(tc.want) != 0 || sig[0] != 0x42 {
			t.Errorf("lowS(s=%x) = %x, want %x (r untouched)", tc.s, got, tc.want)
		}
		if highS(sig) {
			t.Errorf("highS after lowS(s=%x)", tc.s)
		}
	}
	if highS(make([]byte, 63)) {
		t.Error("highS of a short signature")
	}
}
