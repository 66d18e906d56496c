package oauth

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// The memory store forgets records an hour past their expiry, so it stays
// bounded under a steady stream of abandoned sign-ins.
func TestMemoryStoreSweep(t *testing.T) {
	m := NewMemoryStateStore()
	base := time.Unix(1_800_000_000, 0)
	old := State{State: "abandoned-state-0001", Provider: "github", CreatedAt: base, ExpiresAt: base.Add(10 * time.Minute)}
	if err := m.Save(t.Context(), old, base); err != nil {
		t.Fatal(err)
	}
	later := old.ExpiresAt.Add(StateRetention)
	for i := range sweepEvery {
		rec := State{State: fmt.Sprintf("fresh-state-%06d", i), Provider: "github", CreatedAt: later, ExpiresAt: later.Add(10 * time.Minute)}
		if err := m.Save(t.Context(), rec, later); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Get(t.Context(), old.State, later); !errors.Is(err, ErrStateNotFound) {
		t.Fatalf("abandoned record kept: %v", err)
	}
	m.mu.Lock()
	n := len(m.records)
	m.mu.Unlock()
	if n != sweepEvery {
		t.Fatalf("%d records, want %d", n, sweepEvery)
	}
}
