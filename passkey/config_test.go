package passkey_test

import (
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit/passkey"
)

func TestNewValidatesConfig(t *testing.T) {
	ok := func() passkey.Config {
		return passkey.Config{
			RP:    passkey.RelyingParty{ID: "example.com", Origins: []string{"https://example.com", "https://app.example.com"}},
			Name:  "ACME",
			Store: passkey.NewMemoryStore(),
		}
	}
	tests := []struct {
		name   string
		change func(*passkey.Config)
		valid  bool
	}{
		{"valid", func(*passkey.Config) {}, true},
		{"localhost over http", func(c *passkey.Config) {
			c.RP = passkey.RelyingParty{ID: "localhost", Origins: []string{"http://localhost:8080"}}
		}, true},
		{"related RP", func(c *passkey.Config) {
			c.Related = []passkey.RelyingParty{{ID: "example.org", Origins: []string{"https://example.org"}}}
		}, true},
		{"all options", func(c *passkey.Config) {
			c.MaxPasskeys, c.ChallengeTTL, c.UserVerification = 3, time.Minute, passkey.UVRequired
		}, true},
		{"no store", func(c *passkey.Config) { c.Store = nil }, false},
		{"no name", func(c *passkey.Config) { c.Name = "" }, false},
		{"no RP ID", func(c *passkey.Config) { c.RP.ID = "" }, false},
		{"IP address RP ID", func(c *passkey.Config) {
			c.RP = passkey.RelyingParty{ID: "127.0.0.1", Origins: []string{"http://127.0.0.1:8080"}}
		}, false},
		{"RP ID with scheme", func(c *passkey.Config) { c.RP.ID = "https://example.com" }, false},
		{"RP ID with port", func(c *passkey.Config) { c.RP.ID = "example.com:443" }, false},
		{"upper-case RP ID", func(c *passkey.Config) { c.RP.ID = "Example.com" }, false},
		{"no origins", func(c *passkey.Config) { c.RP.Origins = nil }, false},
		{"http origin off loopback", func(c *passkey.Config) { c.RP.Origins = []string{"http://example.com"} }, false},
		{"origin with path", func(c *passkey.Config) { c.RP.Origins = []string{"https://example.com/app"} }, false},
		{"origin with trailing slash", func(c *passkey.Config) { c.RP.Origins = []string{"https://example.com/"} }, false},
		{"upper-case origin", func(c *passkey.Config) { c.RP.Origins = []string{"https://Example.com"} }, false},
		{"wildcard origin", func(c *passkey.Config) { c.RP.Origins = []string{"*"} }, false},
		{"duplicate RP ID", func(c *passkey.Config) {
			c.Related = []passkey.RelyingParty{{ID: "example.com", Origins: []string{"https://example.com"}}}
		}, false},
		{"bad related RP", func(c *passkey.Config) { c.Related = []passkey.RelyingParty{{ID: "example.org"}} }, false},
		{"negative maximum", func(c *passkey.Config) { c.MaxPasskeys = -1 }, false},
		{"TTL too short", func(c *passkey.Config) { c.ChallengeTTL = time.Second }, false},
		{"TTL too long", func(c *passkey.Config) { c.ChallengeTTL = time.Hour }, false},
		{"unknown user verification", func(c *passkey.Config) { c.UserVerification = "sometimes" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok()
			tc.change(&cfg)
			svc, err := passkey.New(cfg)
			if tc.valid && (err != nil || svc == nil) {
				t.Fatalf("New = %v, want a service", err)
			}
			if !tc.valid && !errors.Is(err, passkey.ErrConfig) {
				t.Fatalf("New = %v, want ErrConfig", err)
			}
		})
	}
}

func TestRelatedOrigins(t *testing.T) {
	svc, err := passkey.New(passkey.Config{
		RP:      passkey.RelyingParty{ID: "example.com", Origins: []string{"https://example.com", "https://example.co.uk"}},
		Related: []passkey.RelyingParty{{ID: "example.org", Origins: []string{"https://example.org"}}},
		Name:    "ACME",
		Store:   passkey.NewMemoryStore(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if svc.RPID() != "example.com" {
		t.Fatalf("RPID = %q", svc.RPID())
	}
	for _, tc := range []struct{ rpID, want string }{
		{"example.com", `{"origins":["https://example.com","https://example.co.uk"]}`},
		{"example.org", `{"origins":["https://example.org"]}`},
	} {
		got, err := svc.RelatedOrigins(tc.rpID)
		if err != nil || string(got) != tc.want {
			t.Errorf("RelatedOrigins(%s) = %s, %v; want %s", tc.rpID, got, err, tc.want)
		}
	}
	if _, err := svc.RelatedOrigins("evil.example"); !errors.Is(err, passkey.ErrUnknownRPID) {
		t.Errorf("RelatedOrigins(unknown) = %v", err)
	}
}
