package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Tests of the HTTP layer that every route shares: environment routing,
// unknown routes, body limit, per-IP limits, CORS.

func TestEnvironmentRouting(t *testing.T) {
	e := newTestEnv(t, nil)
	tests := []struct {
		name, path string
		status     int
		code       string
	}{
		{"malformed env", "/api/v0/sdk/not-a-uuid/session", 400, "validation_error"},
		{"upper-case env", "/api/v0/sdk/" + strings.ToUpper(testEnvID) + "/session", 400, "validation_error"},
		{"unknown env", "/api/v0/sdk/11111111-2222-4333-8444-555555555555/session", 404, "environment_not_found"},
		{"unknown env, unknown route", "/api/v0/sdk/11111111-2222-4333-8444-555555555555/nope", 404, "environment_not_found"},
		{"env root", "/api/v0/sdk/" + testEnvID, 404, "not_found"},
		{"unknown route", "/api/v0/sdk/" + testEnvID + "/nope", 404, "not_found"},
		{"outside the API", "/nope", 404, "not_found"},
		{"root", "/", 404, "not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectError(t, e.do(req{Method: "GET", Path: tc.path}), tc.status, tc.code)
		})
	}
	t.Run("wrong method", func(t *testing.T) {
		r := e.do(req{Method: "DELETE", Path: "session"})
		expectError(t, r, 405, "method_not_allowed")
		if r.Header.Get("Allow") == "" {
			t.Fatal("no Allow header")
		}
	})
}

func TestBodyLimit(t *testing.T) {
	e := newTestEnv(t, nil)
	big := `{"email":"` + strings.Repeat("a", 70<<10) + `@example.com"}`
	expectError(t, e.do(req{Method: "POST", Path: "emailVerifications/create", Body: big}), 413, "body_too_large")
	// A body without a Content-Length (chunked) is cut at the limit too.
	r, err := http.NewRequest("POST", e.base+"/emailVerifications/create", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	r.ContentLength = -1
	res, err := e.ts.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("chunked: status %d", res.StatusCode)
	}
}

func TestMalformedJSON(t *testing.T) {
	e := newTestEnv(t, nil)
	for _, body := range []string{`{`, `[]`, `{"email": 5}`, `{} {}`, `nul`} {
		expectError(t, e.do(req{Method: "POST", Path: "emailVerifications/create", Body: body}), 400, "validation_error")
	}
}

func TestPerIPLimit(t *testing.T) {
	e := newTestEnv(t, nil, func(c *config) { c.IPLimit = "create=2/m,signin=3/m" })
	body := func(i int) map[string]string { return map[string]string{"email": fmt.Sprintf("ip%d@example.com", i)} }
	for i := range 2 {
		r := e.do(req{Method: "POST", Path: "emailVerifications/create", Body: body(i)})
		expectStatus(t, r, 201)
	}
	r := e.do(req{Method: "POST", Path: "emailVerifications/create", Body: body(3)})
	expectError(t, r, 429, "rate_limited")
	ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 60 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
}

func TestIPLimitFlag(t *testing.T) {
	for _, bad := range []string{"create=0/m", "login=5/m", "create"} {
		cfg := defaultConfig()
		cfg.Env = testEnvID
		cfg.Issuer = "http://127.0.0.1:1" + apiPrefix + testEnvID
		cfg.IPLimit = bad
		if _, err := newServer(t.Context(), cfg, serverOptions{}); err == nil {
			t.Errorf("-ip-limit %q accepted", bad)
		}
	}
}

func TestCORS(t *testing.T) {
	const allowed = "https://app.example.com"
	e := newTestEnv(t, nil, func(c *config) { c.CORSOrigins = []string{allowed} })
	t.Run("preflight allowed", func(t *testing.T) {
		r := e.do(req{Method: "OPTIONS", Path: "smsVerifications/create", Header: map[string]string{
			"Origin": allowed, "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "content-type, authorization, x-evil",
		}})
		expectStatus(t, r, 204)
		if r.Header.Get("Access-Control-Allow-Origin") != allowed || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("headers %v", r.Header)
		}
		if h := r.Header.Get("Access-Control-Allow-Headers"); h != "content-type, authorization" {
			t.Fatalf("Allow-Headers %q", h)
		}
	})
	t.Run("preflight refused", func(t *testing.T) {
		r := e.do(req{Method: "OPTIONS", Path: "smsVerifications/create", Header: map[string]string{
			"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
		}})
		if r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Access-Control-Allow-Methods") != "" {
			t.Fatalf("CORS headers for a foreign origin: %v", r.Header)
		}
	})
	t.Run("simple request", func(t *testing.T) {
		r := e.do(req{Method: "GET", Path: "nope", Header: map[string]string{"Origin": allowed}})
		if r.Header.Get("Access-Control-Allow-Origin") != allowed {
			t.Fatalf("headers %v", r.Header)
		}
		if !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Origin") {
			t.Fatal("no Vary: Origin")
		}
		r = e.do(req{Method: "GET", Path: "nope", Header: map[string]string{"Origin": "https://evil.example"}})
		if r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatal("foreign origin allowed")
		}
	})
}
