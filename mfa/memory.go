package mfa

import (
	"bytes"
	"context"
	"sort"
	"sync"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/ratelimit"
)

// MemoryStore is an in-memory Store for tests, development and single-process
// hosts. One mutex guards all state, which makes every method atomic; it is
// safe for concurrent use. Expired tokens are dropped lazily; TOTP failure
// counts live in ratelimit.Memory limiters (Limiter), which drop theirs,
// and recovery-code failures in the user's recovery record
// (RecoveryAttempter).
type MemoryStore struct {
	mu       sync.Mutex
	devices  map[string]map[string]DeviceRecord // by user id, then device id
	owners   map[string]string                  // device id -> user id
	recovery map[string]*recoveryRecord         // by user id; changed in place
	tokens   map[string]TokenRecord             // by string(digest)
	writes   int                                // counts inserts, to prune now and then
	limits   ratelimit.MemoryBackend
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		devices:  map[string]map[string]DeviceRecord{},
		owners:   map[string]string{},
		recovery: map[string]*recoveryRecord{},
		tokens:   map[string]TokenRecord{},
	}
}

var (
	_ Store             = (*MemoryStore)(nil)
	_ RecoveryAttempter = (*MemoryStore)(nil)
)

// recoveryRecord is a user's set with the failures counted against it
// (RecoveryAttempter), which outlive a replaced or deleted set.
type recoveryRecord struct {
	set      RecoverySet
	hasSet   bool // false once DeleteUser removed the set: the failures stay
	failures ratelimit.Log
}

// recoverySet returns the user's record if it holds a set; m.mu held.
func (m *MemoryStore) recoverySet(userID string) (*recoveryRecord, bool) {
	cur, ok := m.recovery[userID]
	return cur, ok && cur.hasSet
}

// putRecoverySet stores a copy of set, keeping the user's failures; m.mu
// held.
func (m *MemoryStore) putRecoverySet(set RecoverySet) {
	cur, ok := m.recovery[set.UserID]
	if !ok {
		cur = &recoveryRecord{}
		m.recovery[set.UserID] = cur
	}
	cur.set, cur.hasSet = cloneSet(set), true
}

func cloneDevice(d DeviceRecord) DeviceRecord {
	d.SealedSecret = bytes.Clone(d.SealedSecret)
	return d
}

func cloneSet(s RecoverySet) RecoverySet {
	codes := make([]RecoveryCodeRecord, len(s.Codes))
	for i, c := range s.Codes {
		codes[i] = RecoveryCodeRecord{Digest: bytes.Clone(c.Digest), Sealed: bytes.Clone(c.Sealed)}
	}
	s.Codes = codes
	return s
}

