package oauth

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// MemoryStore is an in-process Store, safe for concurrent use.
// It suits a single server instance; several instances need a shared store
// (store/postgres, store/redis) so that a callback landing on one instance
// is seen by the completion landing on another.
//
// Records are forgotten incrementally: each write drops at most a few of
// the records whose time has come, found through a queue ordered by that
// time, so no request ever scans the whole map under the lock, and the
// store shrinks as fast as it grows.
type MemoryStore struct {
	mu      sync.Mutex
	records map[string]State
	queue   forgetQueue
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{records: make(map[string]State)}
}

// sweepBatch is how many due records a write may drop: more than the one
// record a write can add, so the backlog never grows.
const sweepBatch = 4

// Create implements Store.
func (m *MemoryStore) Create(ctx context.Context, rec State, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked(now)
	if old, ok := m.records[rec.State]; ok && now.Before(old.ExpiresAt) {
		return ErrDuplicate
	}
	m.putLocked(rec)
	return nil
}

// putLocked stores rec and queues the time it may be forgotten.
func (m *MemoryStore) putLocked(rec State) {
	m.records[rec.State] = rec
	heap.Push(&m.queue, forgetEntry{at: forgetAt(rec), state: rec.State})
}

// forgetAt is when a record may go: a sign-in whose callback arrived or
// that was completed has nothing left to report after it expires; an
// abandoned one is kept StateRetention longer so that a late callback
// learns it expired.
func forgetAt(r State) time.Time {
	if !r.CallbackAt.IsZero() || !r.ConsumedAt.IsZero() {
		return r.ExpiresAt
	}
	return r.ExpiresAt.Add(StateRetention)
}

// sweepLocked drops up to sweepBatch records whose time has come. Queue
// entries left behind by a record that was replaced or re-queued are
// recognised by the record's current forgetAt and skipped.
func (m *MemoryStore) sweepLocked(now time.Time) {
	for range sweepBatch {
		if len(m.queue) == 0 || now.Before(m.queue[0].at) {
			return
		}
		e := heap.Pop(&m.queue).(forgetEntry)
		if r, ok := m.records[e.state]; ok && !now.Before(forgetAt(r)) {
			delete(m.records, e.state)
		}
	}
}

// forgetEntry queues one record's forget time.
type forgetEntry struct {
	at    time.Time
	state string
}

// forgetQueue is a min-heap of forget times (container/heap).
type forgetQueue []forgetEntry

func (q forgetQueue) Len() int           { return len(q) }
func (q forgetQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q forgetQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *forgetQueue) Push(x any)        { *q = append(*q, x.(forgetEntry)) }
func (q *forgetQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = forgetEntry{}
	*q = old[:len(old)-1]
	return e
}

// lookupLocked returns the record for state if it exists and is live at now.
func (m *MemoryStore) lookupLocked(state string, now time.Time) (State, error) {
	r, ok := m.records[state]
	if !ok {
		return State{}, ErrNotFound
	}
	if !now.Before(r.ExpiresAt) {
		return State{}, ErrStateExpired
	}
	return r, nil
}

// Get implements Store.
func (m *MemoryStore) Get(ctx context.Context, state string, now time.Time) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lookupLocked(state, now)
}

// RecordCallback implements Store.
func (m *MemoryStore) RecordCallback(ctx context.Context, state string, cb Callback, now time.Time) (State, error) {
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
	m.putLocked(r) // now forgotten at expiry
	m.sweepLocked(now)
	return r, nil
}

// Consume implements Store.
func (m *MemoryStore) Consume(ctx context.Context, state string, now time.Time) (State, error) {
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
	m.putLocked(r) // now forgotten at expiry
	m.sweepLocked(now)
	return r, nil
}
