package oauth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
)

const (
	redirectURL = "https://api.example.com/providers/acme/redirect"
	returnURL   = "https://app.example.com/after-login"
)

// env is a Flow wired to a fake provider, both on one fake clock.
type env struct {
	t     *testing.T
	clk   *clock.Fake
	fake  *oauthtest.Provider
	flow  *oauth.Flow
	store *oauth.MemoryStore
}

func newEnv(t *testing.T, fcfg oauthtest.Config, providers func(fake *oauthtest.Provider) []oauth.Provider) *env {
	t.Helper()
	clk := clock.NewFake(time.Now().Truncate(time.Second))
	fcfg.Now = clk.Now
	fcfg.SigningKey = sharedKey(t)
	fake := oauthtest.NewServer(t, fcfg)
	if providers == nil {
		providers = func(fake *oauthtest.Provider) []oauth.Provider {
			return []oauth.Provider{fake.OIDCProvider("acme", redirectURL)}
		}
	}
	store := oauth.NewMemoryStore()
	flow, err := oauth.New(oauth.Config{
		Providers:  providers(fake),
		Store:      store,
		ReturnURLs: []string{returnURL},
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		Now:        clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, clk: clk, fake: fake, flow: flow, store: store}
}

// begin starts a sign-in and has the fake provider approve it; it returns
// the state and the callback parameters.
func (e *env) begin(req oauth.InitRequest) (string, oauth.CallbackParams) {
	e.t.Helper()
	authURL, state, err := e.flow.Begin(e.t.Context(), req)
	if err != nil {
		e.t.Fatalf("Begin: %v", err)
	}
	cb, err := e.fake.Authorize(e.t.Context(), authURL)
	if err != nil {
		e.t.Fatalf("Authorize: %v", err)
	}
	p, err := oauth.ParseCallback(&http.Request{Method: http.MethodGet, URL: cb})
	if err != nil {
		e.t.Fatalf("ParseCallback: %v", err)
	}
	if p.State != state {
		e.t.Fatalf("callback state %q, want %q", p.State, state)
	}
	return state, p
}

// signIn runs a whole sign-in through the recorded callback.
func (e *env) signIn(provider string) (*oauth.Identity, error) {
	e.t.Helper()
	state, p := e.begin(oauth.InitRequest{Provider: provider})
	if _, err := e.flow.Callback(e.t.Context(), provider, p); err != nil {
		e.t.Fatalf("Callback: %v", err)
	}
	return e.flow.Complete(e.t.Context(), oauth.CompleteRequest{Provider: provider, State: state, Code: p.Code})
}

func query(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

var keyOnce struct {
	sync.Once
	key *rsa.PrivateKey
	err error
}

// sharedKey is one RSA key for all fakes in this package's tests.
func sharedKey(t *testing.T) *rsa.PrivateKey {
	keyOnce.Do(func() { keyOnce.key, keyOnce.err = rsa.GenerateKey(rand.Reader, 2048) })
	if keyOnce.err != nil {
		t.Fatal(keyOnce.err)
	}
	return keyOnce.key
}
