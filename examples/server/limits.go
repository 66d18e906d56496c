package main

import (
	"net"
	"net/http"
	"net/netip"
)

// maxBodyBytes is the largest request body the server reads (the API's limit:
// 64 KiB, 413 body_too_large above it). Every request body in the API is a
// few hundred bytes; the limit keeps a slow or huge upload from tying up
// memory.
const maxBodyBytes = 64 << 10

// limitBody refuses a declared oversized body at once and caps the bytes
// read from any body; decoding past the cap fails with *http.MaxBytesError,
// which asAPIError maps to 413.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			// Do not read the rest of an upload we will not use.
			w.Header().Set("Connection", "close")
			writeError(w, errBodyTooLarge())
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// The -ip-limit buckets: OTP create/retry, every route that checks a code
// or completes a sign-in, the public OAuth state routes (initAuth,
// loginUrl, the provider's callback, oauthResult), and the OAuth states
// one client may create. States are kept until they expire (StateTTL, 10
// minutes), so oauth-states over that window caps the states one address
// holds at once: about twice the rule's limit at most (ratelimit's
// burst), whatever it sends.
const (
	ipLimitCreate      = "create"
	ipLimitSignin      = "signin"
	ipLimitOAuth       = "oauth"
	ipLimitOAuthStates = "oauth-states"
)

// isIPLimitBucket reports whether -ip-limit knows the bucket name.
func isIPLimitBucket(name string) bool {
	switch name {
	case ipLimitCreate, ipLimitSignin, ipLimitOAuth, ipLimitOAuthStates:
		return true
	}
	return false
}

type unknownLimitError struct{ name string }

func (e *unknownLimitError) Error() string {
	return "-ip-limit: unknown bucket " + e.name + " (want create, signin, oauth or oauth-states)"
}

// limitIP applies the per-IP bucket to h; a missing bucket means no limit.
func (s *server) limitIP(bucket string, h apiHandler) apiHandler {
	l := s.ipLimits[bucket]
	if l == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		d, err := l.Allow(r.Context(), bucket+"|"+clientIP(r))
		if err != nil {
			return err // fail closed: a limiter that cannot decide refuses
		}
		if !d.Allowed {
			return errRateLimited(d.RetryAfter, d.Err())
		}
		return h(w, r)
	}
}

// clientIP is the key of the per-IP limits: the peer address of the
// connection. X-Forwarded-For is deliberately ignored: behind a proxy, put
// the limits in the proxy or key them on a header the proxy overwrites.
// IPv6 clients are keyed by their /64, which one host usually holds whole.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
