// Package devicebindtest holds the conformance suite RunStoreTests, which
// every devicebind.Store implementation must pass.
package devicebindtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit/devicebind"
	"github.com/authkit/authkit/internal/race"
)

// Parallelism is the number of goroutines the concurrency cases start.
const Parallelism = 32

// base is the suite's clock: explicit times only.
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// RunStoreTests runs the conformance suite against stores made by newStore.
// newStore is called once per subtest and may return a shared, non-empty
// store: every subtest uses fresh random digests. Expiry is tested with
// explicit times, so no clock is needed.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) devicebind.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s devicebind.Store)
	}{
		{"SaveConsume", testSaveConsume},
		{"Duplicate", testDuplicate},
		{"Expiry", testExpiry},
		{"ParallelConsume", testParallelConsume},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

var ctx = context.Background()

// fresh returns a random 32-byte digest.
func fresh(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256(b)
	return d[:]
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

func testSaveConsume(t *testing.T, s devicebind.Store) {
	a, b := fresh(t), fresh(t)
	for _, d := range [][]byte{a, b} {
		if err := s.CreateNonce(ctx, d, base.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, "ConsumeNonce never saved", s.ConsumeNonce(ctx, fresh(t), base), devicebind.ErrNotFound)
	if err := s.ConsumeNonce(ctx, a, base); err != nil {
		t.Fatalf("ConsumeNonce: %v", err)
	}
	wantErr(t, "ConsumeNonce again", s.ConsumeNonce(ctx, a, base), devicebind.ErrNotFound)
	// Consuming one nonce leaves the others.
	if err := s.ConsumeNonce(ctx, b, base.Add(time.Minute)); err != nil {
		t.Fatalf("ConsumeNonce of the other: %v", err)
	}
}

func testDuplicate(t *testing.T, s devicebind.Store) {
	d := fresh(t)
	if err := s.CreateNonce(ctx, d, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "CreateNonce twice", s.CreateNonce(ctx, d, base.Add(2*time.Hour)), devicebind.ErrDuplicate)
	// The refused save changed nothing: still usable once.
	if err := s.ConsumeNonce(ctx, d, base); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "ConsumeNonce after", s.ConsumeNonce(ctx, d, base), devicebind.ErrNotFound)
}

func testExpiry(t *testing.T, s devicebind.Store) {
	d := fresh(t)
	exp := base.Add(time.Hour)
	if err := s.CreateNonce(ctx, d, exp); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "ConsumeNonce at expiry", s.ConsumeNonce(ctx, d, exp), devicebind.ErrNotFound)
	wantErr(t, "ConsumeNonce after expiry", s.ConsumeNonce(ctx, d, exp.Add(time.Second)), devicebind.ErrNotFound)
	// Just before expiry it works, once.
	d2 := fresh(t)
	if err := s.CreateNonce(ctx, d2, exp); err != nil {
		t.Fatal(err)
	}
	if err := s.ConsumeNonce(ctx, d2, exp.Add(-time.Millisecond)); err != nil {
		t.Fatalf("ConsumeNonce just before expiry: %v", err)
	}
}

func testParallelConsume(t *testing.T, s devicebind.Store) {
	d := fresh(t)
	if err := s.CreateNonce(ctx, d, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	wins := 0
	for _, err := range race.Run(Parallelism, func(int) error { return s.ConsumeNonce(ctx, d, base) }) {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, devicebind.ErrNotFound):
		default:
			t.Fatalf("ConsumeNonce: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d parallel ConsumeNonce of one nonce: %d succeeded, want exactly 1", Parallelism, wins)
	}
}
