package session

import (
	"context"
	"fmt"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/random"
)

// ElevatedOptions describe an elevated-access (step-up) token.
type ElevatedOptions struct {
	// Scopes are the requestedScopes: at least one, each one of the 18
	// token scopes (authkit.TokenScopes), else ErrInvalidRequest.
	Scopes []authkit.Scope
	// SingleUse tokens live Config.ElevatedSingleUseTTL (5 min) and are
	// accepted once; others live Config.ElevatedMultiUseTTL (10 min).
	// Single-use needs a Store.
	SingleUse bool
	// AMR says how the user re-authenticated (RFC 8176: "otp", "sms",
	// "mfa", "pwd", …), the amr claim.
	AMR []string
	// AuthTime is when the re-authentication happened. Default now.
	AuthTime time.Time
}

// MintElevated issues an elevated-access token bound to the session and
// user of session (claims of a verified session token, or Tokens.Claims),
// and returns the compact JWS with its claims (jti in ID, exp in
// ExpiresAt, SingleUse).
// The session must be fully authenticated (user:basic): a user whose MFA
// is pending must finish it first. With a Store the session must be live,
// and the token never outlives the session's maximum age.
func (m *Manager) MintElevated(ctx context.Context, session *Claims, opts ElevatedOptions) (string, *Claims, error) {
	if session == nil || session.Kind&KindSession == 0 {
		return "", nil, fmt.Errorf("%w: an elevated token is minted from a session token", errWrongKind)
	}
	if !session.HasScope(authkit.ScopeUserBasic) || session.HasScope(authkit.ScopeRequiresAdditionalAuth) {
		return "", nil, fmt.Errorf("%w: session is not fully authenticated", ErrInsufficientScope)
	}
	if len(opts.Scopes) == 0 {
		return "", nil, fmt.Errorf("%w: no scope requested", errInvalidScope)
	}
	scopes := make(authkit.Scopes, 0, len(opts.Scopes))
	for _, s := range opts.Scopes {
		if !s.IsTokenScope() {
			return "", nil, fmt.Errorf("%w: %q is not a token scope", errInvalidScope, s)
		}
		if !scopes.Has(s) {
			scopes = append(scopes, s)
		}
	}
	for _, a := range opts.AMR {
		if a == "" || len(a) > 32 {
			return "", nil, fmt.Errorf("%w: amr value", ErrInvalidRequest)
		}
	}
	if opts.SingleUse && m.cfg.Store == nil {
		return "", nil, errNoStore
	}
	now := m.now().Truncate(time.Second)
	authTime := opts.AuthTime
	if authTime.IsZero() {
		authTime = now
	}
	if authTime.After(now.Add(m.cfg.Leeway)) {
		return "", nil, fmt.Errorf("%w: auth_time in the future", ErrInvalidRequest)
	}
	ttl := m.cfg.ElevatedMultiUseTTL
	if opts.SingleUse {
		ttl = m.cfg.ElevatedSingleUseTTL
	}
	exp := now.Add(ttl)
	if m.cfg.Store != nil {
		rec, err := m.checkSession(ctx, session.SessionID, session.Subject)
		if err != nil {
			return "", nil, err
		}
		if end := rec.ExpiresAt.Truncate(time.Second); exp.After(end) {
			exp = end
		}
	}
	aud := firstAudience(session.Audience)
	if _, ok := m.audiences[aud]; !ok {
		aud = m.cfg.Audience
	}
	env := session.EnvironmentID
	if m.cfg.EnvironmentID != "" {
		env = m.cfg.EnvironmentID
	}
	jti, err := random.Token(m.cfg.Rand, 16)
	if err != nil {
		return "", nil, err
	}
	c := &Claims{
		Kind:   KindElevated,
		Issuer: m.cfg.Issuer, Subject: session.Subject, Audience: []string{aud},
		ExpiresAt: exp, IssuedAt: now, ID: jti,
		SessionID: session.SessionID, EnvironmentID: env, Scope: scopes.String(),
		AuthTime: authTime.Truncate(time.Second), AMR: opts.AMR,
		SingleUse: opts.SingleUse,
	}
	tok, err := sign(m.cfg.Keys.activeAt(m.now()), KindElevated, c)
	if err != nil {
		return "", nil, err
	}
	return tok, c, nil
}

// VerifyElevated checks an elevated-access token for an action that needs
// the required scope. It runs Verify for KindElevated (so a session token
// is refused with errWrongKind), then: when session is non-nil (the
// claims of the request's session token), the token must belong to the
// same sid and sub (errSessionMismatch); the token must carry required
// (ErrInsufficientScope; an empty required is ErrInvalidRequest); and a single-use token's jti is consumed
// atomically, so of any number of uses exactly one succeeds
// (ErrAlreadyUsed). The scope is checked before consuming, so presenting
// a token at the wrong action does not burn it.
func (m *Manager) VerifyElevated(ctx context.Context, token string, required authkit.Scope, session *Claims) (*Claims, error) {
	if required == "" {
		// Fail closed: no scope named must not mean "any scope will do".
		return nil, fmt.Errorf("%w: VerifyElevated needs the required scope", errInvalidScope)
	}
	c, err := m.Verify(ctx, token, KindElevated)
	if err != nil {
		return nil, err
	}
	if session != nil && (c.SessionID != session.SessionID || c.Subject != session.Subject) {
		return nil, errSessionMismatch
	}
	if !c.HasScope(required) {
		return nil, &scopeError{required: required}
	}
	if c.SingleUse {
		if m.cfg.Store == nil {
			return nil, errNoStore
		}
		// Verify accepts the token until exp + Leeway, so the jti must stay
		// consumed that long: a store may forget it once this time passes.
		if err := m.cfg.Store.ConsumeJTI(ctx, c.ID, c.ExpiresAt.Add(m.cfg.Leeway), m.now()); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// scopeError is the error for a missing scope; errors.Is(err,
// ErrInsufficientScope) holds.
type scopeError struct {
	required authkit.Scope
}

// Error names the missing scope.
func (e *scopeError) Error() string {
	return ErrInsufficientScope.Error() + ": requires " + string(e.required)
}

// Is makes errors.Is(err, ErrInsufficientScope) true.
func (e *scopeError) Is(target error) bool { return target == ErrInsufficientScope }

// RequiredScope is the scope the action needs (the WWW-Authenticate scope
// parameter, RFC 6750 §3).
func (e *scopeError) RequiredScope() authkit.Scope { return e.required }
