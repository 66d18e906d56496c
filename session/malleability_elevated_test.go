package session_test

import (
	"crypto/elliptic"
	"errors"
	"math/big"
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

// TestES256ElevatedHighSTwinRefused: the malleability rule holds for
// elevated tokens too. A single-use token is minted low-S; its high-S twin
// is refused with ErrHighS before the jti is consumed, so the twin neither
// works nor burns the original, which then works once.
func TestES256ElevatedHighSTwinRefused(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	s := mintSession(t, f)
	half := new(big.Int).Rsh(elliptic.P256().Params().N, 1)
	for range 20 {
		el, _, err := f.m.MintElevated(ctx, s.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeWalletExport}, SingleUse: true})
		if err != nil {
			t.Fatal(err)
		}
		if sOf(t, el).Cmp(half) > 0 {
			t.Fatal("MintElevated made a high-S signature")
		}
		twin := withS(t, el, true)
		if _, err := f.m.VerifyElevated(ctx, twin, authkit.ScopeWalletExport, s.Claims); !errors.Is(err, session.ErrBadSignature) || !errors.Is(err, session.ErrHighS) {
			t.Fatalf("VerifyElevated(high-S twin) = %v; want ErrBadSignature wrapping ErrHighS", err)
		}
		if _, err := f.m.VerifyElevated(ctx, el, authkit.ScopeWalletExport, s.Claims); err != nil {
			t.Fatalf("VerifyElevated(original) after the twin = %v", err)
		}
		if _, err := f.m.VerifyElevated(ctx, el, authkit.ScopeWalletExport, s.Claims); !errors.Is(err, session.ErrAlreadyUsed) {
			t.Fatalf("second use = %v; want ErrAlreadyUsed", err)
		}
	}
}
