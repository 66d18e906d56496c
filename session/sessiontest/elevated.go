package sessiontest

import (
	"errors"
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/session"
)

// testElevatedSingleUseConcurrent: a Manager over the store verifies one
// single-use elevated token from Parallelism goroutines at once; exactly
// one verification succeeds and every other gets ErrAlreadyUsed, and a
// second token of the same session is unaffected.
func testElevatedSingleUseConcurrent(t *testing.T, s session.Store) {
	ctx := t.Context()
	key, err := session.GenerateKey(session.ES256)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := session.NewKeySet(key)
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.New(session.Config{Keys: keys, Issuer: "sessiontest.example", Store: s})
	if err != nil {
		t.Fatal(err)
	}
	toks, err := m.Mint(ctx, authkit.User{ID: id(t)}, session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mint := func() string {
		el, _, err := m.MintElevated(ctx, toks.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeCredentialUnlink}, SingleUse: true})
		if err != nil {
			t.Fatal(err)
		}
		return el
	}
	first, second := mint(), mint()
	errs := race.Run(Parallelism, func(int) error {
		_, err := m.VerifyElevated(ctx, first, authkit.ScopeCredentialUnlink, toks.Claims)
		return err
	})
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, session.ErrAlreadyUsed):
			t.Fatalf("VerifyElevated: unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent uses of a single-use elevated token succeeded, want exactly 1", wins, Parallelism)
	}
	if _, err := m.VerifyElevated(ctx, second, authkit.ScopeCredentialUnlink, toks.Claims); err != nil {
		t.Fatalf("another token of the session: %v", err)
	}
}
