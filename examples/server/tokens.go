package main

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

// Sessions and tokens: authentication of requests (bearer or cookie),
// the VerifyResponse every sign-in returns, and the refresh, revoke,
// session and JWKS routes.

// authLevel is what a route needs of the request's session.
type authLevel int

const (
	// authNone: a public route.
	authNone authLevel = iota
	// authAny: any live session, an MFA-pending one included (users/mfa/auth/*,
	// session, revoke).
	authAny
	// authBasic: a session with user:basic (every other authenticated route).
	authBasic
)

// authenticate wraps h with the session middleware: the token comes from
// "Authorization: Bearer" or, in cookie mode, from the DYNAMIC_JWT_TOKEN
// cookie (with the cross-site Origin check); elevated tokens are never
// accepted. Refusals go through errors.go.
func (s *server) authenticate(level authLevel, h http.Handler) http.Handler {
	if level == authNone {
		return h
	}
	if level == authBasic {
		h = s.sessionHTTP.RequireScope(authkit.ScopeUserBasic)(h)
	}
	return s.sessionMW(h)
}

// newSessionMiddleware builds the session package's middleware for the
// server's configuration, and keeps that configuration for the routes
// that read the token, check the Origin or write the cookie themselves.
func (s *server) newSessionMiddleware() func(http.Handler) http.Handler {
	s.sessionHTTP = session.MiddlewareConfig{
		Kinds:          session.KindSession,
		CookieMode:     s.cfg.CookieAuth,
		TrustedOrigins: append([]string{s.ownOrigin}, s.cfg.CORSOrigins...),
		ErrorHandler:   func(w http.ResponseWriter, r *http.Request, err error) { s.refuse(w, r, classifySession(err)) },
		Now:            s.now,
	}
	return session.Middleware(s.sessions, s.sessionHTTP)
}

