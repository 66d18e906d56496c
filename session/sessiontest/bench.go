package sessiontest

import (
	"context"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

// RunBenchmarks measures the session paths that touch the store, with
// ES256 keys, so that every backend is compared on the same work:
//
//   - Mint: a sign-in (Create, then two signatures);
//   - Refresh: a refresh with rotation (one Rotate, then two signatures),
//     each iteration refreshing the token the previous one returned;
//   - Verify: the minified token with the store check (one Get: revocation,
//     owner, maximum age and generation);
//   - VerifyStateless: the same token without a store, for the ratio;
//   - StoreGet and StoreRotate: the store operations alone (Verify's read
//     and Refresh's atomic step), the part each backend adds.
func RunBenchmarks(b *testing.B, s session.Store) {
	key, err := session.GenerateKey(session.ES256)
	if err != nil {
		b.Fatal(err)
	}
	keys, _ := session.NewKeySet(key)
	newManager := func(st session.Store) *session.Manager {
		m, err := session.New(session.Config{Keys: keys, Issuer: "https://auth.example.com", Store: st, Stateless: st == nil})
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	m, stateless := newManager(s), newManager(nil)
	ctx := context.Background()
	user := authkit.User{ID: "7f3e1c2a-5b6d-4e8f-9a0b-1c2d3e4f5a6b", Email: "ada@example.com"}
	users := func(context.Context, string) (authkit.User, error) { return user, nil }

	b.Run("Mint", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Mint(ctx, user, session.MintOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Refresh", func(b *testing.B) {
		tok, err := m.Mint(ctx, user, session.MintOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if tok, err = m.Refresh(ctx, tok.MinifiedJWT, users); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Verify", func(b *testing.B) {
		tok, err := m.Mint(ctx, user, session.MintOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Verify(ctx, tok.MinifiedJWT, session.KindSession); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("StoreGet", func(b *testing.B) {
		tok, err := m.Mint(ctx, user, session.MintOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Get(ctx, tok.SessionID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("StoreRotate", func(b *testing.B) {
		tok, err := m.Mint(ctx, user, session.MintOptions{})
		if err != nil {
			b.Fatal(err)
		}
		var gen uint64
		grace := m.Config().RefreshGrace
		b.ReportAllocs()
		for b.Loop() {
			now := time.Now()
			if _, err := s.Rotate(ctx, tok.SessionID, gen, now, now.Add(grace)); err != nil {
				b.Fatal(err)
			}
			gen++
		}
	})
	b.Run("VerifyStateless", func(b *testing.B) {
		tok, err := stateless.Mint(ctx, user, session.MintOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := stateless.Verify(ctx, tok.MinifiedJWT, session.KindSession); err != nil {
				b.Fatal(err)
			}
		}
	})
}
