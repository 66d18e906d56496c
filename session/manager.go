package session

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/authkit/authkit/internal/clock"
)

// The defaults: a zero field of Config, MiddlewareConfig, StepUpConfig or
// Rule takes the value here. Each is documented once, on its constant.
const (
	// DefaultTTL of the full and minified tokens: 2 h, Dynamic's.
	DefaultTTL = 2 * time.Hour
	// DefaultMFAPendingTTL of tokens minted with MFAPending: they
	// only let the user finish MFA, so they are short (Auth0 10 min,
	// Cognito 3 min).
	DefaultMFAPendingTTL = 10 * time.Minute
	// DefaultMaxAge is the absolute session length: 30 days, NIST SP
	// 800-63B §4.1.3's AAL1 reauthentication bound and Dynamic's cap.
	DefaultMaxAge = 30 * 24 * time.Hour
	// DefaultElevatedSingleUseTTL is the lifetime of single-use elevated
	// tokens.
	DefaultElevatedSingleUseTTL = 5 * time.Minute
	// DefaultElevatedMultiUseTTL is the lifetime of multi-use elevated
	// tokens.
	DefaultElevatedMultiUseTTL = 10 * time.Minute
	// DefaultLeeway is the clock-skew allowance for exp, nbf and iat (RFC
	// 7519 §4.1.4); at most MaxLeeway.
	DefaultLeeway = 30 * time.Second
	// DefaultRefreshGrace is how long a token superseded by a refresh keeps
	// working: long enough for two tabs that read the same token to both
	// refresh it, short enough that a thief replaying a stolen token
	// minutes later is caught; at most MaxRefreshGrace.
	DefaultRefreshGrace = 5 * time.Second
	// DefaultTouchInterval is how often at most Verify records a session's
	// LastSeenAt.
	DefaultTouchInterval = time.Minute
	// DefaultJWKSMaxAge is the Cache-Control max-age of JWKSHandler.
	DefaultJWKSMaxAge = 5 * time.Minute

	// DefaultCookieName is Dynamic's session cookie name
	// (MiddlewareConfig.CookieName).
	DefaultCookieName = "DYNAMIC_JWT_TOKEN"
	// DefaultElevatedHeader is the request header MiddlewareConfig.RequireElevated reads
	// the elevated-access token from. Dynamic does not document one; this
	// name is our choice.
	DefaultElevatedHeader = "X-Elevated-Access-Token"
	// DefaultMFATokenHeader is the request header StepUp reads an MFA
	// token from (Dynamic's x-mfa-auth-token).
	DefaultMFATokenHeader = "X-Mfa-Auth-Token"
	// DefaultACR is the acr_values of StepUp's challenge: an
	// authentication context meaning "stepped up for this action". RFC
	// 9470 leaves the values to the deployment.
	DefaultACR = "step-up"
	// DefaultFreshFor is how long after a second-factor proof a session
	// counts as fresh for the rules with FreshMFA: 5 minutes, the
	// lifetime of a single-use elevated token.
	DefaultFreshFor = 5 * time.Minute
)

// Limits.
const (
	// MaxTokenSize is the largest token Verify parses, in bytes (8 KiB).
	// Larger ones are rejected before any decoding, so a hostile token
	// cannot make the server decode megabytes of base64 and JSON. The
	// minified token stays near 1.2 KiB; the full token grows by about
	// 230 bytes per credential, so servers should authenticate with the
	// minified one.
	MaxTokenSize = 8 << 10
	// MaxLeeway bounds Config.Leeway.
	MaxLeeway = 60 * time.Second
	// MaxRefreshGrace bounds Config.RefreshGrace: past it a replayed
	// token would pass for a second tab.
	MaxRefreshGrace = time.Minute
)

