package session

import (
	"net/http/httptest"
	"testing"
)

// The cookie CSRF check accepts an Origin only in its exact serialized
// form; "https://evil@victim" names victim to url.Parse and was accepted.
func TestOriginAllowedStrict(t *testing.T) {
	cfg := MiddlewareConfig{TrustedOrigins: []string{"https://app.example/"}}
	tests := []struct {
		origin string
		want   bool
	}{
		{"", true},
		{"https://app.example", true},
		{"https://api.example", true},
		{"http://api.example", true},
		{"https://API.example", true},
		{"https://api.example:443", false}, // another host[:port] than the request's
		{"https://evil@api.example", false},
		{"https://@api.example", false},
		{"https://api.example@evil.example", false},
		{"https://api.example/", false},
		{"https://api.example/x", false},
		{"https://api.example?x", false},
		{"https://api.example#x", false},
		{"https://api.example:", false},
		{"https://api.example:x1", false},
		{"ftp://api.example", false},
		{"//api.example", false},
		{"api.example", false},
		{"null", false},
		{"https://api.example\\@evil", false},
		{"https://api%2eexample", false},
		{"https://evil.example", false},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("GET", "https://api.example/x", nil)
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if got := cfg.SameOrigin(r); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.origin, got, tc.want)
		}
	}
	for o, want := range map[string]bool{
		"http://127.0.0.1:8080": true, "http://[::1]:8080": true, "http://[::1]": true, "http://[::1": false,
		"http://[evil]:1": false, "http://a:123456": false, "https://xn--bcher-kva.example": true, "https://bücher.example": false,
	} {
		if _, got := originHost(o); got != want {
			t.Errorf("originHost(%q) = %v, want %v", o, got, want)
		}
	}
}