// refuse writes an authentication refusal and notes it for the log.
func (s *server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	ri := infoOf(r.Context())
	if ri.route == "" {
		ri.route = r.Pattern
	}
	ae := asAPIError(err)
	switch ae.Code {
	case "unauthorized":
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	case "insufficient_scope":
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="`+string(authkit.ScopeUserBasic)+`"`)
	}
	ri.errorCode = writeError(w, ae).Code
}

// sameSiteSignIn refuses, in cookie mode, a sign-in from a foreign
// Origin before it touches any code or state. Without it a cross-site form
// (enctype=text/plain can carry a JSON body) could sign the victim's
// browser in to the attacker's account: login CSRF. Requests without an
// Origin header (non-browser clients) pass, and so do requests carrying a
// bearer token, which a cross-site page cannot attach.
func (s *server) sameSiteSignIn(h apiHandler) apiHandler {
	if !s.cfg.CookieAuth {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.Header.Get("Authorization") == "" && !s.sessionHTTP.SameOrigin(r) {
			return errCSRF()
		}
		return h(w, r)
	}
}

// claimsOf returns the claims the middleware verified.
func claimsOf(r *http.Request) *session.Claims {
	c, _ := session.ClaimsFromContext(r.Context())
	return c
}

// audience is the aud of tokens minted for r: its Origin when that is an
// allowed CORS origin, otherwise "" (the issuer).
func (s *server) audience(r *http.Request) string {
	if o := r.Header.Get("Origin"); o != "" && s.corsOrigins[o] {
		return o
	}
	return ""
}

// firstAudience is the aud a continued session keeps.
func firstAudience(c *session.Claims) string {
	if len(c.Audience) == 0 {
		return ""
	}
	return c.Audience[0]
}

// extraScopes are a session's grants beyond user:basic, carried over when
// its tokens are re-issued.
func extraScopes(c *session.Claims) authkit.Scopes {
	var out authkit.Scopes
	for _, sc := range c.Scopes() {
		if sc != authkit.ScopeUserBasic && sc != authkit.ScopeRequiresAdditionalAuth {
			out = append(out, sc)
		}
	}
	return out
}

// verifyResponse is VerifyResponse (sign-ins, MFA auth, refresh), and
// with NextView UpdateSelfResponse (verify, PUT users).
type verifyResponse struct {
	User                authkit.User `json:"user"`
	JWT                 string       `json:"jwt,omitempty"`
	MinifiedJWT         string       `json:"minifiedJwt,omitempty"`
	ExpiresAt           int64        `json:"expiresAt"`
	NextView            string       `json:"nextView,omitempty"`
	MFAToken            string       `json:"mfaToken,omitempty"`
	ElevatedAccessToken string       `json:"elevatedAccessToken,omitempty"`
}

// tokenResponse builds the response carrying toks for u. In cookie mode
// it sets the cookie and leaves the tokens out of the body; it must run
// before the body is written.
func (s *server) tokenResponse(w http.ResponseWriter, r *http.Request, u authkit.User, toks session.Tokens) (verifyResponse, error) {
	if err := s.decorateUser(r.Context(), &u); err != nil {
		return verifyResponse{}, err
	}
	u.SessionID = toks.SessionID
	if toks.Claims != nil {
		u.Scope = toks.Claims.Scope
	}
	resp := verifyResponse{User: u, ExpiresAt: toks.ExpiresAt.Unix()}
	if s.cfg.CookieAuth {
		s.sessionHTTP.SetCookie(w, toks)
	} else {
		resp.JWT, resp.MinifiedJWT = toks.JWT, toks.MinifiedJWT
	}
	return resp, nil
}

// decorateUser adds what the user directory does not hold: the recovery
// codes' acknowledgement state, kept by the mfa package.
func (s *server) decorateUser(ctx context.Context, u *authkit.User) error {
	if u.NewUser != nil && *u.NewUser {
		return nil // created by this request: no recovery codes yet
	}
	ack, err := s.mfa.RecoveryAcknowledgement(ctx, u.ID)
	if err != nil {
		return err
	}
	if ack != "" {
		u.MFABackupCodeAcknowledgement = &ack
	}
	return nil
}

// signInOptions are the request options of a sign-in.
type signInOptions struct {
	amr              string // how the credential was proven (RFC 8176)
	sessionPublicKey string
	requestedScopes  []authkit.Scope
	// mfaToken asks for an MFA token with a session that passed MFA
	// (createMfaToken).
	mfaToken *mfaTokenOption
}

// signIn is the end of every sign-in (OTP and OAuth): find or create the
// user, gate the session on MFA, mint the tokens and answer VerifyResponse.
// A user with a confirmed TOTP device or a passkey gets an MFA-pending session
// (requiresAdditionalAuth, short-lived) that only users/mfa/auth/* can
// upgrade, and no elevated token: step-up for such a user needs MFA.
func (s *server) signIn(w http.ResponseWriter, r *http.Request, cred authkit.VerifiedCredential, opt signInOptions) error {
	u, created, err := s.accounts.FindOrCreate(r.Context(), cred)
	if err != nil {
		return err
	}
	return s.signedIn(w, r, u, created, opt)
}

// signedIn is signIn once the user is found or created.
func (s *server) signedIn(w http.ResponseWriter, r *http.Request, u authkit.User, created bool, opt signInOptions) error {
	ctx := r.Context()
	var err error
	u.NewUser = &created
	pending := false
	if !created { // a user this request created has no second factor: two reads saved
		if pending, err = s.hasConfirmedDevice(ctx, u.ID); err != nil {
			return err
		}
	}
	return s.startSession(w, r, u, session.MintOptions{MFAPending: pending}, opt)
}

// startSession mints a new session for the signed-in user u (mo carries
// the MFA state; audience, session and device keys and client are added
// here) and answers VerifyResponse, with an elevated token when asked and
// MFA is not pending.
func (s *server) startSession(w http.ResponseWriter, r *http.Request, u authkit.User, mo session.MintOptions, opt signInOptions) error {
	ctx := r.Context()
	spk := opt.sessionPublicKey
	if spk == "" {
		var err error
		if spk, err = headerSessionKey(r); err != nil {
			return err
		}
	}
	mo.Audience = s.audience(r)
	mo.SessionPublicKey = spk
	mo.DevicePublicKey = deviceOf(r).PublicKey
	mo.UserAgent = r.UserAgent()
	mo.RemoteIP = r.RemoteAddr // kept as its /24 or /48 only
	toks, err := s.sessions.Mint(ctx, u, mo)
	if err != nil {
		return classifySession(err)
	}
	resp, err := s.tokenResponse(w, r, u, toks)
	if err != nil {
		return err
	}
	if !mo.MFAPending {
		if resp.ElevatedAccessToken, err = s.elevate(ctx, toks.Claims, opt.requestedScopes, opt.amr); err != nil {
			return err
		}
		if opt.mfaToken != nil && !mo.AuthTime.IsZero() {
			if resp.MFAToken, _, err = s.mfa.IssueToken(ctx, u.ID, toks.SessionID, opt.mfaToken.SingleUse); err != nil {
				return err
			}
		}
	}
	if err := s.stillExists(ctx, u.ID); err != nil {
		w.Header().Del("Set-Cookie") // the session cookie set above
		return err
	}
	writeJSON(w, http.StatusOK, &resp) // a pointer: the large answer is not copied into the interface
	return nil
}

// linkOptions are the request options of a verify (link) route.
type linkOptions struct {
	amr             string
	requestedScopes []authkit.Scope
	// replace retires the user's other credentials of the same format
	// once the new one is linked (an email or phone change).
	replace bool
}

// linkCredential is the end of every verify route: attach the proven
// credential to the signed-in user and re-issue the session's tokens,
// whose credential list changed (UpdateSelfResponse).
func (s *server) linkCredential(w http.ResponseWriter, r *http.Request, cred authkit.VerifiedCredential, opt linkOptions) error {
	ctx := r.Context()
	c := claimsOf(r)
	reauth, err := s.reauthenticates(ctx, c.Subject, cred, opt.requestedScopes)
	if err != nil {
		return err
	}
	u, err := s.accounts.Link(ctx, c.Subject, cred)
	if err != nil {
		return classifyLink(err, cred.Format)
	}
	if opt.replace {
		if u, err = s.retireOthers(ctx, u, cred); err != nil {
			return err
		}
	}
	toks, err := s.reissue(ctx, c, u)
	if err != nil {
		return err
	}
	resp, err := s.tokenResponse(w, r, u, toks)
	if err != nil {
		return err
	}
	resp.NextView = "done"
	mfaUser, err := s.hasConfirmedDevice(ctx, u.ID)
	if err != nil {
		return err
	}
	if !mfaUser && reauth {
		if resp.ElevatedAccessToken, err = s.elevate(ctx, toks.Claims, opt.requestedScopes, opt.amr); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// reissue mints new tokens for the session of c (same sid, audience,
// scope and session key) after the user changed.
func (s *server) reissue(ctx context.Context, c *session.Claims, u authkit.User) (session.Tokens, error) {
	toks, err := s.sessions.Mint(ctx, u, session.MintOptions{
		SessionID:          c.SessionID,
		Audience:           firstAudience(c),
		Scopes:             extraScopes(c),
		MFAPending:         c.MFAPending(),
		SessionPublicKey:   c.SessionPublicKey,
		DevicePublicKey:    c.DevicePublicKey,
		SigninCredentialID: c.SigninCredentialID,
		AMR:                c.AMR,
		AuthTime:           authTimeOf(c),
	})
	if err != nil {
		return toks, classifySession(err)
	}
	return toks, nil
}

// elevate mints the elevated access token of requestedScopes (none when
// no scope was requested). Elevated tokens are single-use: the protected
// action consumes it.
func (s *server) elevate(ctx context.Context, c *session.Claims, scopes []authkit.Scope, amr ...string) (string, error) {
	if len(scopes) == 0 {
		return "", nil
	}
	amr = slices.DeleteFunc(amr, func(s string) bool { return s == "" })
	et, _, err := s.sessions.MintElevated(ctx, c, session.ElevatedOptions{Scopes: scopes, SingleUse: true, AMR: amr})
	if err != nil {
		return "", classifySession(err)
	}
	return et, nil
}

// parseRequestedScopes validates requestedScopes: absent, or at least one
// of the 18 token scopes.
func parseRequestedScopes(p *[]string) ([]authkit.Scope, error) {
	if p == nil {
		return nil, nil
	}
	if len(*p) == 0 {
		return nil, errValidation("requestedScopes must not be empty.")
	}
	out := make([]authkit.Scope, 0, len(*p))
	for _, v := range *p {
		sc := authkit.Scope(v)
		if !sc.IsTokenScope() {
			return nil, errValidation("requestedScopes holds an unknown scope.")
		}
		out = append(out, sc)
	}
	return out, nil
}

// validSessionPublicKey checks sessionPublicKey: absent, or a compressed
// P-256 point in hex (66 characters, 02 or 03 first).
func validSessionPublicKey(k string) error {
	if k == "" {
		return nil
	}
	if len(k) != 66 || !(strings.HasPrefix(k, "02") || strings.HasPrefix(k, "03")) || strings.Trim(strings.ToLower(k), "0123456789abcdef") != "" {
		return errValidation("sessionPublicKey must be a compressed P-256 public key in hex.")
	}
	return nil
}

// revoke is POST revoke: end the session; every token of its sid is
// refused from now on. In cookie mode the cookie is cleared.
func (s *server) revoke(w http.ResponseWriter, r *http.Request) error {
	if err := s.sessions.Revoke(r.Context(), claimsOf(r).SessionID); err != nil {
		return classifySession(err)
	}
	if s.cfg.CookieAuth {
		s.sessionHTTP.ClearCookie(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sessionCheck is GET session: 204 while the session is valid (the
// middleware already refused anything else).
func (s *server) sessionCheck(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// jwks serves the public keys that may have signed a live token.
func (s *server) jwks(w http.ResponseWriter, r *http.Request) error {
	s.jwksHandler.ServeHTTP(w, r)
	return nil
}
