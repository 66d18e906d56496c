package passkey

import (
	"context"
	"errors"
	"time"
)

// Errors returned by Store implementations, and by the Service where the
// meaning is the same. Host stores must return these sentinels (wrapped or
// not) so that the Service can translate them: ErrNotFound becomes
// ErrChallenge or ErrCredentialNotFound, ErrDuplicate ErrCredentialExists.
var (
	// ErrNotFound: no such challenge (or it expired), or no such credential
	// of that user.
	ErrNotFound = errors.New("passkey: not found")
	// ErrDuplicate: a credential with that credential id (for any user) or
	// that record id already exists.
	ErrDuplicate = errors.New("passkey: duplicate record")
	// ErrTooManyPasskeys: the user already holds the maximum number of
	// passkeys.
	ErrTooManyPasskeys = errors.New("passkey: too many passkeys")
	// ErrCeremonyMismatch: the challenge was issued for another ceremony,
	// user or session. The challenge is not consumed.
	ErrCeremonyMismatch = errors.New("passkey: challenge issued for another ceremony, user or session")
	// ErrSignCount: the assertion's signature counter did not advance past
	// the stored one, a sign that the authenticator may have been cloned
	// (WebAuthn Level 3 §6.1.1). Counters that stay at 0 (most platform
	// passkeys) never trigger it.
	ErrSignCount = errors.New("passkey: signature counter did not advance (possible cloned authenticator)")
	// ErrLastCredential: deleting the passkey would leave the user without a
	// way to sign in.
	ErrLastCredential = errors.New("passkey: cannot delete the last sign-in credential")
)

// Ceremony is the kind of WebAuthn ceremony a challenge was issued for.
type Ceremony string

// Ceremonies.
const (
	// CeremonyRegistration creates a passkey for a signed-in user.
	CeremonyRegistration Ceremony = "registration"
	// CeremonySignIn signs a user in with a discoverable passkey; the user
	// is not known when the challenge is issued.
	CeremonySignIn Ceremony = "signin"
	// CeremonyMFA proves possession of one of a signed-in user's passkeys.
	CeremonyMFA Ceremony = "mfa"
)

// ChallengeRecord is a challenge waiting for its response. The challenge
// itself is not stored, only its SHA-256.
type ChallengeRecord struct {
	Digest    []byte   // SHA-256 of the raw challenge bytes (32 bytes)
	Ceremony  Ceremony // what the challenge may be used for
	UserID    string   // the user who asked; "" for sign-in
	SessionID string   // the session that asked; "" for sign-in
	RPID      string   // the RP ID the options named
	// UserVerification is the requirement the options carried
	// ("required", "preferred" or "discouraged").
	UserVerification string
	CreatedAt        time.Time
	ExpiresAt        time.Time // the challenge is unusable from this instant
}

// CredentialRecord is a stored passkey: the WebAuthn credential record
// (WebAuthn Level 3 §4, "Credential Record") plus display data.
type CredentialRecord struct {
	// ID is a random UUID naming the passkey in the API (list, rename,
	// delete); unique across users.
	ID     string
	UserID string // owner
	// CredentialID is the authenticator's credential id; unique across users.
	CredentialID []byte
	// PublicKey is the credential public key as a COSE_Key (RFC 9052 §7).
	PublicKey         []byte
	AttestationType   string   // e.g. "none"
	AttestationFormat string   // e.g. "none", "packed"
	AAGUID            []byte   // 16 bytes; zero for attestation "none"
	Transports        []string // as reported at registration
	// SignCount is the last signature counter seen (WebAuthn Level 3 §6.1.1).
	SignCount      uint32
	UserVerified   bool // UV flag at registration
	BackupEligible bool // BE flag; fixed for the credential's lifetime
	BackupState    bool // BS flag as last seen
	Alias          string
	Origin         string // origin the passkey was registered from
	CreatedAt      time.Time
	UpdatedAt      time.Time // last rename (zero = never)
	LastUsedAt     time.Time // last successful assertion (zero = never)
}

// ChallengeStore holds challenges between the two halves of a ceremony.
type ChallengeStore interface {
	// CreateChallenge stores c (ErrDuplicate if c.Digest exists).
	CreateChallenge(ctx context.Context, c ChallengeRecord) error
	// ConsumeChallenge atomically removes and returns the challenge with
	// this digest if it exists, ExpiresAt > now, and its Ceremony, UserID
	// and SessionID equal the arguments. A missing or expired challenge is
	// ErrNotFound; one bound differently is ErrCeremonyMismatch and stays
	// stored. Of concurrent calls for one challenge exactly one wins.
	ConsumeChallenge(ctx context.Context, digest []byte, ceremony Ceremony, userID, sessionID string, now time.Time) (ChallengeRecord, error)
}

// CredentialStore holds passkeys. Every method is atomic on its own.
type CredentialStore interface {
	// CreateCredential inserts c unless c.CredentialID or c.ID exists
	// (ErrDuplicate) or the user already holds max or more credentials
	// (ErrTooManyPasskeys). Of concurrent creations for one user, no more
	// than max succeed in total.
	CreateCredential(ctx context.Context, c CredentialRecord, max int) error
	// GetCredential returns the credential with this credential id, of
	// whichever user, or ErrNotFound.
	GetCredential(ctx context.Context, credentialID []byte) (CredentialRecord, error)
	// ListCredentials returns the user's credentials, oldest (CreatedAt,
	// then ID) first; an empty slice when there are none.
	ListCredentials(ctx context.Context, userID string) ([]CredentialRecord, error)
	// UseCredential records a verified assertion of the user's credential:
	// it sets SignCount = signCount, BackupState = backupState and
	// LastUsedAt = now, but only if signCount > SignCount, or both are 0;
	// otherwise it returns ErrSignCount and changes nothing. ErrNotFound
	// when the credential does not exist or is not the user's. Of
	// concurrent calls with one signCount > 0, exactly one wins.
	UseCredential(ctx context.Context, userID string, credentialID []byte, signCount uint32, backupState bool, now time.Time) (CredentialRecord, error)
	// RenameCredential sets Alias = alias and UpdatedAt = now on the user's
	// credential with record id id, returning the updated record, or
	// ErrNotFound.
	RenameCredential(ctx context.Context, userID, id, alias string, now time.Time) (CredentialRecord, error)
	// DeleteCredential removes the user's credential with record id id
	// (ErrNotFound if absent). With keepOne set it refuses, with
	// ErrLastCredential, to remove the user's only remaining credential; of
	// concurrent deletions under keepOne at least one credential survives.
	DeleteCredential(ctx context.Context, userID, id string, keepOne bool) error
	// DeleteUserCredentials removes every credential of the user, for a
	// deleted account; a no-op for a user with none.
	DeleteUserCredentials(ctx context.Context, userID string) error
}

// Store is everything the Service persists. NewMemoryStore returns one;
// store/postgres and store/redis provide others; passkeytest.RunStoreTests
// checks any implementation.
type Store interface {
	ChallengeStore
	CredentialStore
}
