package session

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/authkit/authkit"
)

// MiddlewareConfig configures how HTTP requests carry tokens: Middleware,
// RequireScope, the token and Origin checks a handler of its own (such as
// a refresh route) reuses, and the session cookie.
type MiddlewareConfig struct {
	// Kinds are the token kinds accepted. Default KindSession (full or
	// minified). KindElevated is never accepted here: use VerifyElevated.
	Kinds Kind
	// CookieMode also reads the token from the cookie when the request
	// has no Authorization header.
	CookieMode bool
	// CookieName is the session cookie's name. Default
	// "DYNAMIC_JWT_TOKEN" (Dynamic's).
	CookieName string
	// CookieDomain is the session cookie's Domain, e.g. the parent domain
	// in Dynamic-style cookie mode ("example.io" for auth.example.io).
	// Default: host-only.
	CookieDomain string
	// TrustedOrigins are origins (scheme://host[:port]) other than the
	// server's own that may send cookie-authenticated requests. A request
	// authenticated only by the cookie whose Origin header is neither the
	// request's own host nor one of these is refused with ErrCSRF (403):
	// SameSite=Lax alone does not cover same-site subdomains.
	TrustedOrigins []string
	// Optional lets requests without any token through with no claims in
	// the context (a present but invalid token is still refused). Pair it
	// with RequireScope on the routes that need a user.
	Optional bool
	// ErrorHandler writes refusals of Middleware and RequireScope.
	// Default: the answer documented on WriteError.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// Now is the clock for the cookie's Max-Age. Default time.Now.
	Now func() time.Time
}

type ctxKey struct{}

// ClaimsFromContext returns the claims Middleware stored in ctx.
func ClaimsFromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(ctxKey{}).(*Claims)
	return c, ok && c != nil
}

// withClaims returns a copy of ctx carrying c, as Middleware does.
func withClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// Middleware authenticates each request with m.Verify from
// "Authorization: Bearer <token>" or, in cookie mode and without that
// header, from the session cookie, and puts the claims in the request
// context (ClaimsFromContext). A missing or invalid token gets 401 with
// a WWW-Authenticate challenge (RFC 6750 §3).
func Middleware(m *Manager, cfg MiddlewareConfig) func(http.Handler) http.Handler {
	kinds := cfg.Kinds &^ KindElevated
	if kinds == 0 {
		kinds = KindSession
	}
	onErr := cfg.onError()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, fromCookie, err := cfg.Token(r)
			if err != nil {
				onErr(w, r, err)
				return
			}
			if token == "" {
				if cfg.Optional {
					next.ServeHTTP(w, r)
					return
				}
				onErr(w, r, ErrNoToken)
				return
			}
			if fromCookie && !cfg.SameOrigin(r) {
				onErr(w, r, ErrCSRF)
				return
			}
			c, err := m.Verify(r.Context(), token, kinds)
			if err != nil {
				onErr(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(withClaims(r.Context(), c)))
		})
	}
}

// Token reads the request's token: "Authorization: Bearer <token>"
// (RFC 6750 §2.1) or, in cookie mode and without that header, the session
// cookie (fromCookie). An Authorization header that is not a Bearer token
// is an error (matching ErrInvalidToken) rather than a fallback to the
// cookie; no token at all is "" and no error. A cookie-borne token must
// pass SameOrigin before it is used.
func (cfg MiddlewareConfig) Token(r *http.Request) (token string, fromCookie bool, err error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		tok = strings.TrimSpace(tok)
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return "", false, errMalformed
		}
		return tok, false, nil
	}
	if cfg.CookieMode {
		if ck, err := r.Cookie(cfg.cookieName()); err == nil && ck.Value != "" {
			return ck.Value, true, nil
		}
	}
	return "", false, nil
}

// SameOrigin is the cookie-mode CSRF check (Fetch Standard Origin header,
// RFC 6454 §7): the request has no Origin header (a same-origin GET, a
// non-browser client), or its Origin is the request's own host or one of
// TrustedOrigins. A handler that reads the cookie itself, or that must
// refuse a cross-site sign-in (login CSRF), calls it.
func (cfg MiddlewareConfig) SameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	for _, t := range cfg.TrustedOrigins {
		if o == strings.TrimSuffix(t, "/") {
			return true
		}
	}
	host, ok := originHost(o)
	return ok && strings.EqualFold(host, r.Host)
}

func (cfg MiddlewareConfig) cookieName() string {
	if cfg.CookieName == "" {
		return defaultCookieName
	}
	return cfg.CookieName
}

func (cfg MiddlewareConfig) onError() func(http.ResponseWriter, *http.Request, error) {
	if cfg.ErrorHandler == nil {
		return writeError
	}
	return cfg.ErrorHandler
}

