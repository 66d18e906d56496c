package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/sessiontest"
)

func TestMemoryStore(t *testing.T) {
	sessiontest.RunStoreTests(t, func(t *testing.T) session.Store { return session.NewMemoryStore() })
}

func TestMemoryStorePrunes(t *testing.T) {
	ctx := context.Background()
	s := session.NewMemoryStore()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	old := session.Record{ID: "old", UserID: "u", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.Create(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := s.ConsumeJTI(ctx, "j", t0.Add(5*time.Minute), t0); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(2 * time.Hour)
	if err := s.Create(ctx, session.Record{ID: "new", UserID: "u", CreatedAt: later, ExpiresAt: later.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "old"); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("expired session still stored: %v", err)
	}
	// The jti entry expired too, so it may be consumed again (its token is dead anyway).
	if err := s.ConsumeJTI(ctx, "j", later.Add(5*time.Minute), later); err != nil {
		t.Fatalf("expired jti entry not forgotten: %v", err)
	}
	if _, err := s.Get(ctx, "new"); err != nil {
		t.Fatalf("live session pruned: %v", err)
	}
}
