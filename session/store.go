package session

import (
	"context"
	"time"
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

	// Generation counts the session's refreshes: tokens carry the
	// generation they were minted at, and only the current one (or the
	// previous one until GraceUntil) is accepted. Create stores 0 or the
	// given value; only Rotate changes it.
	Generation uint64
	// GraceUntil is when tokens of generation Generation-1 stop being
	// accepted (zero: already). Set by Rotate.
	GraceUntil time.Time
	// LastSeenAt is when a token of the session was last verified, to
	// within Config.TouchInterval. Set to CreatedAt by Create (when zero),
	// advanced by Touch and Rotate.
	LastSeenAt time.Time
	// UserAgent is the client's User-Agent at sign-in, cut to
	// maxUserAgentLength bytes, for the session inventory.
	UserAgent string
	// IPPrefix is the client's address at sign-in truncated to its /24
	// (IPv4) or /48 (IPv6) network, e.g. "203.0.113.0/24": enough to
	// recognise a device's network, never the full address (GDPR art. 5(1)(c)).
	IPPrefix string
}

// Live reports whether the session is unrevoked and unexpired at now.
func (r Record) Live(now time.Time) bool { return !r.Revoked() && now.Before(r.ExpiresAt) }

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
//	Create:           INSERT INTO sessions …  -- unique violation → ErrDuplicate
//	Revoke:           UPDATE sessions SET revoked_at = COALESCE(revoked_at, $2)
//	                  WHERE id = $1           -- no row → ErrNotFound
//	RevokeAllForUser: UPDATE sessions SET revoked_at = $2
//	                  WHERE user_id = $1 AND revoked_at IS NULL  -- rows affected
//	ConsumeJTI:       INSERT INTO used_jtis (jti, expires_at) VALUES ($1, $2)
//	                  ON CONFLICT (jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
//	                  WHERE used_jtis.expires_at < $3  -- no row → ErrAlreadyUsed
//
//	Rotate:           UPDATE sessions SET generation = generation + 1 …
//	                  WHERE id = $1 AND generation = $2 AND revoked_at IS NULL,
//	                  falling back to a CASE that revokes on reuse (one statement)
//
// and in Redis, ConsumeJTI is one script that stores expiresAt under the
// jti unless a stored expiresAt is still ≥ now (→ ErrAlreadyUsed), deciding
// by the caller's now rather than by a TTL set from one host's clock (a
// plain SET NX PXAT lets a host whose clock lags replay the token once the
// key expires); sessions are hashes with a per-user set of ids.
type Store interface {
	// Create stores a new session. It returns ErrDuplicate if rec.ID is taken.
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

	// Rotate is one refresh of session id by a token of generation gen, as
	// one atomic step:
	//   - unknown id: ErrNotFound;
	//   - revoked, or ExpiresAt not after now: the record unchanged, nil;
	//   - gen is the current Generation: Generation+1, GraceUntil =
	//     graceUntil, LastSeenAt = now; the new record, nil;
	//   - gen is Generation-1 and now is before GraceUntil (a second tab
	//     refreshing the token the first just replaced): the record
	//     unchanged, nil;
	//   - any other gen (superseded outside the grace window, or from
	//     the future): RevokedAt = now (kept if already set) and ErrRefreshReuse.
	// Of N concurrent calls with the current gen exactly one advances it.
	Rotate(ctx context.Context, id string, gen uint64, now, graceUntil time.Time) (Record, error)
	// Touch sets LastSeenAt to seen if that is later than the stored one.
	// An unknown id is ErrNotFound. The Manager calls it at most once per
	// Config.TouchInterval per session, so it is not a write per request.
	Touch(ctx context.Context, id string, seen time.Time) error
	// ListForUser returns the user's sessions that are live at now
	// (unrevoked, ExpiresAt after now), in any order.
	ListForUser(ctx context.Context, userID string, now time.Time) ([]Record, error)
}
