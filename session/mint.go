package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/random"
)

// MintOptions are the per-sign-in inputs of Mint.
type MintOptions struct {
	// SessionID continues an existing session (re-issue after MFA, a
	// profile change). Empty: a new session is created (and stored, with a
	// Store). With a Store an existing session must be live and belong to
	// the user.
	SessionID string
	// Audience is the aud claim, e.g. the request's Origin when it is an
	// allowed origin. It must be Config.Audience or one of Config.Audiences.
	// Default Config.Audience.
	Audience string
	// Scopes are extra grants (access lists, gates) added after
	// "user:basic". They are dropped while MFA is pending.
	Scopes authkit.Scopes
	// MFAPending mints tokens whose scope is only "requiresAdditionalAuth"
	// (no "user:basic"), living Config.MFAPendingTTL; after MFA, call
	// Upgrade.
	MFAPending bool
	// SessionPublicKey is the client's compressed P-256 public key in hex
	// (66 characters), bound into the tokens as session_public_key.
	SessionPublicKey string
	// DevicePublicKey is the device key the sign-in request proved it
	// holds (package devicebind), in the same form, bound into the tokens
	// as device_public_key so that a refresh can demand the same device.
	DevicePublicKey string
	// SigninCredentialID is the credential used for this sign-in (the
	// minified token's signin_credential_id), when it differs from the
	// user's LastVerifiedCredentialID.
	SigninCredentialID string
	// UserAgent is the client's User-Agent header, kept (cut to
	// maxUserAgentLength) on a new session for the inventory.
	UserAgent string
	// RemoteIP is the client's address; a new session keeps only its /24
	// (IPv4) or /48 (IPv6) network. Empty or unparsable: none.
	RemoteIP string

	// continued is the live record Refresh rotated; set only there.
	continued *Record

	// AMR and AuthTime record the session's last proof of a second factor
	// (the amr and auth_time claims, RFC 8176 and OpenID Connect Core
	// §2); see UpgradeMFA. A re-issue of the session carries them over.
	// Mint adds authkit.AMRMultiFactor when AMR names methods of two different
	// factors (RFC 8176 §2: "mfa" is multiple-factor authentication;
	// knowledge: pwd, pin, kba; possession: hwk, swk, sc, otp, sms, tel,
	// pop; inherence: fpt, face, iris, retina, vbm), e.g. {authkit.AMRHardwareKey,
	// "pin"} or {authkit.AMRHardwareKey, "face"} after a passkey with user
	// verification, so the session counts as fresh (Claims.FreshMFA).
	// Methods of one factor (sms and otp are both possession) never add
	// it; a host may still list authkit.AMRMultiFactor itself.
	AMR []string
	// AuthTime is when the AMR methods were proven; required with AMR.
	AuthTime time.Time
}

// Tokens are the result of Mint, Upgrade and Refresh: what a sign-in
// response (VerifyResponse) carries.
type Tokens struct {
	// JWT is the full token (an ID token for the client; typ typFull).
	JWT string
	// MinifiedJWT is the session's access token for servers (typ
	// typMinified); the cookie holds it in cookie mode.
	MinifiedJWT string
	// ExpiresAt is the exp of both tokens (the response's expiresAt).
	ExpiresAt time.Time
	// SessionID is the sid of both tokens.
	SessionID string
	// SessionExpiresAt is the end of the session's maximum age (zero
	// without a Store): refresh cannot go past it.
	SessionExpiresAt time.Time
	// Claims are the claims of the full token, e.g. for MintElevated.
	Claims *Claims
}

