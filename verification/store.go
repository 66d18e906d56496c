package verification

import (
	"context"
	"time"

	"github.com/authkit/authkit/ratelimit"
)

// Channel is how a code is delivered.
type Channel string

// The channels.
const (
	ChannelSMS   Channel = "sms"
	ChannelEmail Channel = "email"
)

// Record is one verification as stored. It is plain data so any backend can
// hold it as a row or a hash; all times are absolute.
type Record struct {
	// ID is the verification's UUID (the API's verificationUUID).
	ID string
	// Channel is ChannelSMS or ChannelEmail.
	Channel Channel
	// Destination is where codes go: E.164 for SMS ("+19172113333"), the
	// lower-cased address for email. It never changes.
	Destination string
	// PhoneCountryCode, PhoneNational and PhoneRegion are the parts of an
	// SMS destination ("1", "9172113333", "US"), kept so a check can build
	// the credential without re-parsing. Empty for email.
	PhoneCountryCode string
	PhoneNational    string
	PhoneRegion      string
	// CodeHash is HMAC-SHA256(key, id ‖ code) of the current code under
	// the newest hash key at the time it was issued. The code itself is never
	// stored.
	CodeHash []byte
	// Attempts counts wrong submissions, across resends.
	Attempts int
	// Sends counts codes issued for this verification (1 + resends).
	Sends int
	// CreatedAt is when the verification was started.
	CreatedAt time.Time
	// SentAt is when the current code was issued.
	SentAt time.Time
	// ExpiresAt is when the current code stops working (valid while
	// now < ExpiresAt).
	ExpiresAt time.Time
	// PurgeAt is when the store may forget the record entirely. It lies
	// after ExpiresAt so that a late submission gets ErrExpired (and a
	// replayed one ErrAlreadyUsed) rather than ErrNotFound.
	PurgeAt time.Time
	// UsedAt is when the right code was accepted; zero while pending.
	UsedAt time.Time
}

// Store holds verifications and the send limits. Every method
// that reads and writes does so as one atomic operation; times are passed
// in (stores never read a clock), so expiry is decided by the caller's now.
//
// Implementations must pass verificationtest.RunStoreTests. Hints for SQL
// and Lua are given on each method; the failure paths (classifying why an
// update matched no row) need not be atomic with it.
type Store interface {
	// Create stores a new record. It returns ErrDuplicate if the id is taken.
	Create(ctx context.Context, rec Record) error

	// Get returns the record with id, or ErrNotFound.
	Get(ctx context.Context, id string) (Record, error)

	// ReplaceCode sets a new code on a verification (a resend): CodeHash =
	// codeHash, SentAt = now, ExpiresAt and PurgeAt as given, Sends + 1.
	// Attempts is kept. It returns the updated record, or ErrNotFound,
	// ErrAlreadyUsed (UsedAt set), or ErrTooManyAttempts (Attempts ≥
	// maxAttempts). An expired record may be given a new code.
	//
	// SQL: UPDATE … WHERE id=$1 AND used_at IS NULL AND attempts < $max RETURNING ….
	ReplaceCode(ctx context.Context, id string, codeHash []byte, now, expiresAt, purgeAt time.Time, maxAttempts int) (Record, error)

	// Attempt submits a code, as its keyed hashes under each configured
	// hash key (candidates), and atomically decides:
	//   - unknown id: ErrNotFound;
	//   - UsedAt set: ErrAlreadyUsed;
	//   - now ≥ ExpiresAt: ErrExpired;
	//   - Attempts ≥ maxAttempts: ErrTooManyAttempts;
	//   - a candidate equals CodeHash: UsedAt = now, returns the record, nil;
	//   - otherwise: Attempts + 1, returns the updated record and ErrWrongCode.
	// Only the last case changes Attempts; only the one before it sets
	// UsedAt. Comparison should be constant-time where the backend allows.
	// candidates is the caller's buffer, reused once the call returns: a
	// store must not keep it. The returned record may leave CodeHash nil:
	// callers of Attempt have no use for it, and not returning it spares a
	// copy.
	//
	// SQL: UPDATE … SET attempts = attempts + (CASE WHEN code_hash = ANY($2)
	// THEN 0 ELSE 1 END), used_at = CASE … END WHERE id=$1 AND used_at IS
	// NULL AND expires_at > $now AND attempts < $max RETURNING …, matched.
	Attempt(ctx context.Context, id string, candidates [][]byte, now time.Time, maxAttempts int) (Record, error)

	// Limiter returns a limiter on the store's backend (the send limits
	// are ratelimit limiters): ratelimit.MemoryBackend in memory, or the
	// Limiter of store/postgres or store/redis. Limiters with one Name
	// share their state across every Service on the store.
	ratelimit.Backend
}

// LimitedCreator is an optional capability of a Store: Start asks a Store
// that has it for the send limits and the new record in one atomic step
// (on store/postgres, one statement and one round trip instead of three).
type LimitedCreator interface {
	// CreateLimited asks each limiter of limits, in order, for one event
	// on key, stopping at the first that refuses, and then, if none
	// refused, stores rec as Create does. It returns the index in limits
	// of the limiter that refused and its Decision, or -1 once rec is
	// stored; ErrDuplicate if rec's id is taken. Events counted before a
	// refusal or a duplicate stay counted, as when the limiters are asked
	// one by one. When a limiter is not one the store can decide itself
	// (not of its own backend), it does nothing and returns an error
	// wrapping errors.ErrUnsupported: the caller then asks the limiters
	// and calls Create.
	CreateLimited(ctx context.Context, rec Record, key string, limits []ratelimit.Limiter) (refused int, d ratelimit.Decision, err error)
}

// ChannelAttempter is an optional capability of a Store: Service.ProveOn
// asks a Store that has it to check the record's channel in the attempt's
// atomic step (on store/postgres, one round trip) instead of reading the
// record first.
type ChannelAttempter interface {
	// AttemptOn is Attempt for a record started on channel ch: a record
	// of another channel is ErrNotFound and is left unchanged.
	AttemptOn(ctx context.Context, ch Channel, id string, candidates [][]byte, now time.Time, maxAttempts int) (Record, error)
}
