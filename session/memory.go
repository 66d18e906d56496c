package session

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// MemoryStore is an in-memory Store, safe for concurrent use. It suits a
// single process and tests; records are lost on restart. Expired sessions
// and consumed token ids are pruned as time passes (driven by the times
// callers pass in), so memory stays bounded by live sessions.
type MemoryStore struct {
	mu       sync.Mutex
	sessions map[string]Record
	byUser   map[string]map[string]struct{}
	jtis     map[string]time.Time
	// latest is the newest time seen, used to prune expired sessions.
	latest  time.Time
	nextGC  time.Time
	gcEvery time.Duration
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		sessions: make(map[string]Record),
		byUser:   make(map[string]map[string]struct{}),
		jtis:     make(map[string]time.Time),
		gcEvery:  time.Minute,
	}
}

var _ Store = (*MemoryStore)(nil)

// Create implements Store.
func (s *MemoryStore) Create(ctx context.Context, rec Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if rec.ID == "" {
		return fmt.Errorf("session: empty session id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gcLocked(rec.CreatedAt)
	if _, ok := s.sessions[rec.ID]; ok {
		return ErrDuplicate
	}
	if rec.LastSeenAt.IsZero() {
		rec.LastSeenAt = rec.CreatedAt
	}
	s.sessions[rec.ID] = rec
	u := s.byUser[rec.UserID]
	if u == nil {
		u = make(map[string]struct{})
		s.byUser[rec.UserID] = u
	}
	u[rec.ID] = struct{}{}
	return nil
}

// Get implements Store.
func (s *MemoryStore) Get(ctx context.Context, id string) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.sessions[id]
	if !ok {
		return Record{}, ErrNotFound
	}
	return rec, nil
}

// Revoke implements Store.
func (s *MemoryStore) Revoke(ctx context.Context, id string, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.sessions[id]
	if !ok {
		return ErrNotFound
	}
	if rec.RevokedAt.IsZero() {
		rec.RevokedAt = now
		s.sessions[id] = rec
	}
	return nil
}

// RevokeAllForUser implements Store.
func (s *MemoryStore) RevokeAllForUser(ctx context.Context, userID string, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id := range s.byUser[userID] {
		rec := s.sessions[id]
		if rec.RevokedAt.IsZero() {
			rec.RevokedAt = now
			s.sessions[id] = rec
			n++
		}
	}
	return n, nil
}

// ConsumeJTI implements Store.
func (s *MemoryStore) ConsumeJTI(ctx context.Context, jti string, expiresAt, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if jti == "" {
		return fmt.Errorf("session: empty jti")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gcLocked(now)
	if exp, ok := s.jtis[jti]; ok && !exp.Before(now) {
		return ErrAlreadyUsed
	}
	s.jtis[jti] = expiresAt
	return nil
}

// Rotate implements Store.
func (s *MemoryStore) Rotate(ctx context.Context, id string, gen uint64, now, graceUntil time.Time) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.sessions[id]
	if !ok {
		return Record{}, ErrNotFound
	}
	switch {
	case !rec.Live(now):
	case gen == rec.Generation:
		rec.Generation++
		rec.GraceUntil = graceUntil
		if now.After(rec.LastSeenAt) {
			rec.LastSeenAt = now
		}
		s.sessions[id] = rec
	case gen+1 == rec.Generation && now.Before(rec.GraceUntil):
	default:
		rec.RevokedAt = now
		s.sessions[id] = rec
		return rec, ErrRefreshReuse
	}
	return rec, nil
}

// Touch implements Store.
func (s *MemoryStore) Touch(ctx context.Context, id string, seen time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.sessions[id]
	if !ok {
		return ErrNotFound
	}
	if seen.After(rec.LastSeenAt) {
		rec.LastSeenAt = seen
		s.sessions[id] = rec
	}
	return nil
}

// ListForUser implements Store.
func (s *MemoryStore) ListForUser(ctx context.Context, userID string, now time.Time) ([]Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Record
	for id := range s.byUser[userID] {
		if rec := s.sessions[id]; rec.Live(now) {
			out = append(out, rec)
		}
	}
	return out, nil
}

// gcLocked prunes expired sessions and token ids at most once per gcEvery
// of caller-supplied time. Sessions are kept until they expire, revoked or
// not, so that a revoked session keeps failing until its tokens are dead.
func (s *MemoryStore) gcLocked(now time.Time) {
	if now.After(s.latest) {
		s.latest = now
	}
	if s.latest.Before(s.nextGC) {
		return
	}
	s.nextGC = s.latest.Add(s.gcEvery)
	for id, rec := range s.sessions {
		if rec.ExpiresAt.Before(s.latest) {
			delete(s.sessions, id)
			if u := s.byUser[rec.UserID]; u != nil {
				delete(u, id)
				if len(u) == 0 {
					delete(s.byUser, rec.UserID)
				}
			}
		}
	}
	for j, exp := range s.jtis {
		if exp.Before(s.latest) {
			delete(s.jtis, j)
		}
	}
}
