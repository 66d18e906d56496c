package main

import (
	"net/http"
	"strings"
)

// corsAllowedHeaders are the request headers a browser may send
// cross-origin. Dynamic's SDK also sends x-dyn-* headers.
var corsAllowedHeaders = map[string]bool{
	"authorization":    true,
	"content-type":     true,
	"x-mfa-auth-token": true,
}

// cors answers preflights and adds CORS headers for the configured origins
// only. Credentials are allowed because cookie mode needs them; that is
// safe only because the origin is echoed from an exact allow-list, never
// "*" nor a pattern.
func (s *server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		allowed := origin != "" && s.corsOrigins[origin]
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Expose-Headers", "Retry-After")
		}
		if !preflight {
			next.ServeHTTP(w, r)
			return
		}
		// A preflight never reaches a handler; without the allow headers
		// the browser refuses the real request.
		if allowed {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")
			if hs := allowedRequestHeaders(r.Header.Get("Access-Control-Request-Headers")); hs != "" {
				h.Set("Access-Control-Allow-Headers", hs)
			}
			h.Set("Access-Control-Max-Age", "600")
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// allowedRequestHeaders keeps the requested headers that may be sent.
func allowedRequestHeaders(req string) string {
	var out []string
	for f := range strings.SplitSeq(req, ",") {
		name := strings.ToLower(strings.TrimSpace(f))
		if corsAllowedHeaders[name] || strings.HasPrefix(name, "x-dyn-") {
			out = append(out, name)
		}
	}
	return strings.Join(out, ", ")
}
