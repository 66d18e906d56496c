package passkey

import (
	"context"
	"errors"
	"unicode/utf8"
)

// List returns the user's passkeys, oldest first (an empty slice for
// none). Errors: ErrInvalidUser.
func (s *Service) List(ctx context.Context, userID string) ([]Passkey, error) {
	if err := validUser(userID); err != nil {
		return nil, err
	}
	list, err := s.store.ListCredentials(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Passkey, len(list))
	for i, r := range list {
		out[i] = passkeyOf(r)
	}
	return out, nil
}

// Rename sets the alias of one of the user's passkeys ("" clears it).
// Errors: ErrInvalidUser, ErrInvalidAlias, ErrCredentialNotFound.
func (s *Service) Rename(ctx context.Context, userID, id, alias string) (Passkey, error) {
	if err := validUser(userID); err != nil {
		return Passkey{}, err
	}
	if len(alias) > MaxAliasLen || !utf8.ValidString(alias) {
		return Passkey{}, ErrInvalidAlias
	}
	r, err := s.store.RenameCredential(ctx, userID, id, alias, s.now())
	if errors.Is(err, ErrNotFound) {
		return Passkey{}, ErrCredentialNotFound
	}
	if err != nil {
		return Passkey{}, err
	}
	return passkeyOf(r), nil
}

// Delete removes one of the user's passkeys. Unless Config.Accounts says the
// user can sign in some other way, the user's last passkey is kept
// (ErrLastCredential), atomically: of two parallel deletions of a user's
// last two passkeys, one fails. Gate the call on step-up (a recent second
// factor) in the host. Errors: ErrInvalidUser, ErrCredentialNotFound,
// ErrLastCredential.
func (s *Service) Delete(ctx context.Context, userID, id string) error {
	if err := validUser(userID); err != nil {
		return err
	}
	other := false
	if s.accounts != nil {
		var err error
		if other, err = s.accounts.CanSignInWithoutPasskeys(ctx, userID); err != nil {
			return err
		}
	}
	err := s.store.DeleteCredential(ctx, userID, id, !other)
	switch {
	case errors.Is(err, ErrNotFound):
		return ErrCredentialNotFound
	case err != nil:
		return err
	}
	s.log.InfoContext(ctx, "passkey: deleted", "user", userID, "passkey", id)
	return nil
}

// DeleteUser removes every passkey of the user, for a deleted account (an
// account purger). The last-credential rule does not apply: the account
// itself goes. Idempotent. Errors: ErrInvalidUser.
func (s *Service) DeleteUser(ctx context.Context, userID string) error {
	if err := validUser(userID); err != nil {
		return err
	}
	if err := s.store.DeleteUserCredentials(ctx, userID); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "passkey: user's passkeys deleted", "user", userID)
	return nil
}
