package main

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestPasskeyFlags(t *testing.T) {
	env := map[string]string{"AUTHKIT_RP_ORIGIN": "https://a.example.com https://b.example.com"}
	c, err := parseConfig([]string{"-rp-id", "example.com", "-rp-name", "ACME", "-rp-related", "example.org=https://example.org"},
		func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.RPID != "example.com" || c.RPName != "ACME" || !slices.Equal(c.RPOrigins, []string{"https://a.example.com", "https://b.example.com"}) ||
		!slices.Equal(c.RPRelated, []string{"example.org=https://example.org"}) {
		t.Fatalf("config %+v", c)
	}
}

func TestPasskeyRelyingParty(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*config)
		rpID    string
		origins []string // checked when set
		bad     bool
	}{
		{"loopback issuer", func(*config) {}, "localhost", []string{"http://localhost:8080"}, false},
		{"issuer host", func(c *config) {
			c.Issuer = "https://auth.example.com" + apiPrefix + testEnvID
			c.CORSOrigins = []string{"https://app.example.com"}
		}, "auth.example.com", []string{"https://auth.example.com", "https://app.example.com"}, false},
		{"flags", func(c *config) {
			c.RPID, c.RPOrigins = "example.com", []string{"https://example.com"}
			c.RPRelated = []string{"example.org=https://example.org,https://www.example.org"}
		}, "example.com", []string{"https://example.com"}, false},
		{"origin outside the secure contexts", func(c *config) {
			c.RPID, c.RPOrigins = "example.com", []string{"http://example.com"}
		}, "", nil, true},
		{"malformed -rp-related", func(c *config) { c.RPRelated = []string{"example.org"} }, "", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.Env = testEnvID
			cfg.Issuer = "http://127.0.0.1:8080" + apiPrefix + testEnvID
			tc.mod(&cfg)
			srv, err := newServer(context.Background(), cfg, serverOptions{})
			if tc.bad {
				if err == nil || !strings.Contains(err.Error(), "rp") {
					t.Fatalf("newServer = %v, want a relying-party error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			if got := srv.passkeys.RPID(); got != tc.rpID {
				t.Fatalf("RP ID %q, want %q", got, tc.rpID)
			}
			if tc.origins != nil {
				doc, err := srv.passkeys.RelatedOrigins(tc.rpID)
				for _, o := range tc.origins {
					if err != nil || !strings.Contains(string(doc), `"`+o+`"`) {
						t.Fatalf("origins %s (%v), want %v", doc, err, tc.origins)
					}
				}
			}
		})
	}
}

func TestPasskeyWellKnown(t *testing.T) {
	e := newTestEnv(t, nil, func(c *config) {
		c.Issuer = strings.Replace(c.Issuer, "127.0.0.1", "localhost", 1)
		c.RPOrigins = []string{strings.Replace(strings.SplitN(c.Issuer, "/api/", 2)[0], "127.0.0.1", "localhost", 1), "https://app.example.net"}
	})
	r := e.do(req{Method: "GET", Path: "/.well-known/webauthn"})
	expectStatus(t, r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" || !strings.Contains(string(r.Body), `"https://app.example.net"`) {
		t.Fatalf("well-known %s %s", ct, r.Body)
	}
	// Served only by the RP ID's own host.
	other := newTestEnv(t, nil, func(c *config) { c.RPID, c.RPOrigins = "example.com", []string{"https://example.com"} })
	expectStatus(t, other.do(req{Method: "GET", Path: "/.well-known/webauthn"}), 404)
}