// Config configures a Manager. Keys and Issuer are required; every other
// zero value means the documented default.
type Config struct {
	// Keys signs new tokens with its active key and verifies with any
	// published key. Required.
	Keys *KeySet
	// Issuer is the iss claim minted and required on verification, e.g.
	// "auth.example.com/<environment id>". Required.
	Issuer string
	// Audience is the aud claim minted when MintOptions.Audience is empty.
	// Default: Issuer.
	Audience string
	// Audiences are further audiences Verify accepts besides Audience: the
	// allowed CORS origins when tokens are minted for the request Origin.
	// Verify rejects any other aud (RFC 8725 §3.9).
	Audiences []string
	// EnvironmentID is the environment_id (and client_id) claim. When set,
	// Verify rejects tokens of other environments with errIssuer. Default:
	// the user's ProjectEnvironmentID, unchecked.
	EnvironmentID string

	// TTL of the full and minified tokens. Default DefaultTTL.
	TTL time.Duration
	// MFAPendingTTL is the lifetime of tokens minted with
	// MFAPending. Default DefaultMFAPendingTTL.
	MFAPendingTTL time.Duration
	// MaxAge is the absolute session length: refresh stops there and the
	// user signs in again. Needs a Store to be enforced. Default
	// DefaultMaxAge.
	MaxAge time.Duration
	// ElevatedSingleUseTTL is the lifetime of single-use elevated tokens.
	// Default DefaultElevatedSingleUseTTL.
	ElevatedSingleUseTTL time.Duration
	// ElevatedMultiUseTTL is the lifetime of multi-use elevated tokens.
	// Default DefaultElevatedMultiUseTTL.
	ElevatedMultiUseTTL time.Duration
	// Leeway is the clock-skew allowance for exp, nbf and iat. Default
	// DefaultLeeway; at most MaxLeeway.
	Leeway time.Duration

	// Store keeps session records: revocation, refresh rotation with reuse
	// detection, the session inventory and single-use elevated tokens.
	// Required unless Stateless is set.
	Store Store
	// Stateless runs without a Store, and is UNSAFE for most hosts: a
	// token stays valid until its exp whatever happens (logout, a stolen
	// token, a deleted user, a changed password), refresh and the session
	// inventory are unavailable, and Refresh, Revoke, RevokeAll, Sessions
	// and single-use elevated tokens return ErrNoStore. Only for verifiers
	// that cannot reach the store and accept tokens living TTL. Setting
	// both Store and Stateless is an error.
	Stateless bool
	// RefreshGrace is how long a token superseded by a refresh stays
	// usable: it still authenticates, and refreshing it again is not taken
	// for theft but returns the current generation's tokens. Default
	// DefaultRefreshGrace; at most MaxRefreshGrace.
	RefreshGrace time.Duration
	// TouchInterval throttles the session's LastSeenAt: Verify writes it
	// at most once per interval per session (a request that finds it
	// older), so the inventory costs no write per request. Default
	// DefaultTouchInterval.
	TouchInterval time.Duration
	// JWKSMaxAge is the Cache-Control max-age of JWKSHandler. Default
	// DefaultJWKSMaxAge.
	JWKSMaxAge time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Rand is the source of session ids and token ids. Default crypto/rand;
	// tests may inject a reader.
	Rand io.Reader
}

// Manager mints, verifies, refreshes and revokes session tokens. It is safe
// for concurrent use.
type Manager struct {
	cfg       Config
	now       func() time.Time
	audiences map[string]struct{}
}