// GetDevice implements DeviceStore.
func (m *MemoryStore) GetDevice(ctx context.Context, userID, deviceID string) (DeviceRecord, error) {
	if err := ctx.Err(); err != nil {
		return DeviceRecord{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.devices[userID][deviceID]
	if !ok {
		return DeviceRecord{}, ErrNotFound
	}
	return cloneDevice(d), nil
}

// userDevices returns the user's devices oldest first; m.mu must be held.
func (m *MemoryStore) userDevices(userID string) []DeviceRecord {
	out := []DeviceRecord{}
	for _, d := range m.devices[userID] {
		out = append(out, cloneDevice(d))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// ListDevices implements DeviceStore.
func (m *MemoryStore) ListDevices(ctx context.Context, userID string) ([]DeviceRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.userDevices(userID), nil
}

// UpdateDevices implements DeviceStore: fn runs under the store's mutex.
func (m *MemoryStore) UpdateDevices(ctx context.Context, userID string, fn func(Devices) (Devices, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	next, err := fn(m.userDevices(userID))
	if err != nil {
		return err
	}
	for _, d := range next {
		if owner, ok := m.owners[d.ID]; ok && owner != userID {
			return ErrDuplicate
		}
	}
	for id := range m.devices[userID] {
		delete(m.owners, id)
	}
	if len(next) == 0 {
		delete(m.devices, userID)
		return nil
	}
	byID := make(map[string]DeviceRecord, len(next))
	for _, d := range next {
		d = cloneDevice(d)
		d.UserID = userID // as the database stores do: the records are the user's
		byID[d.ID] = d
		m.owners[d.ID] = userID
	}
	m.devices[userID] = byID
	return nil
}

// MarkStepUsed implements DeviceStore.
func (m *MemoryStore) MarkStepUsed(ctx context.Context, userID, deviceID string, step uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.devices[userID][deviceID]
	if !ok || !d.Verified {
		return ErrNotFound
	}
	if step <= d.LastStep {
		return ErrStepUsed
	}
	d.LastStep = step
	m.devices[userID][deviceID] = d
	return nil
}

// Limiter implements Store with a ratelimit.MemoryBackend private to this
// store: Services sharing the store share their failure counts.
func (m *MemoryStore) Limiter(cfg ratelimit.LimiterConfig) (ratelimit.Counter, error) {
	return m.limits.Limiter(cfg)
}

// ReplaceRecoverySet implements RecoveryStore.
func (m *MemoryStore) ReplaceRecoverySet(ctx context.Context, set RecoverySet) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putRecoverySet(set)
	return nil
}

// CreateRecoverySet implements RecoveryStore.
func (m *MemoryStore) CreateRecoverySet(ctx context.Context, set RecoverySet) (RecoverySet, bool, error) {
	if err := ctx.Err(); err != nil {
		return RecoverySet{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.recoverySet(set.UserID); ok {
		return cloneSet(cur.set), false, nil
	}
	m.putRecoverySet(set)
	return cloneSet(set), true, nil
}

// GetRecoverySet implements RecoveryStore.
func (m *MemoryStore) GetRecoverySet(ctx context.Context, userID string) (RecoverySet, error) {
	if err := ctx.Err(); err != nil {
		return RecoverySet{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.recoverySet(userID)
	if !ok {
		return RecoverySet{}, ErrNotFound
	}
	return cloneSet(cur.set), nil
}

// ConsumeRecoveryCode implements RecoveryStore.
func (m *MemoryStore) ConsumeRecoveryCode(ctx context.Context, userID string, digest []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.recoverySet(userID)
	if !ok {
		return 0, ErrNotFound
	}
	if n := cur.consume(digest); n >= 0 {
		return n, nil
	}
	return 0, ErrNotFound
}

// AttemptRecoveryCode implements RecoveryAttempter, under the store's one
// lock.
func (m *MemoryStore) AttemptRecoveryCode(ctx context.Context, userID string, digests [][]byte, rule ratelimit.Rule, now func() time.Time) (int, ratelimit.Decision, error) {
	if err := ctx.Err(); err != nil {
		return 0, ratelimit.Decision{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.recoverySet(userID)
	if !ok {
		// Nothing to count, but a bad rule is refused as such, as on a
		// user with a set: deciding a success on a zero Log only
		// validates it (no clock read, nothing kept).
		var none ratelimit.Log
		if _, err := rule.Attempt(&none, now, func() bool { return true }); err != nil {
			return 0, ratelimit.Decision{}, err
		}
		return 0, ratelimit.Decision{Allowed: true}, ErrNotFound
	}
	n := -1
	d, err := rule.Attempt(&cur.failures, now, func() bool {
		for _, digest := range digests {
			if n = cur.consume(digest); n >= 0 {
				return true
			}
		}
		return false
	})
	switch {
	case err != nil || !d.Allowed:
		return 0, d, err
	case n < 0:
		return 0, d, ErrNotFound
	}
	return n, d, nil
}

// ResetRecoveryFailures implements RecoveryAttempter.
func (m *MemoryStore) ResetRecoveryFailures(ctx context.Context, userID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.recovery[userID]; ok {
		cur.failures = ratelimit.Log{}
		m.dropIfEmpty(userID, cur)
	}
	return nil
}

// dropIfEmpty forgets the user's record once it holds neither a set nor
// failures, so that deleted users leave nothing behind; m.mu held.
func (m *MemoryStore) dropIfEmpty(userID string, cur *recoveryRecord) {
	if !cur.hasSet && cur.failures.Empty() {
		delete(m.recovery, userID)
	}
}

// consume removes the code with this digest and returns how many are
// left, or -1 if there is none; m.mu held.
func (r *recoveryRecord) consume(digest []byte) int {
	codes := r.set.Codes
	for i := range codes {
		if !bytes.Equal(codes[i].Digest, digest) {
			continue
		}
		// In place: the store's set is never handed out (reads clone).
		// The shorter side moves, keeping the order: codes are mostly
		// used from the top of the list, which then moves nothing.
		if n := len(codes); i < n/2 {
			copy(codes[1:i+1], codes[:i])
			codes[0] = RecoveryCodeRecord{}
			codes = codes[1:]
		} else {
			copy(codes[i:], codes[i+1:])
			codes[n-1] = RecoveryCodeRecord{}
			codes = codes[:n-1]
		}
		r.set.Codes = codes
		return len(codes)
	}
	return -1
}

// SetAcknowledgement implements RecoveryStore.
func (m *MemoryStore) SetAcknowledgement(ctx context.Context, userID string, state authkit.BackupCodeAcknowledgement) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.recoverySet(userID)
	if !ok {
		return ErrNotFound
	}
	cur.set.Acknowledgement = state
	return nil
}

// CreateToken implements TokenStore.
func (m *MemoryStore) CreateToken(ctx context.Context, t TokenRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := string(t.Digest)
	if _, ok := m.tokens[k]; ok {
		return ErrDuplicate
	}
	m.pruneLocked(t.CreatedAt)
	t.Digest = bytes.Clone(t.Digest)
	m.tokens[k] = t
	return nil
}

// UseToken implements TokenStore.
func (m *MemoryStore) UseToken(ctx context.Context, digest []byte, userID, sessionID string, now time.Time) (TokenRecord, error) {
	if err := ctx.Err(); err != nil {
		return TokenRecord{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := string(digest)
	t, ok := m.tokens[k]
	if !ok || t.UserID != userID || !now.Before(t.ExpiresAt) ||
		(t.SessionID != "" && t.SessionID != sessionID) {
		return TokenRecord{}, ErrNotFound
	}
	if t.SingleUse {
		delete(m.tokens, k)
	}
	t.Digest = bytes.Clone(t.Digest)
	return t, nil
}

// pruneLocked drops expired tokens every 256 writes, so
// the maps stay bounded without a background goroutine. m.mu must be held.
func (m *MemoryStore) pruneLocked(now time.Time) {
	m.writes++
	if m.writes%256 != 0 {
		return
	}
	for k, t := range m.tokens {
		if !now.Before(t.ExpiresAt) {
			delete(m.tokens, k)
		}
	}
}
