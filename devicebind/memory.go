package devicebind

import (
	"context"
	"sync"
	"time"
)

// MemoryStore is an in-memory Store for one process and for tests. Expired
// nonces are dropped as new ones are saved.
type MemoryStore struct {
	mu      sync.Mutex
	nonces  map[string]time.Time
	pruneAt int
	lastNow time.Time // the latest now given to ConsumeNonce
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{nonces: map[string]time.Time{}} }

var _ Store = (*MemoryStore)(nil)

// CreateNonce implements Store.
func (m *MemoryStore) CreateNonce(ctx context.Context, digest []byte, expiresAt time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := string(digest)
	if _, ok := m.nonces[k]; ok {
		return ErrDuplicate
	}
	if len(m.nonces) >= m.pruneAt {
		// Amortised: prune when the map has doubled since the last pass,
		// by the callers' clock.
		for d, exp := range m.nonces {
			if !exp.After(m.lastNow) {
				delete(m.nonces, d)
			}
		}
		m.pruneAt = 2*len(m.nonces) + 64
	}
	m.nonces[k] = expiresAt
	return nil
}

// ConsumeNonce implements Store.
func (m *MemoryStore) ConsumeNonce(ctx context.Context, digest []byte, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.After(m.lastNow) {
		m.lastNow = now
	}
	k := string(digest)
	exp, ok := m.nonces[k]
	if !ok || !exp.After(now) {
		return ErrNotFound
	}
	delete(m.nonces, k)
	return nil
}
