package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authkit/authkit"
)

// errSuperseded: the token's generation was replaced by a refresh longer
// than Config.RefreshGrace ago. Returned with ErrRevoked.
var errSuperseded = errors.New("session: token superseded by a refresh")

// Refresh exchanges a session token (full or minified) for new tokens of
// the same session at the next generation, with a later exp capped at the
// session's maximum age. The token names its user; lookup is called with
// that id and returns the host's current view of the user, so the new
// tokens carry the profile and credentials as they are now
// (account.Service.Get is one). A lookup error (such as a deleted user's
// account.ErrNotFound) fails the refresh and is returned as is; the
// session is left unchanged. Scope, audience, session public key, amr and
// auth_time carry over. An MFA-pending session cannot be refreshed
// (ErrInsufficientScope).
//
// Rotation, as one atomic store operation (Store.Rotate):
//   - the token is of the current generation: the generation advances;
//     the presented token keeps working for Config.RefreshGrace, then
//     Verify refuses it (errSuperseded);
//   - it is of the generation just replaced, within the grace window (a
//     second tab): the current generation's tokens, no advance. A stolen
//     copy refreshed within the window gets them too; it is caught at the
//     first later divergence (see the package documentation);
//   - otherwise it was superseded earlier: someone holds a copy. The
//     session is revoked and Refresh returns ErrRefreshReuse (RFC 9700
//     §4.14.2): the thief and the victim both sign in again.
//
// N concurrent refreshes of one token advance the generation once. Needs
// a Store. Pass the minified token: the full one grows with the user's
// credentials and may exceed maxTokenSize.
func (m *Manager) Refresh(ctx context.Context, token string, lookup func(ctx context.Context, userID string) (authkit.User, error)) (Tokens, error) {
	if m.cfg.Store == nil {
		return Tokens{}, errNoStore
	}
	if lookup == nil {
		return Tokens{}, fmt.Errorf("%w: nil user lookup", ErrInvalidRequest)
	}
	c, err := m.parse(token, KindSession)
	if err != nil {
		return Tokens{}, err
	}
	if c.MFAPending() {
		// A pending session lives only until its short exp: refreshing it
		// would let a user who never finishes MFA hold a session for the
		// whole MaxAge.
		return Tokens{}, &scopeError{required: authkit.ScopeUserBasic}
	}
	user, err := lookup(ctx, c.Subject)
	if err != nil {
		return Tokens{}, err
	}
	if user.ID != c.Subject {
		return Tokens{}, errSessionMismatch
	}
	now := m.now()
	rec, err := m.cfg.Store.Rotate(ctx, c.SessionID, c.Generation, now, now.Add(m.cfg.RefreshGrace))
	switch {
	case errors.Is(err, ErrRefreshReuse):
		return Tokens{}, fmt.Errorf("%w: %w", ErrRefreshReuse, ErrRevoked)
	case errors.Is(err, ErrNotFound):
		return Tokens{}, fmt.Errorf("%w: unknown session", ErrRevoked)
	case err != nil:
		return Tokens{}, fmt.Errorf("session: store: %w", err)
	}
	if err := m.checkRecord(rec, c.Subject, now); err != nil {
		return Tokens{}, err
	}
	var extra authkit.Scopes
	for _, s := range c.Scopes() {
		if s != authkit.ScopeUserBasic && s != authkit.ScopeRequiresAdditionalAuth {
			extra = append(extra, s)
		}
	}
	opts := MintOptions{
		SessionID:          c.SessionID,
		Audience:           firstAudience(c.Audience),
		Scopes:             extra,
		SessionPublicKey:   c.SessionPublicKey,
		DevicePublicKey:    c.DevicePublicKey,
		SigninCredentialID: c.SigninCredentialID,
		continued:          &rec,
	}
	if !c.AuthTime.IsZero() && len(c.AMR) > 0 {
		// The last second-factor proof carries over unchanged: a refresh
		// proves nothing new, so auth_time keeps ageing.
		opts.AMR, opts.AuthTime = c.AMR, c.AuthTime
	}
	return m.Mint(ctx, user, opts)
}

// checkGeneration accepts a session token of the record's generation, or
// of the one before it until GraceUntil.
func checkGeneration(rec Record, gen uint64, now time.Time) error {
	if gen == rec.Generation || gen+1 == rec.Generation && now.Before(rec.GraceUntil) {
		return nil
	}
	return fmt.Errorf("%w: %w", errSuperseded, ErrRevoked)
}

// touch records that the session was seen, once per TouchInterval: only
// when the record read for verification shows an older LastSeenAt. A
// failed write is ignored: last-seen is advisory and must not turn a valid
// token into an error.
func (m *Manager) touch(ctx context.Context, rec Record, now time.Time) {
	if now.Sub(rec.LastSeenAt) < m.cfg.TouchInterval {
		return
	}
	_ = m.cfg.Store.Touch(ctx, rec.ID, now)
}
