package mfa

import "context"

// UserStore removes everything a Store holds for one user.
type UserStore interface {
	// DeleteUser atomically removes the user's devices, recovery-code set
	// and MFA tokens. It succeeds (a no-op) for a user with none. The
	// failed-attempt windows stay: they limit guessing, and a reset must
	// not hand an attacker a fresh budget.
	DeleteUser(ctx context.Context, userID string) error
}

// DeleteUser removes the user's MFA devices, recovery codes and MFA tokens,
// for a deleted account or an MFA reset from a host's support path. The
// user's next sign-in then needs no second factor, so the caller must also
// revoke the user's sessions (account.Service does both) and decide who may
// ask for this. Idempotent.
func (s *Service) DeleteUser(ctx context.Context, userID string) error {
	if userID == "" {
		return ErrInvalidUser
	}
	if err := s.store.DeleteUser(ctx, userID); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "mfa: user's factors deleted", "user", userID)
	return nil
}

// DeleteUser implements UserStore.
func (m *MemoryStore) DeleteUser(ctx context.Context, userID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for id := range m.devices[userID] {
		delete(m.owners, id)
	}
	delete(m.devices, userID)
	if cur, ok := m.recovery[userID]; ok { // its failures stay
		cur.set, cur.hasSet = RecoverySet{}, false
		m.dropIfEmpty(userID, cur)
	}
	for k, t := range m.tokens {
		if t.UserID == userID {
			delete(m.tokens, k)
		}
	}
	return nil
}
