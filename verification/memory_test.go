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
	// Each Create drops a couple of due records: traffic alone drains the
	// backlog without ever scanning the whole store.
	if n := s.Len(); n != 99 {
		t.Fatalf("Len = %d after one Create past the purge time, want 99", n)
	}
	// The periodic Sweep drops the rest.
	if n, err := s.Sweep(ctx, later); err != nil || n != 98 {
		t.Fatalf("Sweep = %d, %v; want 98 dropped", n, err)
	}
	if n := s.Len(); n != 1 {
		t.Fatalf("Len = %d after the purge time passed, want 1", n)
	}
	if _, err := s.Get(ctx, "old-1"); !errors.Is(err, verification.ErrNotFound) {
		t.Fatalf("purged record: %v", err)
	}
}

// Under traffic alone (no Sweep), the records that fell due are gone
// after as many new Creates as half their number.
func TestMemoryStoreBoundedByTraffic(t *testing.T) {
	ctx := context.Background()
	s := verification.NewMemoryStore()
	base := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	h := bytes.Repeat([]byte{9}, 32)
	for i := range 100 {
		if err := s.Create(ctx, verification.Record{ID: fmt.Sprint("old-", i), CodeHash: h, CreatedAt: base, ExpiresAt: base.Add(time.Minute), PurgeAt: base.Add(2 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	later := base.Add(time.Hour)
	for i := range 50 {
		if err := s.Create(ctx, verification.Record{ID: fmt.Sprint("new-", i), CodeHash: h, CreatedAt: later, ExpiresAt: later.Add(time.Minute), PurgeAt: later.Add(2 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Len(); n != 50 {
		t.Fatalf("Len = %d, want the 50 live records", n)
	}
}

// Sweep: a record whose lifetime ReplaceCode extended stays until its new
// PurgeAt; the sweep works in slices and honours ctx; with a fake clock's
// times nothing is dropped early.
func TestMemoryStoreSweep(t *testing.T) {
	ctx := context.Background()
	s := verification.NewMemoryStore()
	base := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	h := bytes.Repeat([]byte{9}, 32)
	const n = 1000 // several sweep slices
	for i := range n {
		if err := s.Create(ctx, verification.Record{ID: fmt.Sprint("r-", i), CodeHash: h, CreatedAt: base, ExpiresAt: base.Add(time.Minute), PurgeAt: base.Add(10 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	// r-0 is resent at +5 min: purge moves to +15 min.
	if _, err := s.ReplaceCode(ctx, "r-0", h, base.Add(5*time.Minute), base.Add(6*time.Minute), base.Add(15*time.Minute), 5); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at         time.Duration
		dropped    int
		left       int
		r0Survives bool
	}{
		{9 * time.Minute, 0, n, true},
		{10 * time.Minute, n - 1, 1, true},
		{14 * time.Minute, 0, 1, true},
		{15 * time.Minute, 1, 0, false},
	}
	for _, tc := range tests {
		got, err := s.Sweep(ctx, base.Add(tc.at))
		if err != nil || got != tc.dropped || s.Len() != tc.left {
			t.Fatalf("at +%v: Sweep = %d, %v; Len %d; want %d dropped, %d left", tc.at, got, err, s.Len(), tc.dropped, tc.left)
		}
		if _, err := s.Get(ctx, "r-0"); (err == nil) != tc.r0Survives {
			t.Fatalf("at +%v: r-0: %v", tc.at, err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Sweep(cancelled, base.Add(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sweep with a cancelled context: %v", err)
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