// New validates cfg, fills in defaults and returns a Manager.
func New(cfg Config) (*Manager, error) {
	if cfg.Keys == nil {
		return nil, fmt.Errorf("%w: Keys is required", ErrConfig)
	}
	if cfg.Keys.Active() == nil || !cfg.Keys.Active().CanSign() {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errNoSigningKey)
	}
	if cfg.Issuer == "" {
		return nil, fmt.Errorf("%w: Issuer is required", ErrConfig)
	}
	switch {
	case cfg.Store == nil && !cfg.Stateless:
		return nil, fmt.Errorf("%w: Store is required (or Stateless: true, which makes revocation impossible)", ErrConfig)
	case cfg.Store != nil && cfg.Stateless:
		return nil, fmt.Errorf("%w: Stateless with a Store", ErrConfig)
	}
	if cfg.Audience == "" {
		cfg.Audience = cfg.Issuer
	}
	def := func(d *time.Duration, v time.Duration, name string) error {
		if *d < 0 {
			return fmt.Errorf("%w: %s is negative", ErrConfig, name)
		}
		if *d == 0 {
			*d = v
		}
		return nil
	}
	if err := errors.Join(
		def(&cfg.TTL, DefaultTTL, "TTL"),
		def(&cfg.MFAPendingTTL, DefaultMFAPendingTTL, "MFAPendingTTL"),
		def(&cfg.MaxAge, DefaultMaxAge, "MaxAge"),
		def(&cfg.ElevatedSingleUseTTL, DefaultElevatedSingleUseTTL, "ElevatedSingleUseTTL"),
		def(&cfg.ElevatedMultiUseTTL, DefaultElevatedMultiUseTTL, "ElevatedMultiUseTTL"),
		def(&cfg.Leeway, DefaultLeeway, "Leeway"),
		def(&cfg.JWKSMaxAge, DefaultJWKSMaxAge, "JWKSMaxAge"),
		def(&cfg.RefreshGrace, DefaultRefreshGrace, "RefreshGrace"),
		def(&cfg.TouchInterval, DefaultTouchInterval, "TouchInterval"),
	); err != nil {
		return nil, err
	}
	if cfg.Leeway > MaxLeeway {
		return nil, fmt.Errorf("%w: Leeway %v exceeds %v", ErrConfig, cfg.Leeway, MaxLeeway)
	}
	if cfg.RefreshGrace > MaxRefreshGrace {
		return nil, fmt.Errorf("%w: RefreshGrace %v exceeds %v", ErrConfig, cfg.RefreshGrace, MaxRefreshGrace)
	}
	if cfg.TTL > cfg.MaxAge {
		return nil, fmt.Errorf("%w: TTL exceeds MaxAge", ErrConfig)
	}
	m := &Manager{cfg: cfg, now: clock.Or(cfg.Now), audiences: map[string]struct{}{cfg.Audience: {}}}
	for _, a := range cfg.Audiences {
		if a == "" {
			return nil, fmt.Errorf("%w: empty audience", ErrConfig)
		}
		m.audiences[a] = struct{}{}
	}
	return m, nil
}

// Config returns the configuration in effect: cfg as given to New with
// every zero field set to its default (Now included), so a host or a
// companion package (keysync, stepup) reads a default from here.
func (m *Manager) Config() Config {
	c := m.cfg
	c.Now = m.now
	return c
}

// KeyRetention is how long a key that stopped signing must stay
// published: until every token it signed has expired, so the longest
// token lifetime plus the leeway.
func (m *Manager) KeyRetention() time.Duration {
	return max(m.cfg.TTL, m.cfg.MFAPendingTTL, m.cfg.ElevatedSingleUseTTL, m.cfg.ElevatedMultiUseTTL) + m.cfg.Leeway
}

// Keys returns the manager's key set.
func (m *Manager) Keys() *KeySet { return m.cfg.Keys }

// Issuer returns the configured issuer.
func (m *Manager) Issuer() string { return m.cfg.Issuer }

// Rotate makes next the signing key. The previous key stays published
// until every token it may have signed has expired (the longest token
// lifetime plus the leeway), and keys retired before now are freed.
func (m *Manager) Rotate(next *Key) error {
	now := m.now()
	m.cfg.Keys.Prune(now)
	return m.cfg.Keys.rotate(next, now.Add(m.KeyRetention()))
}

// JWKS returns the JSON Web Key Set of the keys published now.
func (m *Manager) JWKS() ([]byte, error) { return m.cfg.Keys.JWKS(m.now()) }

// JWKSHandler serves JWKS() with Cache-Control (Config.JWKSMaxAge) and an
// ETag; If-None-Match gets 304. Mount it at /.well-known/jwks(.json).
func (m *Manager) JWKSHandler() http.Handler {
	return newJWKSHandler(m.cfg.Keys, m.now, m.cfg.JWKSMaxAge)
}
