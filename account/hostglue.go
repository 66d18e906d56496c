package account

import (
	"context"
	"errors"

	"github.com/authkit/authkit"
)

// CanSignInWithoutPasskeys reports whether the user holds a sign-in-enabled
// email, phone number or OAuth account, so that it can lose its passkeys
// without losing its account. It makes *Service a passkey.Accounts as it
// is: pass the Service as passkey.Config.Accounts.
func (s *Service) CanSignInWithoutPasskeys(ctx context.Context, userID string) (bool, error) {
	u, err := s.Get(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, vc := range u.VerifiedCredentials {
		switch vc.Format {
		case authkit.FormatEmail, authkit.FormatPhoneNumber, authkit.FormatOAuth:
			if vc.SignInEnabled {
				return true, nil
			}
		}
	}
	return false, nil
}

// PasskeyDeleter removes every passkey of a user, the last one included;
// *passkey.Service is one.
type PasskeyDeleter interface {
	DeleteUser(ctx context.Context, userID string) error
}

// DeletePasskeys returns a Purger that removes the user's passkeys, which
// would otherwise outlive the user (and sign in whoever is given its id
// next, were ids ever reused).
func DeletePasskeys(d PasskeyDeleter) Purger {
	return PurgerFunc(d.DeleteUser)
}

// ConfirmSignIn closes the race of a sign-in with Delete. Call it once a
// sign-in's tokens are issued, before answering. A deletion that completed
// between the sign-in's read of the user and its mint ran its purgers
// before the new session existed, so nothing else would revoke it:
//
//   - nil: the user exists; a deletion still in flight revokes what was
//     issued with its second purge;
//   - ErrNotFound: the user was deleted meanwhile; ConfirmSignIn has run
//     the Config.OnDelete purgers again (revoking the session just minted)
//     and the sign-in must be refused;
//   - another error (the store, ErrPurge): refuse the sign-in too.
func (s *Service) ConfirmSignIn(ctx context.Context, userID string) error {
	_, err := s.Get(ctx, userID)
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	if perr := purge(ctx, s.cfg.OnDelete, userID); perr != nil {
		return perr
	}
	return err
}
