package mfa

import (
	"context"
	"errors"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/ratelimit"
)

// Errors returned by Store implementations. The Service translates them into
// its caller-facing errors (ErrDeviceNotFound, ErrInvalidCode, …); hosts
// writing their own store must return these sentinels (wrapped or not) so that
// the translation works.
var (
	// ErrNotFound: no such device, recovery set, recovery code or live token.
	ErrNotFound = errors.New("mfa: not found")
	// ErrDuplicate: a record with that id (device id, token digest) already exists.
	ErrDuplicate = errors.New("mfa: duplicate record")
	// ErrStepUsed: the TOTP step is not later than the device's last accepted step.
	ErrStepUsed = errors.New("mfa: time step already used")
	// ErrAlreadyConfirmed: Devices.Confirm of a device that is already verified.
	ErrAlreadyConfirmed = errors.New("mfa: device already confirmed")
)

// DeviceType is the kind of an MFA device. Only TOTP is implemented.
type DeviceType string

// DeviceTypeTOTP is an authenticator-app device (RFC 6238).
const DeviceTypeTOTP DeviceType = "totp"

// DeviceRecord is a stored MFA device. It is plain data; every field maps to
// one column.
type DeviceRecord struct {
	ID     string     // random UUID, unique across users
	UserID string     // owner
	Type   DeviceType // "totp"
	Alias  string     // optional display name
	// SealedSecret is the TOTP secret sealed by the Service's Sealer with the
	// device id as associated data; stores never see the plain secret.
	SealedSecret []byte
	Verified     bool      // confirmed with a first code
	Default      bool      // at most one verified device per user is the default
	CreatedAt    time.Time // enrollment time
	VerifiedAt   time.Time // zero until confirmed
	// LastStep is the last accepted TOTP time step (unix/period); 0 = none.
	// Only a strictly larger step is accepted afterwards (RFC 6238 §5.2).
	LastStep uint64
}

// DeviceStore holds TOTP devices. The rules that span a user's devices live
// in Devices' methods; a store runs them atomically through UpdateDevices
// and keeps one per-device operation, the hot TOTP replay guard.
type DeviceStore interface {
	// GetDevice returns the user's device, or ErrNotFound (also when the
	// device belongs to another user).
	GetDevice(ctx context.Context, userID, deviceID string) (DeviceRecord, error)
	// ListDevices returns the user's devices, oldest (CreatedAt, then ID) first;
	// an empty slice when there are none.
	ListDevices(ctx context.Context, userID string) ([]DeviceRecord, error)
	// UpdateDevices atomically replaces the user's devices with what fn
	// returns. fn gets a copy of the current devices, oldest first (empty,
	// not nil, for a user with none); the devices missing from its result
	// are deleted, the new ones inserted and the others overwritten. If fn
	// returns an error, nothing changes and UpdateDevices returns that error
	// as it is. Concurrent UpdateDevices and MarkStepUsed calls for one user
	// take effect one after the other, none lost; a store may run fn more
	// than once (after a conflict), so fn must have no other effect. Every
	// record fn returns belongs to userID, with a distinct ID; a store
	// returns ErrDuplicate for an ID that another user's device holds (if it
	// can see other users' devices).
	UpdateDevices(ctx context.Context, userID string, fn func(Devices) (Devices, error)) error
	// MarkStepUsed atomically sets LastStep = step on a verified device if
	// step > LastStep, else returns ErrStepUsed (ErrNotFound for a missing or
	// unverified device). Of concurrent calls with one step exactly one wins.
	MarkStepUsed(ctx context.Context, userID, deviceID string, step uint64) error
}

// RecoveryCodeRecord is one unused recovery code.
type RecoveryCodeRecord struct {
	// Digest is the keyed hash (HMAC-SHA256, context = user id) of the
	// canonical code; checking a code is one hash plus a lookup by Digest.
	Digest []byte
	// Sealed is the code sealed by the Sealer (associated data: user id), so
	// that the existing set can be shown again (GET users/mfa/recovery).
	Sealed []byte
}

// RecoverySet is a user's current recovery codes. Used codes are removed.
type RecoverySet struct {
	UserID    string
	Codes     []RecoveryCodeRecord // unused codes, in issue order
	CreatedAt time.Time
	// Acknowledgement is AcknowledgementPending after a set was issued,
	// AcknowledgementComplete once the user acknowledged it.
	Acknowledgement authkit.BackupCodeAcknowledgement
}

