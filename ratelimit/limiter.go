package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Limiter decides, per key, whether an event may happen now.
// Implementations must be safe for concurrent use and decide each key's
// events atomically: of N concurrent calls for a key with R remaining,
// exactly min(N, R) are allowed.
type Limiter interface {
	// Allow records one event for key if the key's rule allows it now and
	// reports the decision. A denied event is not recorded. The error is
	// non-nil only when no decision could be made (a canceled context, a
	// backend failure); callers should then fail closed.
	Allow(ctx context.Context, key string) (Decision, error)
}

// Counter is a [Limiter] that can also take events back. Every limiter of
// this module (Memory, and those of store/postgres and store/redis) is one.
type Counter interface {
	Limiter
	// Refund gives back the key's most recent allowed event, for an event
	// that should not count after all (a right code, where only failures
	// are limited). With nothing to give back it changes nothing.
	Refund(ctx context.Context, key string) error
	// Reset forgets the key, as if it had never been seen (an
	// administrator's unlock). A no-op for an unknown key.
	Reset(ctx context.Context, key string) error
}

// LimiterConfig names a limiter and its rule for [Backend.Limiter]; the
// memory, PostgreSQL and Redis backends all take it.
type LimiterConfig struct {
	// Name separates this limiter's keys from other limiters' (for example
	// "sends" and "signin"): limiters of one backend with the same Name
	// share their state, so give each rule a name of its own. Required;
	// at most 64 bytes, no '{' or '}'.
	Name string
	// Rule is applied to every key. Required (see Rule.Validate).
	Rule Rule
	// Now returns the current time; nil means the backend's clock.
	// Decisions use this clock, never a database server's.
	Now func() time.Time
}

// Validate reports whether c is usable, wrapping [ErrConfig] or
// [ErrInvalidRule] if not.
func (c LimiterConfig) Validate() error {
	if c.Name == "" || len(c.Name) > 64 || strings.ContainsAny(c.Name, "{}") {
		return fmt.Errorf("%w: limiter Name must be 1-64 bytes without braces", ErrConfig)
	}
	return c.Rule.Validate()
}

// Backend makes limiters whose state lives in one place: this process
// ([MemoryBackend]), a PostgreSQL database or a Redis. A host swaps one for
// another without touching the code that uses the limiters.
type Backend interface {
	// Limiter returns a limiter applying cfg.Rule to every key under
	// cfg.Name.
	Limiter(cfg LimiterConfig) (Counter, error)
}

// Decision is the outcome of one [Limiter.Allow] call.
type Decision struct {
	// Allowed reports whether the event was allowed (and recorded).
	Allowed bool
	// Remaining is how many more events the key could make right now
	// without waiting. Zero when denied.
	Remaining int
	// RetryAfter is, for a denied event, how long until the next event for
	// the key will be allowed. Zero when allowed, and for a denial by a
	// Lifetime cap (see Rule.Lifetime), which no wait ends.
	RetryAfter time.Duration
}

// Err returns nil for an allowed decision and a *[LimitedError] (which
// matches [ErrLimited]) for a denied one.
func (d Decision) Err() error {
	return d.ErrAs(nil)
}

// ErrAs is [Decision.Err] with the caller's own sentinel: a denial is a
// *[LimitedError] whose Err is sentinel, so errors.Is matches both
// sentinel and [ErrLimited], and the message is the sentinel's.
func (d Decision) ErrAs(sentinel error) error {
	if d.Allowed {
		return nil
	}
	return &LimitedError{RetryAfter: d.RetryAfter, Err: sentinel}
}

// ErrLimited is matched (with errors.Is) by every *[LimitedError].
var ErrLimited = errors.New("ratelimit: rate limit exceeded")

// LimitedError reports a denied event and when to retry. It is the one
// error type of the module that carries a RetryAfter: verification send
// limits and mfa failure limits return it too, with their own sentinel in
// Err. errors.Is(err, ErrLimited) and errors.Is(err, e.Err) both hold; use
// errors.As to read RetryAfter (for an HTTP Retry-After header, RFC 9110
// §10.2.3, round up to whole seconds).
type LimitedError struct {
	// RetryAfter is how long to wait before the next attempt can succeed.
	RetryAfter time.Duration
	// Err is the refusing package's sentinel, such as
	// verification.ErrRateLimited; nil for a bare limiter denial.
	Err error
}

// Error implements error. It names the refusal and the delay, never the key.
func (e *LimitedError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%v; retry after %s", e.Err, e.RetryAfter)
	}
	return fmt.Sprintf("ratelimit: rate limit exceeded, retry after %s", e.RetryAfter)
}

// Is reports whether target is [ErrLimited].
func (e *LimitedError) Is(target error) bool { return target == ErrLimited }

// Unwrap returns Err, so that errors.Is matches the package sentinel.
func (e *LimitedError) Unwrap() error { return e.Err }