// WriteError writes a refusal as Middleware and RequireScope do: through
// ErrorHandler when set, else the default answer (RFC 6750 §3): 401 with a
// WWW-Authenticate challenge for a missing or invalid token (no error code
// when no token was sent, error="invalid_token" otherwise), 403 with
// error="insufficient_scope" and the scope needed (RequiredScope, see
// ErrInsufficientScope) for a missing scope, 403
// for a cross-site cookie request, 500 for anything else (a store
// failure, whose message is not disclosed), and the JSON body
// {"error": message, "code": code} with code one of "unauthorized" (no
// token), "invalid_token", "insufficient_scope", "csrf_rejected" or
// "internal_error". A handler of its own (a refresh route) calls it to
// answer as the middleware would. The token itself never appears.
func (cfg MiddlewareConfig) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	cfg.onError()(w, r, err)
}

// originHost returns the host[:port] of an Origin header that is exactly
// scheme "://" host [":" port], scheme http or https (RFC 6454 §7.1), host
// an ASCII name, an IPv4 address or a bracketed IPv6 one. Anything else,
// a userinfo ("https://evil@victim") above all, is refused rather than
// parsed leniently: url.Parse would report victim as the host.
func originHost(o string) (string, bool) {
	rest, ok := strings.CutPrefix(o, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(o, "http://"); !ok {
			return "", false
		}
	}
	host := rest
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		port := rest[i+1:]
		if port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return "", false
		}
		host = rest[:i]
	}
	allowed := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"
	if inner, ok := strings.CutPrefix(host, "["); ok {
		if inner, ok = strings.CutSuffix(inner, "]"); !ok {
			return "", false
		}
		host, allowed = inner, "0123456789abcdefABCDEF:."
	}
	if host == "" || strings.Trim(host, allowed) != "" {
		return "", false
	}
	return rest, true
}

// RequireScope refuses requests whose claims (put there by Middleware)
// lack scope, through ErrorHandler: a no-token refusal (401) when there
// are no claims, an ErrInsufficientScope refusal (403, by default with
// `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`, RFC
// 6750 §3.1) when the scope is missing. Mount it inside Middleware. Most
// routes require authkit.ScopeUserBasic, which an MFA-pending session
// lacks.
func (cfg MiddlewareConfig) RequireScope(scope authkit.Scope) func(http.Handler) http.Handler {
	onErr := cfg.onError()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := ClaimsFromContext(r.Context())
			if !ok {
				onErr(w, r, ErrNoToken)
				return
			}
			if !c.HasScope(scope) {
				onErr(w, r, &scopeError{required: scope})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// httpStatus maps an error of this package to an HTTP status: 401 for a
// missing or invalid token, 403 for a valid token without the needed
// scope or a cross-site cookie request, 500 otherwise (a store failure).
func httpStatus(err error) int {
	switch {
	case errors.Is(err, ErrInvalidToken):
		return http.StatusUnauthorized
	case errors.Is(err, ErrInsufficientScope), errors.Is(err, ErrCSRF):
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// errorCode is the machine-readable code of the default error body:
// "invalid_token", "insufficient_scope", "csrf_rejected", "unauthorized"
// (no token) or "internal_error".
func errorCode(err error) string {
	switch {
	case errors.Is(err, ErrInsufficientScope):
		return "insufficient_scope"
	case errors.Is(err, ErrCSRF):
		return "csrf_rejected"
	case errors.Is(err, ErrNoToken):
		return "unauthorized"
	case errors.Is(err, ErrInvalidToken):
		return "invalid_token"
	}
	return "internal_error"
}

// Challenge is the WWW-Authenticate value WriteError's default answer
// sends for err (RFC 6750 §3): "Bearer" when no token was sent,
// error="invalid_token" for any other token refusal, error=
// "insufficient_scope" with the scope needed for ErrInsufficientScope,
// and "" for errors that are not a token refusal. A host answering with
// its own error writer (httperr.Write does) sets it from here.
func (MiddlewareConfig) Challenge(err error) string { return challenge(err) }

func challenge(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNoToken):
		return `Bearer`
	case errors.Is(err, ErrInvalidToken):
		return `Bearer error="invalid_token"`
	case errors.Is(err, ErrInsufficientScope):
		ch := `Bearer error="insufficient_scope"`
		var se interface{ RequiredScope() authkit.Scope }
		if errors.As(err, &se) && se.RequiredScope() != "" {
			ch += `, scope="` + string(se.RequiredScope()) + `"`
		}
		return ch
	}
	return ""
}

// writeError is the default refusal of MiddlewareConfig.WriteError.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := httpStatus(err)
	code := errorCode(err)
	if ch := challenge(err); ch != "" {
		w.Header().Set("WWW-Authenticate", ch)
	}
	msg := http.StatusText(status)
	if status != http.StatusInternalServerError {
		msg = err.Error() // our sentinels' texts: no token, no secrets
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}{msg, code})
}
