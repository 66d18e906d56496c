package main

import (
	"net/http"
	"strings"
)

// Cross-site request refusal. A page on another site can make a visitor's
// browser send requests that need no CORS preflight: a form POST, a
// text/plain fetch, a top-level GET navigation. Answers are unreadable to
// that page, but what the request changes happens all the same, and in
// cookie mode the SameSite=Lax cookie rides along on top-level GETs. So:
//
//   - OTP create and retry, which send a code (and cost money), refuse a
//     foreign Origin in every mode, or any site could pump SMS from its
//     visitors' IPs;
//   - in cookie mode every route that creates or changes state refuses a
//     foreign Origin, and, since top-level GETs carry no Origin, refuses
//     Sec-Fetch-Site: cross-site unless an allowed origin is named;
//     requests carrying a bearer token are exempt, as in sameSiteSignIn.
//
// Trusted origins are the issuer's, each -cors-origin and the request's
// own host (session.MiddlewareConfig.SameOrigin, compared as exact strings, so "https://a@b" or
// "https://b/" never pass for "https://b"). Requests without Origin or
// Sec-Fetch-Site (non-browser clients, older browsers) pass: the cookie
// check (SameSite=Lax) and the bearer token remain.

// stateChangingGETs are the GET routes that create state: starting a TOTP
// enrolment makes a device, reading recovery codes makes a set, the
// passkey and nonce routes store a challenge. A new GET route that stores
// anything belongs here (TestCrossSiteEveryStateChangingRoute).
var stateChangingGETs = map[string]bool{
	"/users/mfa/register/totp":     true,
	"/users/mfa/recovery":          true,
	"/users/mfa/register/passkey":  true,
	"/users/passkeys/register":     true,
	"/users/passkeys/signin":       true,
	"/users/passkeys/authenticate": true,
	"/nonces":                      true,
	"/nonce":                       true,
}

// codeSendingRoutes are the public routes that send a one-time code.
var codeSendingRoutes = map[string]bool{
	"/smsVerifications/create":   true,
	"/smsVerifications/retry":    true,
	"/emailVerifications/create": true,
	"/emailVerifications/retry":  true,
}

// crossSiteExempt are the routes another site calls by design: the OAuth
// provider's callback (Apple's form_post is a cross-site POST).
var crossSiteExempt = map[string]bool{
	"/providers/{type}/redirect": true,
}

// changesState reports whether the route creates or changes state.
func changesState(rt route) bool {
	switch rt.method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return stateChangingGETs[rt.path]
	}
	return !crossSiteExempt[rt.path]
}

// guardCrossSite wraps the route's handler with the refusals above.
func (s *server) guardCrossSite(rt route) apiHandler {
	h := rt.h
	sendsCode := codeSendingRoutes[rt.path]
	cookieGuard := s.cfg.CookieAuth && changesState(rt)
	if !sendsCode && !cookieGuard {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		// A bearer token is never attached by a cross-site page (the
		// header needs a preflight the CORS allow-list refuses).
		cookieGuard := cookieGuard && r.Header.Get("Authorization") == ""
		if (sendsCode || cookieGuard) && !s.sessionHTTP.SameOrigin(r) {
			return errCSRF()
		}
		if cookieGuard && r.Header.Get("Origin") == "" && strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "cross-site") {
			return errCSRF()
		}
		return h(w, r)
	}
}
