package session

import (
	"math"
	"net/http"
	"time"
)

// SetCookie stores the minified token in the session cookie (CookieName,
// CookieDomain): HttpOnly (no script can read it), Secure, SameSite=Lax,
// Path=/, and Max-Age (and Expires) matching the token's exp, so the
// browser drops it when the token dies (RFC 6265 §4.1.2).
func (cfg MiddlewareConfig) SetCookie(w http.ResponseWriter, t Tokens) {
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	left := t.ExpiresAt.Sub(now())
	if left <= 0 || t.MinifiedJWT == "" {
		cfg.ClearCookie(w)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     cfg.cookieName(),
		Value:    t.MinifiedJWT,
		Path:     "/",
		Domain:   cfg.CookieDomain,
		Expires:  t.ExpiresAt.UTC(),
		MaxAge:   int(math.Ceil(left.Seconds())),
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// ClearCookie deletes the session cookie (Max-Age=0), as logout does.
func (cfg MiddlewareConfig) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     cfg.cookieName(),
		Value:    "",
		Path:     "/",
		Domain:   cfg.CookieDomain,
		MaxAge:   -1, // net/http writes "Max-Age=0"
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}
