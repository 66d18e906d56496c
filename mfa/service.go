package mfa

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/internal/keyedhash"
	"github.com/authkit/authkit/ratelimit"
)

// Defaults of Config: what a zero field means.
const (
	DefaultSkew          = 1
	DefaultMaxAttempts   = 5
	DefaultFailureWindow = 5 * time.Minute
	// DefaultMaxLifetimeFailures is NIST SP 800-63B-4 §3.2.2's bound on
	// failed attempts for one account.
	DefaultMaxLifetimeFailures = 100
	DefaultMaxDevices          = 10
	DefaultRecoveryCodeCount   = 10
	DefaultSingleUseTokenTTL   = 5 * time.Minute
	DefaultMultiUseTokenTTL    = 10 * time.Minute
)

// Config configures a Service. Store, Sealer, HashKeys and Issuer are
// required; every other zero value means the documented default.
type Config struct {
	// Store persists devices, attempt counters, recovery codes and tokens.
	// Required. NewMemoryStore for a single process.
	Store Store
	// Sealer encrypts TOTP secrets and recovery codes at rest. Required;
	// NewAESGCMSealer or a host's KMS-backed implementation.
	Sealer Sealer
	// HashKeys are the HMAC-SHA256 keys (each at least 32 random bytes),
	// newest first, under which recovery codes and MFA tokens are hashed
	// for lookup. New values use the first key; all keys are tried when
	// checking, so a key can be rotated without invalidating codes or
	// tokens. Required.
	HashKeys [][]byte
	// Issuer names the service in authenticator apps (the otpauth URI's
	// issuer and label prefix). Required; printable, no ':'.
	Issuer string
	// Now returns the current time; nil means time.Now. TOTP requires a
	// trustworthy server clock (ASVS 6.5.8).
	Now func() time.Time
	// Rand is the randomness source for secrets, codes, tokens and ids; nil
	// means crypto/rand. Only tests should set it.
	Rand io.Reader
	// Logger receives security events (enrollment, confirmation, failures,
	// rate limiting) with user and device ids; codes, secrets and tokens are
	// never logged. nil disables logging.
	Logger *slog.Logger
	// Skew is how many time steps before and after the current one a TOTP
	// code is accepted for. 0 means DefaultSkew (1, i.e. ±30 s); a negative
	// value means the current step only; at most 2.
	Skew int
	// MaxAttempts is how many failed TOTP attempts (and, counted apart,
	// recovery-code attempts) a user gets in any FailureWindow; after that
	// every attempt, even a right one, fails with *ratelimit.LimitedError
	// until the oldest failure leaves the window. 0 means DefaultMaxAttempts
	// (5).
	MaxAttempts int
	// FailureWindow is the sliding window over which failures are counted
	// (a ratelimit Sliding rule: at most MaxAttempts failures in any span of
	// FailureWindow). 0 means DefaultFailureWindow (5 min).
	FailureWindow time.Duration
	// MaxLifetimeFailures caps a user's failed TOTP attempts across all
	// windows (NIST SP 800-63B-4 §3.2.2). A successful sign-in does not
	// reset the count: an attacker who owns the first factor cannot spread
	// guesses between the user's own sign-ins. At the cap every TOTP attempt
	// fails with ErrLockedOut until the host calls ResetFailures (after
	// confirming the user's identity another way); recovery codes, which no
	// one can guess, still work. 0 means DefaultMaxLifetimeFailures (100).
	MaxLifetimeFailures int
	// MaxDevices caps the devices (verified or not) a user may hold. At the
	// cap, a new enrollment replaces the oldest unverified device, and is
	// refused with ErrTooManyDevices only when all are verified. 0 means
	// DefaultMaxDevices (10).
	MaxDevices int
	// RecoveryCodeCount is the number of codes in a recovery set. 0 means
	// DefaultRecoveryCodeCount (10).
	RecoveryCodeCount int
	// SingleUseTokenTTL is the lifetime of a single-use MFA token. 0 means
	// DefaultSingleUseTokenTTL (5 min).
	SingleUseTokenTTL time.Duration
	// MultiUseTokenTTL is the lifetime of a multi-use MFA token. 0 means
	// DefaultMultiUseTokenTTL (10 min).
	MultiUseTokenTTL time.Duration
}

