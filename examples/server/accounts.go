package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/passkey"
)

// buildAccounts composes the user directory. Deleting a user, or resetting
// its MFA, revokes its sessions (its tokens stop working at once) and
// removes its MFA devices, recovery codes and MFA tokens.
func (s *server) buildAccounts() error {
	var err error
	s.accounts, err = account.New(account.Config{
		Store:         s.stores.Accounts,
		EnvironmentID: s.cfg.Env,
		OnDelete:      s.deletePurgers(),
		OnResetMFA:    []account.Purger{account.RevokeSessions(s.sessions), account.DeleteMFA(s.mfa)},
		Now:           s.now,
	})
	return err
}

// deletePurgers are what DELETE users removes beside the user itself.
func (s *server) deletePurgers() []account.Purger {
	return []account.Purger{account.RevokeSessions(s.sessions), account.DeleteMFA(s.mfa), account.PurgerFunc(s.deletePasskeys)}
}

// stillExists closes the race of a sign-in with DELETE users
// (account.Service.ConfirmSignIn): called once everything is issued, it
// answers account.ErrNotFound, having revoked what was issued, for a user
// deleted meanwhile.
func (s *server) stillExists(ctx context.Context, userID string) error {
	return s.accounts.ConfirmSignIn(ctx, userID)
}

// deletePasskeys removes every passkey of a deleted user (the passkey
// service refuses to remove a last passkey, which is right for a living
// user only).
func (s *server) deletePasskeys(ctx context.Context, userID string) error {
	if s.stores.Passkeys == nil {
		return nil
	}
	pks, err := s.stores.Passkeys.ListCredentials(ctx, userID)
	if err != nil {
		return err
	}
	for _, pk := range pks {
		if err := s.stores.Passkeys.DeleteCredential(ctx, userID, pk.ID, false); err != nil && !errors.Is(err, passkey.ErrNotFound) {
			return err
		}
	}
	return nil
}

// usersDelete is DELETE users: the user, its credentials, sessions and MFA
// factors go. The step-up rule of the route table (user.delete) runs first.
// The client then calls revoke, which answers 401 as the session is gone.
func (s *server) usersDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.accounts.Delete(r.Context(), claimsOf(r).Subject); err != nil {
		return err
	}
	if s.cfg.CookieAuth {
		s.sessionHTTP.ClearCookie(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// verifyUnlinkRequest is VerifyUnlinkRequest. walletId names the credential
// only without verifiedCredentialId (then it is the primary wallet to keep).
type verifyUnlinkRequest struct {
	VerifiedCredentialID *string `json:"verifiedCredentialId"`
	// VerifiedCrentialID is a legacy misspelling, accepted as an alias.
	VerifiedCrentialID *string `json:"verifiedCrentialId"`
	WalletID           *string `json:"walletId"`
	PrimaryWalletID    *string `json:"primaryWalletId"`
}

// verifyUnlink is POST verify/unlink: remove one of the user's credentials
// (never the last sign-in-enabled one) and answer with new tokens, since
// the credential list changed.
func (s *server) verifyUnlink(w http.ResponseWriter, r *http.Request) error {
	var body verifyUnlinkRequest
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	id := ""
	for _, p := range []*string{body.VerifiedCredentialID, body.VerifiedCrentialID, body.WalletID} {
		if p != nil && *p != "" {
			id = *p
			break
		}
	}
	if id == "" {
		return errUnprocessable("invalid_unlink_request", "verifiedCredentialId is required.", nil)
	}
	if !account.ValidID(id) {
		return errUnprocessable("invalid_unlink_request", "This credential is not the user's.", nil)
	}
	ctx := r.Context()
	c := claimsOf(r)
	u, err := s.accounts.Unlink(ctx, c.Subject, id)
	if err != nil {
		return err
	}
	toks, err := s.reissue(ctx, c, u)
	if err != nil {
		return err
	}
	resp, err := s.tokenResponse(w, r, u, toks)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
