package account

import (
	"context"
	"time"

	"github.com/authkit/authkit"
)

// Store keeps users and their credentials. Every method is one atomic
// operation; a SQL store runs each in one transaction (or one statement), so
// that a credential key is unique across users (a unique index on the key
// makes that hold under any concurrency) and a user never loses its last
// sign-in-enabled credential.
//
// What a store keeps of an authkit.User: ID, ProjectEnvironmentID, the
// Profile fields, FirstVisit, LastVisit, LastVerifiedCredentialID and the
// credentials (in the order they were attached), each with its Key. It need
// not keep Email and PhoneNumber (the Service derives them from the
// credentials), nor request-scoped fields (SessionID, Scope, NewUser,
// MFABackupCodeAcknowledgement, MissingFields).
//
// Ids: the Service passes fresh random UUIDs in authkit.User.ID and
// Credential.ID. A store over a host's own table may assign its own ids
// instead (a serial column): it then ignores those and returns the ids it
// stored, which the Service uses from then on. Ids a store returns must
// satisfy ValidID.
//
// accounttest.RunStoreTests checks an implementation, concurrency included.
type Store interface {
	// FindOrCreate is a sign-in with cred. When a user holds a credential
	// with cred.Key, the store refreshes that credential (it takes cred's
	// fields but keeps its ID and SignInEnabled, which only attaching
	// sets, so that no refresh takes away a user's last sign-in
	// credential) and records the visit: the credential's
	// LastSelectedAt and the user's LastVisit become now, its
	// LastVerifiedCredentialID the credential's id; it returns that user
	// and created = false. Otherwise it stores u (which has no credentials
	// and FirstVisit = LastVisit = now) holding cred, the same visit
	// recorded, and returns it with created = true. Of concurrent calls
	// with one new key exactly one creates a user; the others return it.
	FindOrCreate(ctx context.Context, u authkit.User, cred Credential, now time.Time) (user authkit.User, created bool, err error)
	// Link attaches cred to the user, recording the visit as FindOrCreate
	// does; when the user already holds cred.Key it refreshes that
	// credential instead. ErrNotFound for an unknown user;
	// ErrCredentialTaken, changing nothing, when another user holds the
	// key. Of concurrent links of one key to different users at most one
	// succeeds. Attach order is the order links take effect in: the user
	// a Link returns holds every credential attached before cred, so the
	// last of concurrent links sees all the others.
	Link(ctx context.Context, userID string, cred Credential, now time.Time) (authkit.User, error)
	// Unlink removes the user's credential credentialID and frees its key.
	// ErrNotFound for an unknown user, ErrCredentialNotFound when the user
	// holds no such credential, ErrLastCredential (changing nothing) when
	// it is the user's only sign-in-enabled credential. If it was the
	// LastVerifiedCredentialID, that becomes "".
	Unlink(ctx context.Context, userID, credentialID string) (authkit.User, error)
	// Get returns the user or ErrNotFound.
	Get(ctx context.Context, userID string) (authkit.User, error)
	// UpdateProfile sets the non-nil fields of p (see Profile.Apply) and
	// returns the user, or ErrNotFound. Concurrent updates of different
	// fields all survive.
	UpdateProfile(ctx context.Context, userID string, p Profile) (authkit.User, error)
	// Delete removes the user and its credentials, freeing their keys, or
	// returns ErrNotFound.
	Delete(ctx context.Context, userID string) error
}