// Mint issues a full and a minified token for user. It creates a session
// unless opts.SessionID names one.
func (m *Manager) Mint(ctx context.Context, user authkit.User, opts MintOptions) (Tokens, error) {
	if user.ID == "" {
		return Tokens{}, fmt.Errorf("%w: user without id", ErrInvalidRequest)
	}
	env := m.cfg.EnvironmentID
	if env == "" {
		env = user.ProjectEnvironmentID
	} else if user.ProjectEnvironmentID != "" && user.ProjectEnvironmentID != env {
		return Tokens{}, fmt.Errorf("%w: user of another environment", ErrInvalidRequest)
	}
	aud := opts.Audience
	if aud == "" {
		aud = m.cfg.Audience
	} else if _, ok := m.audiences[aud]; !ok {
		return Tokens{}, fmt.Errorf("%w: audience %q is not accepted by Verify", ErrInvalidRequest, aud)
	}
	if opts.SessionPublicKey != "" && !validSessionPublicKey(opts.SessionPublicKey) {
		return Tokens{}, fmt.Errorf("%w: session public key must be a compressed P-256 key in hex", ErrInvalidRequest)
	}
	if opts.DevicePublicKey != "" && !validSessionPublicKey(opts.DevicePublicKey) {
		return Tokens{}, fmt.Errorf("%w: device public key must be a compressed P-256 key in hex", ErrInvalidRequest)
	}
	scope, err := sessionScope(opts)
	if err != nil {
		return Tokens{}, err
	}
	var pendingScope string
	if opts.MFAPending && len(opts.Scopes) > 0 {
		// Kept aside for Upgrade: "user:basic X" minus the "user:basic ".
		full, err := sessionScope(MintOptions{Scopes: opts.Scopes})
		if err != nil {
			return Tokens{}, err
		}
		pendingScope = strings.TrimPrefix(strings.TrimPrefix(full, string(authkit.ScopeUserBasic)), " ")
	}
	amr, authTime, err := m.sessionAMR(opts)
	if err != nil {
		return Tokens{}, err
	}

	// Truncated to the second: that is what exp and iat can express, and
	// ExpiresAt must equal the exp inside the tokens.
	now := m.now().Truncate(time.Second)
	sid := opts.SessionID
	var sessionEnd time.Time
	var gen uint64
	switch {
	case opts.continued != nil:
		// Refresh: Rotate already returned the live record.
		sessionEnd, gen = opts.continued.ExpiresAt, opts.continued.Generation
	case sid == "":
		if sid, err = random.UUID(m.cfg.Rand); err != nil {
			return Tokens{}, err
		}
		if m.cfg.Store != nil {
			sessionEnd = now.Add(m.cfg.MaxAge)
			rec := Record{
				ID: sid, UserID: user.ID, EnvironmentID: env, CreatedAt: now, ExpiresAt: sessionEnd,
				UserAgent: truncateUserAgent(opts.UserAgent), IPPrefix: ipPrefix(opts.RemoteIP),
			}
			if err := m.cfg.Store.Create(ctx, rec); err != nil {
				return Tokens{}, fmt.Errorf("session: store: %w", err)
			}
		}
	case m.cfg.Store != nil:
		rec, err := m.checkSession(ctx, sid, user.ID)
		if err != nil {
			return Tokens{}, err
		}
		sessionEnd, gen = rec.ExpiresAt, rec.Generation
	}

	life := m.cfg.TTL
	if opts.MFAPending {
		life = m.cfg.MFAPendingTTL
	}
	exp := now.Add(life)
	if !sessionEnd.IsZero() && exp.After(sessionEnd) {
		exp = sessionEnd.Truncate(time.Second)
	}
	key := m.cfg.Keys.activeAt(now)
	// signin_credential_id is optional; it is left out when it would repeat
	// last_verified_credential_id.
	signin := opts.SigninCredentialID
	if signin == user.LastVerifiedCredentialID {
		signin = ""
	}

	full := &Claims{
		Issuer: m.cfg.Issuer, Subject: user.ID, Audience: []string{aud},
		ExpiresAt: exp, IssuedAt: now,
		KeyID: key.kid, SessionID: sid, Generation: gen, EnvironmentID: env, Scope: scope, PendingScope: pendingScope,
		Alias: user.Alias, Email: user.Email, Username: user.Username,
		GivenName: user.FirstName, FamilyName: user.LastName,
		Lists: user.Lists, MissingFields: nonNil(user.MissingFields),
		FirstVisit: user.FirstVisit, LastVisit: user.LastVisit, NewUser: user.NewUser,
		VerifiedCredentials:      nonNil(user.VerifiedCredentials),
		LastVerifiedCredentialID: user.LastVerifiedCredentialID,
		SessionPublicKey:         opts.SessionPublicKey,
		DevicePublicKey:          opts.DevicePublicKey,
		AMR:                      amr, AuthTime: authTime,
	}
	if vc, ok := user.Credential(user.LastVerifiedCredentialID); ok {
		full.VerifiedAccount = vc
	}
	// One read of the random source for both token ids.
	var ids [32]byte
	src := m.cfg.Rand
	if src == nil {
		src = rand.Reader
	}
	if _, err := io.ReadFull(src, ids[:]); err != nil {
		return Tokens{}, fmt.Errorf("%w: %v", random.ErrShortRead, err)
	}
	// Both ids in one string: one allocation.
	var idText [2 * 22]byte
	b64.Encode(idText[:22], ids[:16])
	b64.Encode(idText[22:], ids[16:])
	jtis := string(idText[:])
	full.ID = jtis[:22]
	full.Kind = KindFull
	// The minified token is the full one's claims without the profile and
	// credential list, with the access-token members added.
	hashes := hashCredentials(user.VerifiedCredentials)
	mini := Claims{
		Kind: KindMinified, Issuer: full.Issuer, Subject: full.Subject, Audience: full.Audience,
		ExpiresAt: exp, IssuedAt: now, ID: jtis[22:],
		KeyID: key.kid, SessionID: sid, Generation: gen, EnvironmentID: env, ClientID: env, Scope: scope, PendingScope: pendingScope,
		Email: user.Email, Username: user.Username,
		LastVerifiedCredentialID:  user.LastVerifiedCredentialID,
		SigninCredentialID:        signin,
		VerifiedCredentialsHashes: &hashes,
		SessionPublicKey:          opts.SessionPublicKey,
		DevicePublicKey:           opts.DevicePublicKey,
		AMR:                       amr, AuthTime: authTime,
	}
	t := Tokens{ExpiresAt: exp, SessionID: sid, SessionExpiresAt: sessionEnd, Claims: full}
	if t.JWT, err = sign(key, KindFull, full); err != nil {
		return Tokens{}, err
	}
	if t.MinifiedJWT, err = sign(key, KindMinified, &mini); err != nil {
		return Tokens{}, err
	}
	return t, nil
}

