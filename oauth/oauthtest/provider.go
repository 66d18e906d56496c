package oauthtest

import (
	"net/http/httptest"
	"testing"

	"github.com/authkit/authkit/oauth/oauthdev"
)

// Config configures a fake provider; see oauthdev.Config.
type Config = oauthdev.Config

// Provider is the fake OAuth 2.0 / OpenID Connect provider of package
// oauthdev, with test knobs (Deny, FailEndpoint, TamperIDTokens, …).
type Provider = oauthdev.Provider

// NewProvider returns a fake provider for cfg, to mount with its Handler;
// see oauthdev.NewProvider.
func NewProvider(cfg Config) (*Provider, error) { return oauthdev.NewProvider(cfg) }

// NewServer starts the fake provider on an httptest server (closed at the
// end of the test) with Issuer set to the server's URL.
func NewServer(t testing.TB, cfg Config) *Provider {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	// The listener exists before Start, so the issuer is known up front;
	// Start makes srv.URL from the same address.
	cfg.Issuer = "http://" + srv.Listener.Addr().String()
	p, err := oauthdev.NewProvider(cfg)
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	srv.Config.Handler = p.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	if srv.URL != p.Issuer() {
		t.Fatalf("oauthtest: server URL %q differs from issuer %q", srv.URL, p.Issuer())
	}
	return p
}
