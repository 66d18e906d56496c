package session

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Verify checks a token of the expected kind(s) and returns its claims.
//
// In order: the size limit (before any parsing); the header: no crit, an
// alg among ES256/EdDSA/RS256, the typ of an expected kind, a kid that is a
// key id of a published key (a map lookup, nothing else) and an alg equal
// to that key's algorithm; for ES256 a low-S signature (errHighS); exp,
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
		return errSessionMismatch
	}
	if !now.Before(rec.ExpiresAt) {
		return errSessionExpired
	}
	return nil
}