// Service implements TOTP devices, recovery codes and MFA tokens on top of a
// Store. It is safe for concurrent use; all state lives in the Store.
type Service struct {
	store       Store
	sealer      Sealer
	hash        *keyedhash.Hasher // every key, newest first
	issuer      string
	now         func() time.Time
	rand        io.Reader
	log         *slog.Logger
	skew        int
	maxFailures int
	window      time.Duration
	lifetimeMax int
	// Failure counts: MaxAttempts per FailureWindow, and for TOTP also
	// MaxLifetimeFailures. Recovery failures are counted by the store
	// itself (recoveryRule) when it is a RecoveryAttempter, else by
	// recoveryFailures.
	totpFailures, recoveryFailures ratelimit.Counter
	recoveryRule                   ratelimit.Rule
	attempter                      RecoveryAttempter
	maxDevices                     int
	recoveryN                      int
	singleTTL                      time.Duration
	multiTTL                       time.Duration
}

// New validates cfg and returns a Service.
// A nil Config.Store is an error wrapping ErrConfig: pass NewMemoryStore
// for one process.
func New(cfg Config) (*Service, error) {
	bad := func(msg string) (*Service, error) { return nil, fmt.Errorf("%w: %s", ErrConfig, msg) }
	if cfg.Store == nil {
		return bad("Store is required")
	}
	if cfg.Sealer == nil {
		return bad("Sealer is required")
	}
	if !validLabel(cfg.Issuer) {
		return bad("Issuer is required: printable, 1-255 bytes, no ':'")
	}
	if len(cfg.HashKeys) == 0 {
		return bad("HashKeys is required")
	}
	s := &Service{
		store:       cfg.Store,
		sealer:      cfg.Sealer,
		issuer:      cfg.Issuer,
		now:         clock.Or(cfg.Now),
		rand:        cfg.Rand,
		log:         cfg.Logger,
		skew:        orInt(cfg.Skew, DefaultSkew),
		maxFailures: orInt(cfg.MaxAttempts, DefaultMaxAttempts),
		window:      orDur(cfg.FailureWindow, DefaultFailureWindow),
		lifetimeMax: orInt(cfg.MaxLifetimeFailures, DefaultMaxLifetimeFailures),
		maxDevices:  orInt(cfg.MaxDevices, DefaultMaxDevices),
		recoveryN:   orInt(cfg.RecoveryCodeCount, DefaultRecoveryCodeCount),
		singleTTL:   orDur(cfg.SingleUseTokenTTL, DefaultSingleUseTokenTTL),
		multiTTL:    orDur(cfg.MultiUseTokenTTL, DefaultMultiUseTokenTTL),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.hash, err = keyedhash.New(cfg.HashKeys); err != nil {
		return bad(err.Error())
	}
	switch {
	case s.skew < 0:
		s.skew = 0
	case s.skew > 2:
		return bad("Skew must be at most 2")
	}
	if s.maxFailures < 0 || s.window < 0 || s.lifetimeMax < 0 || s.maxDevices < 0 || s.recoveryN < 0 || s.singleTTL < 0 || s.multiTTL < 0 {
		return bad("negative limit or duration")
	}
	if s.recoveryN > 100 {
		return bad("RecoveryCodeCount must be at most 100")
	}
	if err := s.limiters(); err != nil {
		return bad(err.Error())
	}
	return s, nil
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orDur(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// Names under which the Service asks its Store for its failure limiters
// (RecoveryFailureLimiterName only of a Store that is not a
// RecoveryAttempter). Services sharing a store share these counts, so they
// must agree on MaxAttempts, FailureWindow and MaxLifetimeFailures.
const (
	TOTPFailureLimiterName     = "mfa-totp-failures"
	RecoveryFailureLimiterName = "mfa-recovery-failures"
)

// limiters gets the failure limiters from the store: MaxAttempts per
// sliding FailureWindow, and for TOTP MaxLifetimeFailures in the same
// atomic step.
func (s *Service) limiters() error {
	rule := ratelimit.Rule{Sliding: true, Limit: s.maxFailures, Window: s.window}
	if err := rule.Validate(); err != nil {
		return err
	}
	s.recoveryRule = rule
	var err error
	if a, ok := s.store.(RecoveryAttempter); ok {
		s.attempter = a
	} else if s.recoveryFailures, err = s.store.Limiter(ratelimit.LimiterConfig{Name: RecoveryFailureLimiterName, Rule: rule, Now: s.now}); err != nil {
		return err
	}
	rule.Lifetime = s.lifetimeMax
	s.totpFailures, err = s.store.Limiter(ratelimit.LimiterConfig{Name: TOTPFailureLimiterName, Rule: rule, Now: s.now})
	return err
}

// reserve takes one failure slot for key from l before a code is
// evaluated, so N parallel wrong codes never get more evaluations than the
// limits allow. A refusal is a *ratelimit.LimitedError (ErrRateLimited),
// or ErrLockedOut at the lifetime cap (a denial no wait ends); a store
// error fails closed.
func (s *Service) reserve(ctx context.Context, l ratelimit.Counter, key string) error {
	d, err := l.Allow(ctx, key)
	switch {
	case err != nil:
		return err
	case d.Allowed:
		return nil
	}
	return s.refused(ctx, d, key)
}

// refused is the error for a failure limiter's denial d of key.
func (s *Service) refused(ctx context.Context, d ratelimit.Decision, key string) error {
	if d.RetryAfter == 0 {
		s.log.WarnContext(ctx, "mfa: attempt refused, lifetime failure limit reached", "key", key)
		return fmt.Errorf("%w: %w", ErrRateLimited, ErrLockedOut)
	}
	s.log.WarnContext(ctx, "mfa: attempt refused, failure limit reached", "key", key, "retry_after", d.RetryAfter)
	return d.ErrAs(ErrRateLimited)
}

// release gives the slot back after a successful attempt: only failures
// count towards the limits. A refund error is logged, not returned, since
// the authentication itself succeeded (the slot then leaves with its
// window; a lifetime slot stays counted, failing closed).
func (s *Service) release(ctx context.Context, l ratelimit.Counter, key string) {
	if err := l.Refund(ctx, key); err != nil {
		s.log.ErrorContext(ctx, "mfa: release attempt slot", "key", key, "err", err)
	}
}

// ResetFailures clears the user's failed-attempt counts, TOTP and recovery
// code, the lifetime count included: the unlock after ErrLockedOut. Call it
// only from a support or administration path, once the user's identity was
// established another way (NIST SP 800-63B-4 §3.2.2); it changes nothing
// else (devices, recovery codes and tokens stay as they are).
func (s *Service) ResetFailures(ctx context.Context, userID string) error {
	if userID == "" {
		return ErrInvalidUser
	}
	if err := s.totpFailures.Reset(ctx, totpKey(userID)); err != nil {
		return err
	}
	var err error
	if s.attempter != nil {
		err = s.attempter.ResetRecoveryFailures(ctx, userID)
	} else {
		err = s.recoveryFailures.Reset(ctx, recoveryKey(userID))
	}
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "mfa: failure counts reset", "user", userID)
	return nil
}

func totpKey(userID string) string { return "totp:" + userID }

// recoveryKey is the recovery failure limiter's key for userID.
func recoveryKey(userID string) string { return "recovery:" + userID }
