package session

import (
	"math"
	"net/http"
	"time"
)

// CookieOptions name and scope the session cookie.
type CookieOptions struct {
	// Name of the cookie. Default DefaultCookieName.
	Name string
	// Domain, e.g. the parent domain in Dynamic-style cookie mode
	// ("example.io" for auth.example.io). Default: host-only.
	Domain string
	// Now is the clock for Max-Age. Default time.Now.
	Now func() time.Time
}

// SetCookie stores the minified token in the session cookie: HttpOnly (no
// script can read it), Secure, SameSite=Lax, Path=/, and Max-Age (and
// Expires) matching the token's exp, so the browser drops it when the
// token dies.
func SetCookie(w http.ResponseWriter, t Tokens, opts CookieOptions) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	left := t.ExpiresAt.Sub(now())
	if left <= 0 || t.MinifiedJWT == "" {
		ClearCookie(w, opts)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName(opts),
		Value:    t.MinifiedJWT,
		Path:     "/",
		Domain:   opts.Domain,
		Expires:  t.ExpiresAt.UTC(),
		MaxAge:   int(math.Ceil(left.Seconds())),
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// ClearCookie deletes the session cookie (Max-Age=0), as logout does.
func ClearCookie(w http.ResponseWriter, opts CookieOptions) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName(opts),
		Value:    "",
		Path:     "/",
		Domain:   opts.Domain,
		MaxAge:   -1, // net/http writes "Max-Age=0"
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

func cookieName(o CookieOptions) string {
	if o.Name == "" {
		return DefaultCookieName
	}
	return o.Name
}
