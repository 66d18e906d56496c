package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors about the state of a sign-in. Every one of them wraps
// ErrInvalidState, so a host that answers them all alike (Dynamic's
// invalid_oauth_state) needs one errors.Is check, and a host that wants
// detail can tell them apart.
var (
	// ErrInvalidState is the parent of every state error below.
	ErrInvalidState = errors.New("oauth: invalid state")
	// ErrNotFound: no sign-in was started with this state (or the store
	// has already forgotten it, some time after its expiry), or a callback
	// carried no state at all.
	ErrNotFound = fmt.Errorf("%w: unknown state", ErrInvalidState)
	// ErrStateExpired: the state outlived its lifetime (10 minutes by default).
	ErrStateExpired = fmt.Errorf("%w: expired state", ErrInvalidState)
	// ErrStateUsed: the state was already consumed by a completion attempt.
	ErrStateUsed = fmt.Errorf("%w: state already used", ErrInvalidState)
	// ErrDuplicate: Create was given a state that is already live. A client
	// that picks its own state must pick a fresh one.
	ErrDuplicate = fmt.Errorf("%w: state already exists", ErrInvalidState)
	// ErrStateMismatch: the state was made for another provider or another
	// redirect URL than the one it is being used with, or a callback's iss
	// is not the provider's issuer (a mix-up, RFC 9207 §2.4).
	ErrStateMismatch = fmt.Errorf("%w: state made for another provider or redirect URL", ErrInvalidState)
	// ErrCallbackRecorded: the provider's callback for this state was
	// already recorded; a state takes exactly one callback.
	ErrCallbackRecorded = fmt.Errorf("%w: callback already recorded", ErrInvalidState)
)

// State is everything the server remembers about one sign-in between its
// start and its completion. It is a plain record so that any backend can
// store it as a row or a hash; all times are absolute.
//
// CodeVerifier, Nonce and Code are secrets of a live sign-in: a store keeps
// them only until ExpiresAt (plus its retention) and never logs them.
type State struct {
	// State is the opaque value sent to the provider and echoed back; it is
	// the record's key.
	State string
	// Provider is the name of the provider the sign-in was started with.
	Provider string
	// RedirectURL is the redirect_uri sent to the provider; the code
	// exchange must repeat it exactly.
	RedirectURL string
	// ReturnURL is where the host sends the browser after the callback
	// (Dynamic's redirectUrl); empty when there is none.
	ReturnURL string
	// CodeVerifier is the PKCE verifier when the server holds it; empty when
	// the client holds it and will present it at completion.
	CodeVerifier string
	// CodeChallenge is the PKCE S256 challenge sent to the provider. With
	// CodeVerifier it is empty only for a client-built sign-in
	// (InitRequest.ClientBuiltURL), whose challenge only the client knows.
	CodeChallenge string
	// Nonce is the OpenID Connect nonce; empty for providers without ID tokens.
	Nonce string
	// CreatedAt is when the sign-in started.
	CreatedAt time.Time
	// ExpiresAt is when the state stops being usable.
	ExpiresAt time.Time

	// CallbackAt is when the provider's callback was recorded; zero before.
	CallbackAt time.Time
	// Code is the authorization code the callback carried, exactly as received.
	Code string
	// Error is the error code the callback carried instead (access_denied, …).
	Error string
	// ErrorDescription is the provider's error_description, if any.
	ErrorDescription string
	// CallbackUser is extra, unverified profile JSON that arrived with the
	// callback: Apple's "user" form field, sent on the first sign-in only.
	CallbackUser string

	// ConsumedAt is when a completion attempt consumed the state; zero before.
	ConsumedAt time.Time
}

// Callback is what the provider's redirect carried for a state.
type Callback struct {
	// Code is the authorization code, exactly as received.
	Code string
	// Error is the provider's error code (access_denied, …), if any.
	Error string
	// ErrorDescription is the provider's human-readable error text.
	ErrorDescription string
	// User is Apple's first-sign-in "user" JSON, if any (unverified).
	User string
}

// Store keeps sign-in states. Each method is one atomic operation;
// none is a read-modify-write left to the caller. Implementations compare
// expiry against the now they are given (never their own clock), so the
// same conformance suite runs against every backend:
// oauthtest.RunStoreTests.
//
// A store keeps a record at least until its ExpiresAt and may forget it
// any time after ExpiresAt + StateRetention; until it forgets, methods
// report ErrStateExpired for it, afterwards ErrNotFound. A record
// with a callback recorded or consumed has nothing left to tell a late
// caller, so it may be forgotten from its ExpiresAt on: completed sign-ins
// (and the codes they carry) do not linger for StateRetention.
//
// Each method maps onto one statement or script. In SQL, Consume is
//
//	UPDATE oauth_states SET consumed_at = $now
//	WHERE state = $1 AND consumed_at IS NULL AND expires_at > $now RETURNING *
//
// followed, only when no row came back, by a SELECT that tells
// not-found, expired and used apart; RecordCallback is the same UPDATE with
// "callback_at IS NULL" added; Create is INSERT … ON CONFLICT (state) DO
// UPDATE … WHERE oauth_states.expires_at <= $now (no row affected means
// ErrDuplicate). In Redis each is a short Lua script over a hash whose
// key expires at ExpiresAt + StateRetention.
type Store interface {
	// Create stores a new record. If a record with the same State exists and
	// has not expired at now, it fails with ErrDuplicate and changes
	// nothing; an expired record with that State is replaced.
	Create(ctx context.Context, rec State, now time.Time) error

	// Get returns the record for state: ErrNotFound if there is none,
	// ErrStateExpired if now is at or after its ExpiresAt. A consumed record
	// is returned as is (ConsumedAt set).
	Get(ctx context.Context, state string, now time.Time) (State, error)

	// RecordCallback stores what the provider's callback carried, once:
	// it sets CallbackAt to now and Code, Error, ErrorDescription and
	// CallbackUser from cb, and returns the updated record. It fails with
	// ErrNotFound, ErrStateExpired, ErrStateUsed (already consumed) or
	// ErrCallbackRecorded (a callback was already stored), changing nothing.
	// Of concurrent calls for one state, exactly one succeeds.
	RecordCallback(ctx context.Context, state string, cb Callback, now time.Time) (State, error)

	// Consume marks the record used (ConsumedAt = now) and returns the
	// updated record, so that exactly one completion gets past the state
	// check.
	// It fails with ErrNotFound, ErrStateExpired or ErrStateUsed,
	// changing nothing. Of concurrent calls for one state, exactly one
	// succeeds.
	Consume(ctx context.Context, state string, now time.Time) (State, error)
}

// StateRetention is how long after ExpiresAt a store must at least keep
// reporting ErrStateExpired (rather than ErrNotFound); stores may keep
// records longer.
const StateRetention = time.Hour