// RecoveryStore holds one recovery-code set per user.
type RecoveryStore interface {
	// ReplaceRecoverySet atomically replaces the user's set (all previous
	// codes become invalid) with set.
	ReplaceRecoverySet(ctx context.Context, set RecoverySet) error
	// CreateRecoverySet stores set if the user has none and returns it with
	// created = true; otherwise it returns the existing set unchanged and
	// created = false. Concurrent calls create one set.
	CreateRecoverySet(ctx context.Context, set RecoverySet) (current RecoverySet, created bool, err error)
	// GetRecoverySet returns the user's set or ErrNotFound.
	GetRecoverySet(ctx context.Context, userID string) (RecoverySet, error)
	// ConsumeRecoveryCode atomically removes the code with this digest from
	// the user's set and returns how many codes remain; ErrNotFound if the
	// user has no such code. Of concurrent calls exactly one wins.
	ConsumeRecoveryCode(ctx context.Context, userID string, digest []byte) (remaining int, err error)
	// SetAcknowledgement sets the acknowledgement state of the user's set
	// (ErrNotFound if there is none).
	SetAcknowledgement(ctx context.Context, userID string, state authkit.BackupCodeAcknowledgement) error
}

// RecoveryAttempter is an optional capability of a Store: it keeps each
// user's recovery-code failures (the state of a ratelimit Sliding rule) in
// the recovery record, so that the failure limit, the consume and the
// failure count are one atomic step, instead of a reserve on the store's
// failure limiter, a consume and a refund. A Service whose Store
// implements it uses it for AuthenticateRecovery and ResetFailures and
// asks the Store for no recovery failure limiter. MemoryStore implements
// it with a ratelimit.Log under its lock; store/postgres and store/redis
// in one statement or script, with the rule's SQL and Lua ports.
// mfatest.RunStoreTests runs its cases on a store that has it, including
// one that compares every decision with ratelimit.Rule.Attempt's.
type RecoveryAttempter interface {
	// AttemptRecoveryCode decides an attempt under rule (a Sliding rule)
	// on the failures kept with the user's set, at now (nil: time.Now;
	// read only if needed), and returns:
	//   - a code whose digest is one of digests (one per hash key): it is
	//     removed; the count left, an allowed d, nil;
	//   - no such code: a failure is counted; an allowed d, ErrNotFound;
	//   - over the limit: nothing is checked or changed; a denied d with
	//     its RetryAfter, nil;
	//   - a user without a set: ErrNotFound, nothing counted (there is no
	//     code to guess).
	// Of concurrent calls, each code is used once and no more failures are
	// counted than rule allows. A done context, or a rule that is not a
	// valid Sliding rule (ratelimit.ErrInvalidRule), is an error that
	// changes nothing. digests is the caller's buffer, reused once the
	// call returns: a store must not keep it.
	AttemptRecoveryCode(ctx context.Context, userID string, digests [][]byte, rule ratelimit.Rule, now func() time.Time) (remaining int, d ratelimit.Decision, err error)
	// ResetRecoveryFailures forgets the user's counted failures (nil if
	// there are none). ReplaceRecoverySet, CreateRecoverySet and
	// DeleteUser keep them.
	ResetRecoveryFailures(ctx context.Context, userID string) error
}

// TokenRecord is a stored MFA token. The token itself is never stored.
type TokenRecord struct {
	Digest    []byte    // keyed hash of the token (context = user id)
	UserID    string    // the user it was issued to
	SessionID string    // the session it is bound to; "" = any session of the user
	SingleUse bool      // removed by its first use
	CreatedAt time.Time // issue time (the Service's clock)
	ExpiresAt time.Time // absolute expiry
}

// TokenStore holds MFA tokens.
type TokenStore interface {
	// CreateToken inserts t (ErrDuplicate if the digest exists).
	CreateToken(ctx context.Context, t TokenRecord) error
	// UseToken atomically finds the token with this digest that belongs to
	// userID, is bound to sessionID or to no session, and has ExpiresAt > now;
	// a single-use token is deleted in the same operation. It returns the
	// record or ErrNotFound. Of concurrent uses of a single-use token exactly
	// one wins.
	UseToken(ctx context.Context, digest []byte, userID, sessionID string, now time.Time) (TokenRecord, error)
}

// Store is everything the Service persists. NewMemoryStore returns one;
// store/postgres and store/redis provide others; mfatest.RunStoreTests checks
// any implementation.
type Store interface {
	DeviceStore
	RecoveryStore
	TokenStore
	UserStore
	// Limiter hands out the failure limiters (ratelimit Sliding rules on
	// the store's backend: ratelimit.MemoryBackend in memory, the Limiter
	// of store/postgres or store/redis), so failures are counted where
	// every other limit is.
	ratelimit.Backend
}
