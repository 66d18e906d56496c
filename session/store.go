package session

import (
	"context"
	"errors"
	"time"
)

// Store errors. Store implementations return these (wrapped or not) so that
// the Manager can branch with errors.Is.
var (
	// ErrNotFound: no session record with that id.
	ErrNotFound = errors.New("session: not found")
	// ErrExists: Create was called with an id that is already stored.
	ErrExists = errors.New("session: already exists")
	// ErrAlreadyUsed: a single-use token id (jti) was already consumed.
	// VerifyElevated returns it for a single-use elevated token used twice.
	ErrAlreadyUsed = errors.New("session: token already used")
)

// Record is one session as a Store keeps it: plain data, with absolute
// times, so that any backend can hold it in a row or a hash.
type Record struct {
	// ID is the session id, the sid claim of every token of the session.
	ID string
	// UserID is the sub of the session's tokens.
	UserID string
	// EnvironmentID is the environment (tenant) the session belongs to.
	EnvironmentID string
	// CreatedAt is when the user signed in.
	CreatedAt time.Time
	// ExpiresAt is the absolute end of the session (CreatedAt + MaxAge):
	// no token of it is minted, refreshed or accepted afterwards.
	ExpiresAt time.Time
	// RevokedAt is when the session was revoked; zero while it is live.
	RevokedAt time.Time
}

// Revoked reports whether the session was revoked.
func (r Record) Revoked() bool { return !r.RevokedAt.IsZero() }

// Store keeps session records and consumed token ids. Every method is one
// atomic operation: a Postgres adapter implements each as one SQL statement,
// a Redis adapter as one command or Lua script. Times that matter for expiry
// are passed in (now), never read from a clock inside the store. A zero
// RevokedAt is "not revoked" (NULL in SQL).
//
// For example, in SQL (sessions keyed by id, indexed by user_id; used_jtis
// keyed by jti):
//
//	Create:           INSERT INTO sessions …  -- unique violation → ErrExists
//	Revoke:           UPDATE sessions SET revoked_at = COALESCE(revoked_at, $2)
//	                  WHERE id = $1           -- no row → ErrNotFound
//	RevokeAllForUser: UPDATE sessions SET revoked_at = $2
//	                  WHERE user_id = $1 AND revoked_at IS NULL  -- rows affected
//	ConsumeJTI:       INSERT INTO used_jtis (jti, expires_at) VALUES ($1, $2)
//	                  ON CONFLICT (jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
//	                  WHERE used_jtis.expires_at < $3  -- no row → ErrAlreadyUsed
//
// and in Redis, ConsumeJTI is one script that stores expiresAt under the
// jti unless a stored expiresAt is still ≥ now (→ ErrAlreadyUsed), deciding
// by the caller's now rather than by a TTL set from one host's clock (a
// plain SET NX PXAT lets a host whose clock lags replay the token once the
// key expires); sessions are hashes with a per-user set of ids.
type Store interface {
	// Create stores a new session. It returns ErrExists if rec.ID is taken.
	Create(ctx context.Context, rec Record) error
	// Get returns the session with the given id, revoked or not, or
	// ErrNotFound. A backend may forget records whose ExpiresAt has passed
	// and then return ErrNotFound for them.
	Get(ctx context.Context, id string) (Record, error)
	// Revoke marks the session revoked at now. Revoking a revoked session
	// keeps the first RevokedAt and succeeds; an unknown id is ErrNotFound.
	Revoke(ctx context.Context, id string, now time.Time) error
	// RevokeAllForUser marks every not yet revoked session of the user
	// revoked at now and returns how many it marked (0 and no error when
	// there were none). Sessions created afterwards are not affected.
	RevokeAllForUser(ctx context.Context, userID string, now time.Time) (int, error)
	// ConsumeJTI records that the token id jti was used. Exactly one of any
	// number of concurrent calls with the same jti succeeds; the others,
	// and every later call while the first entry is live, get
	// ErrAlreadyUsed. The entry may be forgotten once expiresAt is before
	// now (the token it guards has expired by then and fails verification
	// on its own).
	ConsumeJTI(ctx context.Context, jti string, expiresAt, now time.Time) error
}
