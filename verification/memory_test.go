package verification_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

func TestMemoryStore(t *testing.T) {
	verificationtest.RunStoreTests(t, func(t *testing.T) verification.Store {
		return verification.NewMemoryStore()
	})
}

func TestMemoryStoreBounded(t *testing.T) {
	ctx := context.Background()
	s := verification.NewMemoryStore()
	base := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	h := bytes.Repeat([]byte{9}, 32)
	for i := 0; i < 100; i++ {
		r := verification.Record{ID: fmt.Sprint("old-", i), CodeHash: h, CreatedAt: base, ExpiresAt: base.Add(time.Minute), PurgeAt: base.Add(2 * time.Minute)}
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	later := base.Add(time.Hour)
	if err := s.Create(ctx, verification.Record{ID: "new", CodeHash: h, CreatedAt: later, ExpiresAt: later.Add(time.Minute), PurgeAt: later.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if n := s.Len(); n != 1 {
		t.Fatalf("Len = %d after the purge time passed, want 1", n)
	}
	if _, err := s.Get(ctx, "old-1"); !errors.Is(err, verification.ErrNotFound) {
		t.Fatalf("purged record: %v", err)
	}
}

func TestMemoryStoreHashLength(t *testing.T) {
	ctx := context.Background()
	s := verification.NewMemoryStore()
	now := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	if err := s.Create(ctx, verification.Record{ID: "x", CodeHash: make([]byte, 31), ExpiresAt: now.Add(time.Minute)}); err == nil {
		t.Fatal("Create accepted a 31-byte hash")
	}
	if err := s.Create(ctx, verification.Record{ID: "x", CodeHash: make([]byte, 32), ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplaceCode(ctx, "x", make([]byte, 33), now, now, now, 5); err == nil {
		t.Fatal("ReplaceCode accepted a 33-byte hash")
	}
}