// Upgrade re-issues a session after the user completed MFA: same sid,
// audience and session public key as the MFA-pending token whose claims
// are given, scope "user:basic" plus the MintOptions.Scopes the pending
// session was minted with, plus extra. The pending tokens keep only
// requiresAdditionalAuth until they expire, so they grant nothing more.
func (m *Manager) Upgrade(ctx context.Context, pending *Claims, user authkit.User, extra authkit.Scopes) (Tokens, error) {
	return m.reissue(ctx, "Upgrade", pending, user, extra, nil, time.Time{})
}

// reissue mints new tokens of the session whose claims are given, for
// user: same sid, audience, session and device keys and sign-in
// credential, the scopes of upgradeScopes, and amr and authTime. op names
// the caller in the error for claims that are not a session token's.
func (m *Manager) reissue(ctx context.Context, op string, session *Claims, user authkit.User, extra authkit.Scopes, amr []string, authTime time.Time) (Tokens, error) {
	if session == nil || session.Kind&KindSession == 0 {
		return Tokens{}, fmt.Errorf("%w: %s needs session token claims", errWrongKind, op)
	}
	if session.Subject != user.ID {
		return Tokens{}, errSessionMismatch
	}
	return m.Mint(ctx, user, MintOptions{
		SessionID:          session.SessionID,
		Audience:           firstAudience(session.Audience),
		Scopes:             upgradeScopes(session, extra),
		SessionPublicKey:   session.SessionPublicKey,
		DevicePublicKey:    session.DevicePublicKey,
		SigninCredentialID: session.SigninCredentialID,
		AMR:                amr,
		AuthTime:           authTime,
	})
}

// Revoke ends a session (logout): every token of sid, including elevated
// ones, fails verification from now on. Needs a Store; an unknown sid is
// ErrNotFound.
func (m *Manager) Revoke(ctx context.Context, sid string) error {
	if m.cfg.Store == nil {
		return errNoStore
	}
	return m.cfg.Store.Revoke(ctx, sid, m.now())
}

// RevokeAll ends every session of a user (sign out everywhere, after a
// credential change) and returns how many were live. Needs a Store.
func (m *Manager) RevokeAll(ctx context.Context, userID string) (int, error) {
	if m.cfg.Store == nil {
		return 0, errNoStore
	}
	return m.cfg.Store.RevokeAllForUser(ctx, userID, m.now())
}

func firstAudience(a []string) string {
	if len(a) == 0 {
		return ""
	}
	return a[0]
}

// sessionScope builds the scope claim of a session token.
func sessionScope(opts MintOptions) (string, error) {
	if opts.MFAPending {
		return string(authkit.ScopeRequiresAdditionalAuth), nil
	}
	if len(opts.Scopes) == 0 {
		return string(authkit.ScopeUserBasic), nil
	}
	var b strings.Builder
	b.WriteString(string(authkit.ScopeUserBasic))
	for i, s := range opts.Scopes {
		if s == "" || strings.ContainsAny(string(s), " \t\r\n\"\\") {
			return "", fmt.Errorf("%w: scope %q", errInvalidScope, s)
		}
		// The list is short: a linear duplicate check beats a map.
		if s == authkit.ScopeUserBasic || s == authkit.ScopeRequiresAdditionalAuth || slices.Contains(opts.Scopes[:i], s) {
			continue
		}
		b.WriteByte(' ')
		b.WriteString(string(s))
	}
	return b.String(), nil
}

// validSessionPublicKey checks the shape of a compressed P-256 point in
// hex: 33 bytes starting 02 or 03.
func validSessionPublicKey(s string) bool {
	if len(s) != 66 {
		return false
	}
	b, err := hex.DecodeString(s)
	return err == nil && (b[0] == 2 || b[0] == 3)
}

// nonNil returns s, or an empty slice for nil: a claim that must be
// present as an array even when empty (omitzero keeps it, omitempty would not).
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// upgradeScopes are the scopes of an upgraded session: those the pending
// session was minted with (its pending_scope), then extra.
func upgradeScopes(pending *Claims, extra authkit.Scopes) authkit.Scopes {
	if pending.PendingScope == "" {
		return extra
	}
	return append(authkit.ParseScopes(pending.PendingScope), extra...)
}
