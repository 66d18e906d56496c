package account

import (
	"context"
	"fmt"
)

// Purger removes or revokes what another package holds for a user. It must
// be idempotent (Delete runs it twice, a failed call is retried) and must
// succeed for a user that holds nothing.
type Purger interface {
	Purge(ctx context.Context, userID string) error
}

// PurgerFunc adapts a function to Purger.
type PurgerFunc func(ctx context.Context, userID string) error

// Purge implements Purger.
func (f PurgerFunc) Purge(ctx context.Context, userID string) error { return f(ctx, userID) }

// SessionRevoker ends every session of a user; *session.Manager is one.
type SessionRevoker interface {
	RevokeAll(ctx context.Context, userID string) (int, error)
}

// RevokeSessions returns a Purger that revokes every session of the user,
// so that each of its tokens fails verification from then on.
func RevokeSessions(r SessionRevoker) Purger {
	return PurgerFunc(func(ctx context.Context, userID string) error {
		_, err := r.RevokeAll(ctx, userID)
		return err
	})
}

// MFADeleter removes a user's MFA devices, recovery codes and MFA tokens;
// *mfa.Service is one.
type MFADeleter interface {
	DeleteUser(ctx context.Context, userID string) error
}

// DeleteMFA returns a Purger that removes the user's MFA devices, recovery
// codes and MFA tokens.
func DeleteMFA(d MFADeleter) Purger {
	return PurgerFunc(d.DeleteUser)
}

// purge runs ps in order and stops at the first failure.
func purge(ctx context.Context, ps []Purger, userID string) error {
	for i, p := range ps {
		if err := p.Purge(ctx, userID); err != nil {
			return fmt.Errorf("%w: purger %d: %w", ErrPurge, i, err)
		}
	}
	return nil
}

// Delete removes the user and its credentials, and everything the
// Config.OnDelete purgers reach (sessions, MFA factors). The purgers run
// first, so that a failure leaves the user in place for a retry (fail
// closed: nothing half-deleted stays signed in), and again after the
// removal, to revoke a session minted by a sign-in that found the user in
// between. A sign-in that found the user before the removal can still
// mint after the second run; ConfirmSignIn, called by every sign-in once
// its tokens are issued, closes that. Pending verifications and OAuth states are left to expire: they
// only prove a credential, which after the deletion signs in a new user.
//
// ErrNotFound for an unknown user; ErrNoPurgers when no purger is
// configured; ErrPurge when one failed.
func (s *Service) Delete(ctx context.Context, userID string) error {
	if !ValidID(userID) {
		return ErrInvalidID
	}
	if len(s.cfg.OnDelete) == 0 {
		return ErrNoPurgers
	}
	if _, err := s.cfg.Store.Get(ctx, userID); err != nil {
		return err
	}
	if err := purge(ctx, s.cfg.OnDelete, userID); err != nil {
		return err
	}
	if err := s.cfg.Store.Delete(ctx, userID); err != nil {
		return err
	}
	return purge(ctx, s.cfg.OnDelete, userID)
}

// ResetMFA is for a host's support or admin path (a user who lost every
// factor): it runs the Config.OnResetMFA purgers, which remove the user's
// MFA devices and recovery codes and revoke its sessions. The user and its
// credentials stay. ErrNotFound for an unknown user; ErrNoPurgers when none
// is configured; ErrPurge when one failed (retry: purgers are idempotent).
//
// The caller decides who may do this: it removes a second factor, so it
// needs the strongest proof the host has that the request is legitimate.
func (s *Service) ResetMFA(ctx context.Context, userID string) error {
	if !ValidID(userID) {
		return ErrInvalidID
	}
	if len(s.cfg.OnResetMFA) == 0 {
		return ErrNoPurgers
	}
	if _, err := s.cfg.Store.Get(ctx, userID); err != nil {
		return err
	}
	return purge(ctx, s.cfg.OnResetMFA, userID)
}
