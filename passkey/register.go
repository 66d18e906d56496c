package passkey

import (
	"context"
	"errors"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/authkit/authkit/internal/random"
)

// User names the account a passkey is registered for.
type User struct {
	// ID is the user id; it becomes the WebAuthn user handle, so it must be
	// an opaque value of at most MaxUserIDLen bytes (a UUID), never an email.
	ID string
	// Name is how authenticators label the passkey (an email or phone
	// number the user recognises). Empty means ID.
	Name string
	// DisplayName is a friendlier label; empty means Name.
	DisplayName string
}

// Registration asks for the options of a registration ceremony.
type Registration struct {
	User User
	// SessionID binds the challenge to the session that asked (the
	// host's session id, such as session.Claims.SessionID); the finish
	// step must present the same one.
	SessionID string
	// RPID picks a configured RP ID; "" means the primary one.
	RPID string
}

// BeginRegistration issues a registration challenge for a signed-in user and
// returns the creation options: attestation "none", resident key and user
// verification as configured (preferred), and the user's existing passkeys
// in excludeCredentials so that an authenticator is not registered twice.
// Errors: ErrInvalidUser, ErrUnknownRPID, ErrTooManyPasskeys (already at the
// maximum).
func (s *Service) BeginRegistration(ctx context.Context, r Registration) (CreationOptions, error) {
	if err := validUser(r.User.ID); err != nil {
		return CreationOptions{}, err
	}
	rpID, err := s.rpFor(r.RPID)
	if err != nil {
		return CreationOptions{}, err
	}
	existing, err := s.store.ListCredentials(ctx, r.User.ID)
	if err != nil {
		return CreationOptions{}, err
	}
	if len(existing) >= s.max {
		return CreationOptions{}, ErrTooManyPasskeys
	}
	challenge, err := s.newChallenge(ctx, CeremonyRegistration, r.User.ID, r.SessionID, rpID)
	if err != nil {
		return CreationOptions{}, err
	}
	name := r.User.Name
	if name == "" {
		name = r.User.ID
	}
	display := r.User.DisplayName
	if display == "" {
		display = name
	}
	opts := CreationOptions{
		RP:                 RPEntity{ID: rpID, Name: s.name},
		User:               UserEntity{ID: b64(userHandle(r.User.ID)), Name: name, DisplayName: display},
		Challenge:          challenge,
		PubKeyCredParams:   make([]CredentialParameter, len(credParams)),
		Timeout:            s.timeoutMS(),
		ExcludeCredentials: descriptors(existing),
		AuthenticatorSelection: AuthenticatorSelection{
			ResidentKey:      string(protocol.ResidentKeyRequirementPreferred),
			UserVerification: s.uv,
		},
		Attestation: string(protocol.PreferNoAttestation),
		Extensions:  Extensions{CredProps: true},
	}
	for i, p := range credParams {
		opts.PubKeyCredParams[i] = CredentialParameter{Type: string(p.Type), Alg: int64(p.Algorithm)}
	}
	return opts, nil
}

// descriptors lists credentials for excludeCredentials/allowCredentials;
// never nil.
func descriptors(list []CredentialRecord) []CredentialDescriptor {
	out := make([]CredentialDescriptor, 0, len(list))
	for _, c := range list {
		out = append(out, CredentialDescriptor{Type: string(protocol.PublicKeyCredentialType), ID: b64(c.CredentialID), Transports: c.Transports})
	}
	return out
}

// FinishRegistration verifies a registration response (the JSON of a
// RegistrationResponseJSON, WebAuthn Level 3 §5.1.8) against the challenge
// it answers, which must have been issued by BeginRegistration to the same
// user and session, and stores the new passkey. The challenge is used up
// by the attempt, whatever its outcome. Errors: ErrInvalidUser,
// ErrInvalidResponse, ErrChallenge, ErrCeremonyMismatch, ErrVerification,
// ErrCredentialExists, ErrTooManyPasskeys.
func (s *Service) FinishRegistration(ctx context.Context, userID, sessionID string, response []byte) (Passkey, error) {
	if err := validUser(userID); err != nil {
		return Passkey{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return Passkey{}, errors.Join(ErrInvalidResponse, err)
	}
	rec, challenge, err := s.consume(ctx, parsed.Response.CollectedClientData.Challenge, CeremonyRegistration, userID, sessionID)
	if err != nil {
		s.log.InfoContext(ctx, "passkey: registration refused", "user", userID, "reason", err.Error())
		return Passkey{}, err
	}
	handle := userHandle(userID)
	cred, err := s.rps[rec.RPID].CreateCredential(waUser{handle: handle, name: userID},
		withExtensions(sessionData(rec, challenge, handle)), parsed)
	if err != nil {
		s.log.InfoContext(ctx, "passkey: registration refused", "user", userID, "reason", "verification")
		return Passkey{}, verificationError(err)
	}
	id, err := random.UUID(s.rand)
	if err != nil {
		return Passkey{}, err
	}
	now := s.now()
	cr := CredentialRecord{
		ID: id, UserID: userID, CredentialID: cred.ID, PublicKey: cred.PublicKey,
		AttestationType: cred.AttestationType, AttestationFormat: cred.AttestationFormat,
		AAGUID: cred.Authenticator.AAGUID, SignCount: cred.Authenticator.SignCount,
		UserVerified: cred.Flags.UserVerified, BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState,
		Origin: parsed.Response.CollectedClientData.Origin, CreatedAt: now,
	}
	for _, t := range cred.Transport {
		cr.Transports = append(cr.Transports, string(t))
	}
	switch err := s.store.CreateCredential(ctx, cr, s.max); {
	case errors.Is(err, ErrDuplicate):
		return Passkey{}, ErrCredentialExists
	case err != nil:
		return Passkey{}, err
	}
	s.log.InfoContext(ctx, "passkey: registered", "user", userID, "passkey", id, "rp", rec.RPID)
	pk := passkeyOf(cr)
	pk.UserVerified = cr.UserVerified
	return pk, nil
}

func withExtensions(sd webauthn.SessionData) webauthn.SessionData {
	sd.Extensions = registrationExtensions
	return sd
}
