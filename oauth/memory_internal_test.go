package oauth

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func (m *MemoryStore) size() (records, queued int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.records), len(m.queue)
}

// The memory store forgets an abandoned record StateRetention past its
// expiry, and a completed one (callback recorded or consumed) at its
// expiry, so it stays bounded under a steady stream of sign-ins.
func TestMemoryStoreForgets(t *testing.T) {
	m := NewMemoryStore()
	base := time.Unix(1_800_000_000, 0)
	rec := func(name string, at time.Time) State {
		return State{State: name, Provider: "github", CreatedAt: at, ExpiresAt: at.Add(10 * time.Minute)}
	}
	abandoned, called, consumed := rec("abandoned-state-0001", base), rec("called-back-state-01", base), rec("consumed-state-00001", base)
	for _, r := range []State{abandoned, called, consumed} {
		if err := m.Create(t.Context(), r, base); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.RecordCallback(t.Context(), called.State, Callback{Code: "c"}, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Consume(t.Context(), consumed.State, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	tick := func(at time.Time, n int) {
		for i := range n {
			if err := m.Create(t.Context(), rec(fmt.Sprintf("fresh-%d-%014d", at.Unix(), i), at), at); err != nil {
				t.Fatal(err)
			}
		}
	}
	// At expiry the completed records go; the abandoned one stays, expired.
	tick(abandoned.ExpiresAt, 2)
	for _, r := range []State{called, consumed} {
		if _, err := m.Get(t.Context(), r.State, abandoned.ExpiresAt); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s kept after expiry: %v", r.State, err)
		}
	}
	if _, err := m.Get(t.Context(), abandoned.State, abandoned.ExpiresAt); !errors.Is(err, ErrStateExpired) {
		t.Fatalf("abandoned record: %v, want ErrStateExpired", err)
	}
	later := abandoned.ExpiresAt.Add(StateRetention)
	tick(later, 1)
	if _, err := m.Get(t.Context(), abandoned.State, later); !errors.Is(err, ErrNotFound) {
		t.Fatalf("abandoned record kept past its retention: %v", err)
	}
}

// No write sweeps more than sweepBatch records, however many are due (no
// full scan under the lock on a request), and yet a backlog drains: each
// write removes more than it adds.
func TestMemoryStoreSweepIsIncremental(t *testing.T) {
	m := NewMemoryStore()
	base := time.Unix(1_800_000_000, 0)
	const n = 10_000
	for i := range n {
		r := State{State: fmt.Sprintf("old-state-%010d", i), Provider: "github", CreatedAt: base, ExpiresAt: base.Add(time.Minute)}
		if err := m.Create(t.Context(), r, base); err != nil {
			t.Fatal(err)
		}
	}
	later := base.Add(time.Minute + StateRetention)
	save := func(i int) {
		r := State{State: fmt.Sprintf("new-state-%010d", i), Provider: "github", CreatedAt: later, ExpiresAt: later.Add(time.Minute)}
		if err := m.Create(t.Context(), r, later); err != nil {
			t.Fatal(err)
		}
	}
	save(0)
	if got, _ := m.size(); got != n+1-sweepBatch {
		t.Fatalf("one write left %d records, want %d: it swept more than %d", got, n+1-sweepBatch, sweepBatch)
	}
	for i := 1; i < n/(sweepBatch-1)+1; i++ {
		save(i)
	}
	records, queued := m.size()
	if want := n/(sweepBatch-1) + 1; records != want || queued != want {
		t.Fatalf("%d records, %d queued after the backlog drained; want %d live ones", records, queued, want)
	}
}
