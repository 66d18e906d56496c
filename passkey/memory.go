package passkey

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryStore is an in-memory Store for tests, development and
// single-process hosts. One mutex guards all state, which makes every method
// atomic; it is safe for concurrent use. Expired challenges are dropped
// lazily.
type MemoryStore struct {
	mu         sync.Mutex
	challenges map[string]ChallengeRecord  // by string(digest)
	creds      map[string]CredentialRecord // by string(credential id)
	byID       map[string]string           // record id -> string(credential id)
	perUser    map[string]int              // credentials per user id
	writes     int                         // counts inserts, to prune now and then
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		challenges: map[string]ChallengeRecord{},
		creds:      map[string]CredentialRecord{},
		byID:       map[string]string{},
		perUser:    map[string]int{},
	}
}

var _ Store = (*MemoryStore)(nil)

func cloneChallenge(c ChallengeRecord) ChallengeRecord {
	c.Digest = bytes.Clone(c.Digest)
	return c
}

func cloneCredential(c CredentialRecord) CredentialRecord {
	c.CredentialID = bytes.Clone(c.CredentialID)
	c.PublicKey = bytes.Clone(c.PublicKey)
	c.AAGUID = bytes.Clone(c.AAGUID)
	c.Transports = slices.Clone(c.Transports)
	return c
}

// CreateChallenge implements ChallengeStore.
func (m *MemoryStore) CreateChallenge(ctx context.Context, c ChallengeRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := string(c.Digest)
	if _, ok := m.challenges[k]; ok {
		return ErrDuplicate
	}
	m.writes++
	if m.writes%1024 == 0 {
		m.pruneLocked(c.CreatedAt)
	}
	m.challenges[k] = cloneChallenge(c)
	return nil
}

// pruneLocked drops challenges that expired by now.
func (m *MemoryStore) pruneLocked(now time.Time) {
	for k, c := range m.challenges {
		if !c.ExpiresAt.After(now) {
			delete(m.challenges, k)
		}
	}
}

// ConsumeChallenge implements ChallengeStore.
func (m *MemoryStore) ConsumeChallenge(ctx context.Context, digest []byte, ceremony Ceremony, userID, sessionID string, now time.Time) (ChallengeRecord, error) {
	if err := ctx.Err(); err != nil {
		return ChallengeRecord{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := string(digest)
	c, ok := m.challenges[k]
	switch {
	case !ok:
		return ChallengeRecord{}, ErrNotFound
	case !c.ExpiresAt.After(now):
		delete(m.challenges, k)
		return ChallengeRecord{}, ErrNotFound
	case c.Ceremony != ceremony || c.UserID != userID || c.SessionID != sessionID:
		return ChallengeRecord{}, ErrCeremonyMismatch
	}
	delete(m.challenges, k)
	return cloneChallenge(c), nil
}

// CreateCredential implements CredentialStore.
func (m *MemoryStore) CreateCredential(ctx context.Context, c CredentialRecord, max int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := string(c.CredentialID)
	if _, ok := m.creds[k]; ok {
		return ErrDuplicate
	}
	if _, ok := m.byID[c.ID]; ok {
		return ErrDuplicate
	}
	if m.perUser[c.UserID] >= max {
		return ErrTooManyPasskeys
	}
	m.creds[k] = cloneCredential(c)
	m.byID[c.ID] = k
	m.perUser[c.UserID]++
	return nil
}

// GetCredential implements CredentialStore.
func (m *MemoryStore) GetCredential(ctx context.Context, credentialID []byte) (CredentialRecord, error) {
	if err := ctx.Err(); err != nil {
		return CredentialRecord{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.creds[string(credentialID)]
	if !ok {
		return CredentialRecord{}, ErrNotFound
	}
	return cloneCredential(c), nil
}

// ListCredentials implements CredentialStore.
func (m *MemoryStore) ListCredentials(ctx context.Context, userID string) ([]CredentialRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []CredentialRecord{}
	for _, c := range m.creds {
		if c.UserID == userID {
			out = append(out, cloneCredential(c))
		}
	}
	SortCredentials(out)
	return out, nil
}

// SortCredentials sorts records oldest first (CreatedAt, then ID), the
// order ListCredentials returns.
func SortCredentials(list []CredentialRecord) {
	slices.SortFunc(list, func(a, b CredentialRecord) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
}

// CounterAdvances reports whether an assertion with counter next may follow
// the stored counter prev: next must be larger, unless both are 0 (an
// authenticator without a counter). Stores use it for UseCredential.
func CounterAdvances(prev, next uint32) bool {
	return next > prev || next == 0 && prev == 0
}

// UseCredential implements CredentialStore.
func (m *MemoryStore) UseCredential(ctx context.Context, userID string, credentialID []byte, signCount uint32, backupState bool, now time.Time) (CredentialRecord, error) {
	if err := ctx.Err(); err != nil {
		return CredentialRecord{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := string(credentialID)
	c, ok := m.creds[k]
	if !ok || c.UserID != userID {
		return CredentialRecord{}, ErrNotFound
	}
	if !CounterAdvances(c.SignCount, signCount) {
		return CredentialRecord{}, ErrSignCount
	}
	c.SignCount, c.BackupState, c.LastUsedAt = signCount, backupState, now
	m.creds[k] = c
	return cloneCredential(c), nil
}

// RenameCredential implements CredentialStore.
func (m *MemoryStore) RenameCredential(ctx context.Context, userID, id, alias string, now time.Time) (CredentialRecord, error) {
	if err := ctx.Err(); err != nil {
		return CredentialRecord{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.byID[id]
	if !ok || m.creds[k].UserID != userID {
		return CredentialRecord{}, ErrNotFound
	}
	c := m.creds[k]
	c.Alias, c.UpdatedAt = alias, now
	m.creds[k] = c
	return cloneCredential(c), nil
}

// DeleteCredential implements CredentialStore.
func (m *MemoryStore) DeleteCredential(ctx context.Context, userID, id string, keepOne bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.byID[id]
	if !ok || m.creds[k].UserID != userID {
		return ErrNotFound
	}
	if keepOne && m.perUser[userID] <= 1 {
		return ErrLastCredential
	}
	delete(m.creds, k)
	delete(m.byID, id)
	if m.perUser[userID]--; m.perUser[userID] == 0 {
		delete(m.perUser, userID)
	}
	return nil
}

// DeleteUserCredentials implements CredentialStore.
func (m *MemoryStore) DeleteUserCredentials(ctx context.Context, userID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, c := range m.creds {
		if c.UserID == userID {
			delete(m.creds, k)
			delete(m.byID, c.ID)
		}
	}
	delete(m.perUser, userID)
	return nil
}
