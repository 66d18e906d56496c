package session

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/authkit/authkit/internal/clock"
)

// The defaults: a zero field of Config or MiddlewareConfig takes the
// value here. Each is stated on its field too; Manager.Config reports the
// values in effect.
const (
	// defaultTTL of the full and minified tokens: 2 h, Dynamic's.
	defaultTTL = 2 * time.Hour
	// defaultMFAPendingTTL of tokens minted with MFAPending: they
	// only let the user finish MFA, so they are short (Auth0 10 min,
	// Cognito 3 min).
	defaultMFAPendingTTL = 10 * time.Minute
	// defaultMaxAge is the absolute session length: 30 days, NIST SP
	// 800-63B §4.1.3's AAL1 reauthentication bound and Dynamic's cap.
	defaultMaxAge = 30 * 24 * time.Hour
	// defaultElevatedSingleUseTTL is the lifetime of single-use elevated
	// tokens.
	defaultElevatedSingleUseTTL = 5 * time.Minute
	// defaultElevatedMultiUseTTL is the lifetime of multi-use elevated
	// tokens.
	defaultElevatedMultiUseTTL = 10 * time.Minute
	// defaultLeeway is the clock-skew allowance for exp, nbf and iat (RFC
	// 7519 §4.1.4); at most maxLeeway.
	defaultLeeway = 30 * time.Second
	// defaultRefreshGrace is how long a token superseded by a refresh keeps
	// working: long enough for two tabs that read the same token to both
	// refresh it, short enough that a thief replaying a stolen token
	// minutes later is caught; at most maxRefreshGrace.
	defaultRefreshGrace = 5 * time.Second
	// defaultTouchInterval is how often at most Verify records a session's
	// LastSeenAt.
	defaultTouchInterval = time.Minute
	// defaultJWKSMaxAge is the Cache-Control max-age of JWKSHandler.
	defaultJWKSMaxAge = 5 * time.Minute

	// defaultCookieName is Dynamic's session cookie name
	// (MiddlewareConfig.CookieName).
	defaultCookieName = "DYNAMIC_JWT_TOKEN"
)

// Limits.
const (
	// maxTokenSize is the largest token Verify parses, in bytes (8 KiB).
	// Larger ones are rejected before any decoding, so a hostile token
	// cannot make the server decode megabytes of base64 and JSON. The
	// minified token stays near 1.2 KiB; the full token grows by about
	// 230 bytes per credential, so servers should authenticate with the
	// minified one.
	maxTokenSize = 8 << 10
	// maxLeeway bounds Config.Leeway.
	maxLeeway = 60 * time.Second
	// maxRefreshGrace bounds Config.RefreshGrace: past it a replayed
	// token would pass for a second tab.
	maxRefreshGrace = time.Minute
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

	// TTL of the full and minified tokens. Default 2 h (Dynamic's).
	TTL time.Duration
	// MFAPendingTTL is the lifetime of tokens minted with
	// MFAPending. Default 10 min: they only let the user finish MFA.
	MFAPendingTTL time.Duration
	// MaxAge is the absolute session length: refresh stops there and the
	// user signs in again. Needs a Store to be enforced. Default
	// 30 days (NIST SP 800-63B §4.1.3's AAL1 reauthentication bound).
	MaxAge time.Duration
	// ElevatedSingleUseTTL is the lifetime of single-use elevated tokens.
	// Default 5 min.
	ElevatedSingleUseTTL time.Duration
	// ElevatedMultiUseTTL is the lifetime of multi-use elevated tokens.
	// Default 10 min.
	ElevatedMultiUseTTL time.Duration
	// Leeway is the clock-skew allowance for exp, nbf and iat. Default
	// 30 s; at most 60 s.
	Leeway time.Duration

	// Store keeps session records: revocation, refresh rotation with reuse
	// detection, the session inventory and single-use elevated tokens.
	// Required unless Stateless is set.
	Store Store
	// Stateless runs without a Store, and is UNSAFE for most hosts: a
	// token stays valid until its exp whatever happens (logout, a stolen
	// token, a deleted user, a changed password), refresh and the session
	// inventory are unavailable, and Refresh, Revoke, RevokeAll, Sessions
	// and single-use elevated tokens return ErrConfig. Only for verifiers
	// that cannot reach the store and accept tokens living TTL. Setting
	// both Store and Stateless is an error.
	Stateless bool
	// RefreshGrace is how long a token superseded by a refresh stays
	// usable: it still authenticates, and refreshing it again is not taken
	// for theft but returns the current generation's tokens. Default
	// 5 s (two tabs refreshing the same token), at most 1 min (past it a
	// replayed token would pass for a second tab).
	RefreshGrace time.Duration
	// TouchInterval throttles the session's LastSeenAt: Verify writes it
	// at most once per interval per session (a request that finds it
	// older), so the inventory costs no write per request. Default
	// 1 min.
	TouchInterval time.Duration
	// JWKSMaxAge is the Cache-Control max-age of JWKSHandler. Default
	// 5 min.
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

// New validates cfg, fills in defaults and returns a Manager. A nil
// Config.Store is an error wrapping ErrConfig unless Config.Stateless is
// set (NewMemoryStore serves one process).
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
		def(&cfg.TTL, defaultTTL, "TTL"),
		def(&cfg.MFAPendingTTL, defaultMFAPendingTTL, "MFAPendingTTL"),
		def(&cfg.MaxAge, defaultMaxAge, "MaxAge"),
		def(&cfg.ElevatedSingleUseTTL, defaultElevatedSingleUseTTL, "ElevatedSingleUseTTL"),
		def(&cfg.ElevatedMultiUseTTL, defaultElevatedMultiUseTTL, "ElevatedMultiUseTTL"),
		def(&cfg.Leeway, defaultLeeway, "Leeway"),
		def(&cfg.JWKSMaxAge, defaultJWKSMaxAge, "JWKSMaxAge"),
		def(&cfg.RefreshGrace, defaultRefreshGrace, "RefreshGrace"),
		def(&cfg.TouchInterval, defaultTouchInterval, "TouchInterval"),
	); err != nil {
		return nil, err
	}
	if cfg.Leeway > maxLeeway {
		return nil, fmt.Errorf("%w: Leeway %v exceeds %v", ErrConfig, cfg.Leeway, maxLeeway)
	}
	if cfg.RefreshGrace > maxRefreshGrace {
		return nil, fmt.Errorf("%w: RefreshGrace %v exceeds %v", ErrConfig, cfg.RefreshGrace, maxRefreshGrace)
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
