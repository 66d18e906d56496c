package verification

import (
	"context"
	"crypto/subtle"
	"sync"
	"time"
)

// sweepEvery is how often (in the callers' time) the memory store drops
// records past PurgeAt and send histories past their window.
const sweepEvery = time.Minute

// MemoryStore is an in-memory Store for a single process: tests,
// development, and deployments with one instance. It is safe for concurrent
// use; every method holds a mutex across its read-modify-write. Records past
// PurgeAt and idle send histories are dropped as time (the now passed in)
// advances, so memory stays bounded by the live verifications.
type MemoryStore struct {
	mu        sync.Mutex
	records   map[string]*Record
	recSweep  time.Time
	smu       sync.Mutex
	sends     map[string]*sendHistory
	sendSweep time.Time
}

type sendHistory struct {
	times   []time.Time // oldest first, only sends within the window
	purgeAt time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{records: map[string]*Record{}, sends: map[string]*sendHistory{}}
}

// Len returns the number of records held (pending, used or expired but not
// yet purged).
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.records)
}

// copyRecord returns r with its own CodeHash, so callers never share the
// store's slice.
func copyRecord(r *Record) Record {
	c := *r
	c.CodeHash = append([]byte(nil), r.CodeHash...)
	return c
}

// Create implements Store.
func (m *MemoryStore) Create(_ context.Context, rec Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepRecords(rec.CreatedAt)
	if _, ok := m.records[rec.ID]; ok {
		return ErrExists
	}
	c := copyRecord(&rec)
	m.records[rec.ID] = &c
	return nil
}

// sweepRecords drops purged records at most once per sweepEvery; m.mu held.
func (m *MemoryStore) sweepRecords(now time.Time) {
	if now.Before(m.recSweep) {
		return
	}
	m.recSweep = now.Add(sweepEvery)
	for id, r := range m.records {
		if !now.Before(r.PurgeAt) {
			delete(m.records, id)
		}
	}
}

// Get implements Store.
func (m *MemoryStore) Get(_ context.Context, id string) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[id]
	if !ok {
		return Record{}, ErrNotFound
	}
	return copyRecord(r), nil
}

// ReplaceCode implements Store.
func (m *MemoryStore) ReplaceCode(_ context.Context, id string, codeHash []byte, now, expiresAt, purgeAt time.Time, maxAttempts int) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[id]
	switch {
	case !ok:
		return Record{}, ErrNotFound
	case !r.UsedAt.IsZero():
		return Record{}, ErrAlreadyUsed
	case r.Attempts >= maxAttempts:
		return Record{}, ErrTooManyAttempts
	}
	// A fresh slice, never written in place: a copy handed out earlier
	// stays valid.
	r.CodeHash = append([]byte(nil), codeHash...)
	r.SentAt = now
	r.ExpiresAt = expiresAt
	r.PurgeAt = purgeAt
	r.Sends++
	return copyRecord(r), nil
}

// Attempt implements Store.
func (m *MemoryStore) Attempt(_ context.Context, id string, candidates [][]byte, now time.Time, maxAttempts int) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[id]
	switch {
	case !ok:
		return Record{}, ErrNotFound
	case !r.UsedAt.IsZero():
		return Record{}, ErrAlreadyUsed
	case !now.Before(r.ExpiresAt):
		return Record{}, ErrExpired
	case r.Attempts >= maxAttempts:
		return Record{}, ErrTooManyAttempts
	}
	match := 0
	for _, c := range candidates {
		// Every candidate is compared, each in constant time.
		match |= subtle.ConstantTimeCompare(c, r.CodeHash)
	}
	if match == 1 {
		r.UsedAt = now
		return copyRecord(r), nil
	}
	r.Attempts++
	return copyRecord(r), ErrWrongCode
}

// RecordSend implements Store.
func (m *MemoryStore) RecordSend(_ context.Context, destination string, now time.Time, limits SendLimits) error {
	m.smu.Lock()
	defer m.smu.Unlock()
	m.sweepSends(now)
	h := m.sends[destination]
	if h == nil {
		h = &sendHistory{}
		m.sends[destination] = h
	}
	// Drop sends that left the window: keep those with t > now − Window.
	start := now.Add(-limits.Window)
	i := 0
	for i < len(h.times) && !h.times[i].After(start) {
		i++
	}
	h.times = h.times[i:]
	if wait := SendWait(h.times, now, limits); wait > 0 {
		return &RateLimitError{RetryAfter: wait}
	}
	h.times = append(h.times, now)
	h.purgeAt = now.Add(limits.Window)
	return nil
}

// sweepSends drops histories whose last send left the window; m.smu held.
func (m *MemoryStore) sweepSends(now time.Time) {
	if now.Before(m.sendSweep) {
		return
	}
	m.sendSweep = now.Add(sweepEvery)
	for d, h := range m.sends {
		if !now.Before(h.purgeAt) {
			delete(m.sends, d)
		}
	}
}
