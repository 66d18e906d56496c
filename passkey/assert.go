package passkey

import (
	"bytes"
	"context"
	"errors"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// BeginSignIn issues a sign-in challenge for a user not yet known and
// returns request options without allowCredentials, so that the browser
// offers the discoverable passkeys it holds for the RP ID. rpID picks a
// configured RP ID; "" means the primary one. Errors: ErrUnknownRPID.
func (s *Service) BeginSignIn(ctx context.Context, rpID string) (RequestOptions, error) {
	rp, err := s.rpFor(rpID)
	if err != nil {
		return RequestOptions{}, err
	}
	challenge, err := s.newChallenge(ctx, CeremonySignIn, "", "", rp)
	if err != nil {
		return RequestOptions{}, err
	}
	return RequestOptions{Challenge: challenge, Timeout: s.timeoutMS(), RPID: rp, UserVerification: s.uv}, nil
}

// FinishSignIn verifies a sign-in assertion (the JSON of an
// AuthenticationResponseJSON, WebAuthn Level 3 §5.1.9) and returns the
// passkey used; its UserID is the user to sign in. The user is found by
// the credential id; a userHandle, when present, must name the same user.
// The challenge is used up by the attempt, whatever its outcome. Errors:
// ErrInvalidResponse, ErrChallenge, ErrCeremonyMismatch,
// ErrCredentialNotFound, ErrVerification, ErrSignCount.
func (s *Service) FinishSignIn(ctx context.Context, response []byte) (Passkey, error) {
	return s.finishAssertion(ctx, CeremonySignIn, "", "", response)
}

// BeginMFA issues a challenge for a signed-in user to prove possession of
// one of their passkeys, bound to the user and session, and returns request
// options listing those passkeys in allowCredentials. rpID picks a
// configured RP ID; "" means the primary one. Errors: ErrInvalidUser,
// ErrUnknownRPID, ErrNoPasskeys.
func (s *Service) BeginMFA(ctx context.Context, userID, sessionID, rpID string) (RequestOptions, error) {
	if err := validUser(userID); err != nil {
		return RequestOptions{}, err
	}
	rp, err := s.rpFor(rpID)
	if err != nil {
		return RequestOptions{}, err
	}
	list, err := s.store.ListCredentials(ctx, userID)
	if err != nil {
		return RequestOptions{}, err
	}
	if len(list) == 0 {
		return RequestOptions{}, ErrNoPasskeys
	}
	challenge, err := s.newChallenge(ctx, CeremonyMFA, userID, sessionID, rp)
	if err != nil {
		return RequestOptions{}, err
	}
	return RequestOptions{
		Challenge: challenge, Timeout: s.timeoutMS(), RPID: rp, UserVerification: s.uv,
		AllowCredentials: descriptors(list),
	}, nil
}

// FinishMFA verifies an assertion answering a BeginMFA challenge of the same
// user and session, made with one of that user's passkeys. Errors:
// ErrInvalidUser, ErrInvalidResponse, ErrChallenge, ErrCeremonyMismatch,
// ErrCredentialNotFound (also for another user's passkey), ErrVerification,
// ErrSignCount.
func (s *Service) FinishMFA(ctx context.Context, userID, sessionID string, response []byte) (Passkey, error) {
	if err := validUser(userID); err != nil {
		return Passkey{}, err
	}
	return s.finishAssertion(ctx, CeremonyMFA, userID, sessionID, response)
}

// finishAssertion is the common part of FinishSignIn and FinishMFA (WebAuthn
// Level 3 §7.2): the challenge is consumed first, so that of parallel
// submissions of one response at most one is verified; the counter is then
// advanced atomically, so that two assertions carrying one counter value
// cannot both pass.
func (s *Service) finishAssertion(ctx context.Context, ceremony Ceremony, userID, sessionID string, response []byte) (Passkey, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return Passkey{}, errors.Join(ErrInvalidResponse, err)
	}
	fail := func(reason string, err error) (Passkey, error) {
		s.log.InfoContext(ctx, "passkey: assertion refused", "ceremony", string(ceremony), "user", userID, "reason", reason)
		return Passkey{}, err
	}
	rec, challenge, err := s.consume(ctx, parsed.Response.CollectedClientData.Challenge, ceremony, userID, sessionID)
	if err != nil {
		return fail("challenge", err)
	}
	cred, err := s.store.GetCredential(ctx, parsed.RawID)
	switch {
	case errors.Is(err, ErrNotFound):
		return fail("unknown credential", ErrCredentialNotFound)
	case err != nil:
		return Passkey{}, err
	case ceremony == CeremonyMFA && cred.UserID != userID:
		return fail("another user's credential", ErrCredentialNotFound)
	}
	handle := userHandle(cred.UserID)
	if uh := parsed.Response.UserHandle; len(uh) > 0 && !bytes.Equal(uh, handle) {
		return fail("user handle mismatch", ErrCredentialNotFound)
	}
	user := waUser{handle: handle, name: cred.UserID, creds: []webauthn.Credential{webauthnCredential(cred)}}
	if _, err := s.rps[rec.RPID].ValidateLogin(user, sessionData(rec, challenge, handle), parsed); err != nil {
		return fail("verification", verificationError(err))
	}
	flags := parsed.Response.AuthenticatorData.Flags
	used, err := s.store.UseCredential(ctx, cred.UserID, cred.CredentialID, parsed.Response.AuthenticatorData.Counter, flags.HasBackupState(), s.now())
	switch {
	case errors.Is(err, ErrSignCount):
		s.log.WarnContext(ctx, "passkey: signature counter did not advance; possible cloned authenticator",
			"user", cred.UserID, "passkey", cred.ID)
		return Passkey{}, err
	case errors.Is(err, ErrNotFound): // deleted meanwhile
		return fail("credential deleted", ErrCredentialNotFound)
	case err != nil:
		return Passkey{}, err
	}
	s.log.InfoContext(ctx, "passkey: assertion verified", "ceremony", string(ceremony), "user", used.UserID, "passkey", used.ID)
	pk := passkeyOf(used)
	pk.UserVerified = flags.HasUserVerified()
	return pk, nil
}

// webauthnCredential converts a stored record for go-webauthn.
func webauthnCredential(c CredentialRecord) webauthn.Credential {
	wc := webauthn.Credential{
		ID: c.CredentialID, PublicKey: c.PublicKey,
		AttestationType: c.AttestationType, AttestationFormat: c.AttestationFormat,
		Flags: webauthn.CredentialFlags{
			UserPresent: true, UserVerified: c.UserVerified,
			BackupEligible: c.BackupEligible, BackupState: c.BackupState,
		},
		Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID, SignCount: c.SignCount},
	}
	for _, t := range c.Transports {
		wc.Transport = append(wc.Transport, protocol.AuthenticatorTransport(t))
	}
	return wc
}
