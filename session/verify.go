package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Verify checks a token of the expected kind(s) and returns its claims.
//
// In order: the size limit (before any parsing); the header: no crit, an
// alg among ES256/EdDSA/RS256, the typ of an expected kind, a kid that is a
// key id of a published key (a map lookup, nothing else) and an alg equal
// to that key's algorithm; for ES256 a low-S signature (ErrHighS); exp,
// nbf, iat and auth_time, when present, JSON numbers; the signature; iss,
// exp (required), nbf and iat with Config.Leeway; aud among the accepted audiences; sub, sid, jti and
// iat present; environment_id when configured. With a Store, the session
// must exist, be unrevoked, belong to sub and be within its maximum age.
//
// Every failure wraps one of the package's sentinel errors.
func (m *Manager) Verify(ctx context.Context, token string, kind Kind) (*Claims, error) {
	c, err := m.parse(token, kind)
	if err != nil {
		return nil, err
	}
	if m.cfg.Store != nil {
		// One store read checks revocation, owner, maximum age and, for
		// session tokens, the refresh generation.
		rec, err := m.checkSession(ctx, c.SessionID, c.Subject)
		if err != nil {
			return nil, err
		}
		now := m.now()
		if c.Kind&KindSession != 0 {
			if err := checkGeneration(rec, c.Generation, now); err != nil {
				return nil, err
			}
		}
		m.touch(ctx, rec, now)
	}
	return c, nil
}

const allKinds = KindFull | KindMinified | KindElevated

func (m *Manager) parse(token string, want Kind) (*Claims, error) {
	if len(token) > MaxTokenSize {
		return nil, ErrTooLarge
	}
	if want == 0 || want&^allKinds != 0 {
		return nil, fmt.Errorf("%w: kind %d", ErrInvalidRequest, want)
	}
	c := new(Claims)
	var kerr error
	_, err := m.parser.ParseWithClaims(token, c, func(t *jwt.Token) (any, error) {
		var k *Key
		k, kerr = m.checkHeader(t, want, c)
		if kerr != nil {
			return nil, kerr
		}
		if err := checkTimeClaims(token); err != nil {
			kerr = fmt.Errorf("%w: %w", ErrMalformed, err)
			return nil, kerr
		}
		return k.public, nil
	})
	if err != nil {
		if kerr != nil {
			return nil, kerr
		}
		return nil, mapJWTError(err)
	}
	if len(c.Audience) == 0 {
		return nil, fmt.Errorf("%w: no aud", ErrAudience)
	}
	ok := false
	for _, a := range c.Audience {
		if _, ok = m.audiences[a]; ok {
			break
		}
	}
	if !ok {
		return nil, ErrAudience
	}
	if c.Subject == "" || c.SessionID == "" || c.ID == "" || c.IssuedAt == nil {
		return nil, fmt.Errorf("%w: sub, sid, jti and iat are required", ErrMalformed)
	}
	if m.cfg.EnvironmentID != "" && c.EnvironmentID != m.cfg.EnvironmentID {
		return nil, fmt.Errorf("%w: other environment", ErrIssuer)
	}
	if c.Kind == KindElevated && c.Scope == "" {
		return nil, fmt.Errorf("%w: elevated token without scope", ErrMalformed)
	}
	return c, nil
}

// checkHeader runs before the signature check (golang-jwt's key function).
// It records the token kind in c.
func (m *Manager) checkHeader(t *jwt.Token, want Kind, c *Claims) (*Key, error) {
	if _, ok := t.Header["crit"]; ok {
		// RFC 7515 §4.1.11: we understand no extension, so any crit fails.
		return nil, fmt.Errorf("%w: crit header", ErrMalformed)
	}
	alg := t.Method.Alg()
	if alg != string(ES256) && alg != string(EdDSA) && alg != string(RS256) {
		return nil, fmt.Errorf("%w: %q", ErrAlgorithm, alg)
	}
	typ, _ := t.Header["typ"].(string)
	k := kindOfTyp(typ)
	if k == 0 || k&want == 0 {
		return nil, ErrWrongKind
	}
	c.Kind = k
	kid, _ := t.Header["kid"].(string)
	if !validKID(kid) {
		return nil, ErrUnknownKey
	}
	key, ok := m.cfg.Keys.Lookup(kid, m.now())
	if !ok {
		return nil, ErrUnknownKey
	}
	if alg != string(key.alg) {
		// The key decides the algorithm (RFC 8725 §3.1): this is where an
		// HS256 token "signed" with a public key ends.
		return nil, fmt.Errorf("%w: %s token for a %s key", ErrAlgorithm, alg, key.alg)
	}
	if key.alg == ES256 && highS(t.Signature) {
		// Mint signs in low-S form only; the high-S twin of a token is a
		// second encoding of it, refused before the curve arithmetic.
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, ErrHighS)
	}
	return key, nil
}

// validKID accepts what a key id may look like: 1 to 128 base64url
// characters. Anything else (paths, quotes, SQL) is refused before the map
// lookup, so it can never reach a log line or a store as a key name.
func validKID(kid string) bool {
	if kid == "" || len(kid) > 128 {
		return false
	}
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// mapJWTError turns golang-jwt's errors into our sentinels.
func mapJWTError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return ErrMalformed
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// alg missing or not implemented by the library
		return ErrAlgorithm
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return ErrBadSignature
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return ErrNotYetValid
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return ErrIssuer
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return ErrAudience
	}
	// Missing exp, claims of the wrong JSON type, …
	return ErrMalformed
}

// checkSession loads the session record and checks it is live and belongs
// to sub. A session unknown to the store counts as revoked: a store may
// forget expired or revoked sessions.
func (m *Manager) checkSession(ctx context.Context, sid, sub string) (Record, error) {
	rec, err := m.cfg.Store.Get(ctx, sid)
	if errors.Is(err, ErrNotFound) {
		return Record{}, fmt.Errorf("%w: unknown session", ErrRevoked)
	}
	if err != nil {
		return Record{}, fmt.Errorf("session: store: %w", err)
	}
	if err := m.checkRecord(rec, sub, m.now()); err != nil {
		return Record{}, err
	}
	return rec, nil
}

// checkRecord checks a session record is live at now and belongs to sub.
func (m *Manager) checkRecord(rec Record, sub string, now time.Time) error {
	if rec.Revoked() {
		return ErrRevoked
	}
	if rec.UserID != sub {
		return ErrSessionMismatch
	}
	if !now.Before(rec.ExpiresAt) {
		return ErrSessionExpired
	}
	return nil
}
