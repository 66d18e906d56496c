package oauth

import (
	"context"
	"sync"
	"time"
)

// MemoryStateStore is an in-process StateStore, safe for concurrent use.
// It suits a single server instance; several instances need a shared store
// (store/postgres, store/redis) so that a callback landing on one instance
// is seen by the completion landing on another.
type MemoryStateStore struct {
	mu      sync.Mutex
	records map[string]State
	saves   int
}

// NewMemoryStateStore returns an empty MemoryStateStore.
func NewMemoryStateStore() *MemoryStateStore {
	return &MemoryStateStore{records: make(map[string]State)}
}

// sweepEvery is how many saves pass between sweeps of long-expired records.
const sweepEvery = 256

// Save implements StateStore.
func (m *MemoryStateStore) Save(ctx context.Context, rec State, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.records[rec.State]; ok && now.Before(old.ExpiresAt) {
		return ErrStateExists
	}
	m.records[rec.State] = rec
	m.saves++
	if m.saves%sweepEvery == 0 {
		m.sweepLocked(now)
	}
	return nil
}

// sweepLocked drops records past their retention so memory stays bounded.
func (m *MemoryStateStore) sweepLocked(now time.Time) {
	for k, r := range m.records {
		if !now.Before(r.ExpiresAt.Add(StateRetention)) {
			delete(m.records, k)
		}
	}
}

// lookupLocked returns the record for state if it exists and is live at now.
func (m *MemoryStateStore) lookupLocked(state string, now time.Time) (State, error) {
	r, ok := m.records[state]
	if !ok {
		return State{}, ErrStateNotFound
	}
	if !now.Before(r.ExpiresAt) {
		return State{}, ErrStateExpired
	}
	return r, nil
}

// Get implements StateStore.
func (m *MemoryStateStore) Get(ctx context.Context, state string, now time.Time) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lookupLocked(state, now)
}

// RecordCallback implements StateStore.
func (m *MemoryStateStore) RecordCallback(ctx context.Context, state string, cb Callback, now time.Time) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.lookupLocked(state, now)
	if err != nil {
		return State{}, err
	}
	if !r.ConsumedAt.IsZero() {
		return State{}, ErrStateUsed
	}
	if !r.CallbackAt.IsZero() {
		return State{}, ErrCallbackRecorded
	}
	r.CallbackAt = now
	r.Code = cb.Code
	r.Error = cb.Error
	r.ErrorDescription = cb.ErrorDescription
	r.CallbackUser = cb.User
	m.records[state] = r
	return r, nil
}

// Consume implements StateStore.
func (m *MemoryStateStore) Consume(ctx context.Context, state string, now time.Time) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.lookupLocked(state, now)
	if err != nil {
		return State{}, err
	}
	if !r.ConsumedAt.IsZero() {
		return State{}, ErrStateUsed
	}
	r.ConsumedAt = now
	m.records[state] = r
	return r, nil
}
