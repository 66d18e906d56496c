package keysync

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/authkit/authkit/session"
)

// MemoryStore is an in-memory Store, safe for concurrent use: for
// tests and for several Syncers in one process.
type MemoryStore struct {
	mu   sync.Mutex
	keys map[string]PublishedKey
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{keys: make(map[string]PublishedKey)}
}

var _ Store = (*MemoryStore)(nil)

// PublishKey implements Store.
func (s *MemoryStore) PublishKey(ctx context.Context, k PublishedKey) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if k.KID == "" || len(k.JWK) == 0 {
		return fmt.Errorf("%w: key without kid or JWK", ErrSchedule)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k.KID]; ok {
		return session.ErrDuplicate
	}
	k.JWK = slices.Clone(k.JWK)
	s.keys[k.KID] = k
	return nil
}

// PublishedKeys implements Store.
func (s *MemoryStore) PublishedKeys(ctx context.Context) ([]PublishedKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PublishedKey, 0, len(s.keys))
	for _, k := range s.keys {
		k.JWK = slices.Clone(k.JWK)
		out = append(out, k)
	}
	return out, nil
}

// DeleteKey implements Store.
func (s *MemoryStore) DeleteKey(ctx context.Context, kid string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, kid)
	return nil
}
