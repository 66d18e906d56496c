package oauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
)

// The provider's error and error_description arrive from the browser
// (anyone can craft the callback URL): in the error text they are quoted,
// so they cannot forge log lines or break out of a message.
func TestProviderErrorQuotesBrowserInput(t *testing.T) {
	err := error(&oauth.ProviderError{Code: "access_denied", Description: "no\nlevel=ERROR msg=forged"})
	if !errors.Is(err, oauth.ErrProviderError) {
		t.Fatal("not ErrProviderError")
	}
	if s := err.Error(); strings.ContainsAny(s, "\r\n") {
		t.Fatalf("error text carries a raw newline: %q", s)
	}
}

// A generic provider's issuer is configuration a host may take from a
// tenant admin; whatever its discovery URL answers must not come back in
// the error (go-oidc quotes a non-200 body whole), or the sign-in API
// becomes a way to read internal URLs.
func TestDiscoveryErrorHidesResponseBody(t *testing.T) {
	const internal = "INTERNAL-ONLY-admin-password=hunter2"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, internal, http.StatusForbidden)
	}))
	defer srv.Close()
	f, err := oauth.New(oauth.Config{Store: oauth.NewMemoryStore(), Providers: []oauth.Provider{{
		Name: "acme-sso", ClientID: "cid", ClientSecret: "secret",
		RedirectURLs: []string{"https://api.example.com/cb"}, Issuer: srv.URL,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.Begin(t.Context(), oauth.InitRequest{Provider: "acme-sso"})
	if !errors.Is(err, oauth.ErrProviderUnavailable) {
		t.Fatalf("err = %v, want ErrProviderUnavailable", err)
	}
	if strings.Contains(err.Error(), internal) {
		t.Fatalf("error text carries the discovery response body: %v", err)
	}
}

// go-oidc reads a discovery document without any bound; ours stops at
// 1 MiB like every other provider response, so an issuer (or whatever
// internal URL it was pointed at) cannot exhaust the server's memory.
// Leading white space keeps the oversized document valid JSON: without a
// bound, discovery would succeed.
func TestDiscoveryDocumentIsBounded(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		pad := []byte(strings.Repeat(" ", 64<<10))
		for range 40 { // 2.5 MiB
			if _, err := w.Write(pad); err != nil {
				return
			}
		}
		_, _ = w.Write([]byte(`{"issuer":"` + srv.URL + `","authorization_endpoint":"` + srv.URL + `/auth",` +
			`"token_endpoint":"` + srv.URL + `/token","jwks_uri":"` + srv.URL + `/jwks"}`))
	}))
	defer srv.Close()
	f, err := oauth.New(oauth.Config{Store: oauth.NewMemoryStore(), Providers: []oauth.Provider{{
		Name: "acme-sso", ClientID: "cid", ClientSecret: "secret",
		RedirectURLs: []string{"https://api.example.com/cb"}, Issuer: srv.URL,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err = f.Begin(t.Context(), oauth.InitRequest{Provider: "acme-sso"}); !errors.Is(err, oauth.ErrProviderUnavailable) {
		t.Fatalf("oversized discovery document: err = %v, want ErrProviderUnavailable", err)
	}
}

// Whoever holds a live state (an attacker can start a sign-in of their
// own) decides what the callback stores: oversized values must not reach
// the state store, where every byte is kept for StateTTL + StateRetention.
func TestCallbackBoundsStoredValues(t *testing.T) {
	e := newEnv(t, oauthtest.Config{}, nil)
	_, p := e.begin(oauth.InitRequest{Provider: "acme"})
	big := strings.Repeat("A", 512<<10)
	huge := p
	huge.Code = big
	if _, err := e.flow.Callback(t.Context(), "acme", huge); !errors.Is(err, oauth.ErrExchangeFailed) {
		t.Fatalf("512 KiB code: err = %v, want ErrExchangeFailed", err)
	}
	denied := p
	denied.Code, denied.Error, denied.ErrorDescription = "", "access_denied"+big, big
	rec, err := e.flow.Callback(t.Context(), "acme", denied)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Error) > 256 || len(rec.ErrorDescription) > 1024 {
		t.Fatalf("stored error %d bytes, description %d bytes", len(rec.Error), len(rec.ErrorDescription))
	}
}

// Only Apple sends a "user" field: from any other provider it is not
// stored; codes over MaxCodeLen and states this package never makes are
// refused before the store is asked.
func TestCallbackKeepsOnlyWhatTheProviderSends(t *testing.T) {
	e := newEnv(t, oauthtest.Config{}, nil)
	_, p := e.begin(oauth.InitRequest{Provider: "acme"})
	withUser := p
	withUser.User = `{"name":{"firstName":"Mallory"}}`
	rec, err := e.flow.Callback(t.Context(), "acme", withUser)
	if err != nil {
		t.Fatal(err)
	}
	if rec.CallbackUser != "" {
		t.Fatalf("non-Apple provider's user field stored: %q", rec.CallbackUser)
	}
	_, p = e.begin(oauth.InitRequest{Provider: "acme"})
	long := p
	long.Code = strings.Repeat("c", oauth.MaxCodeLen+1)
	if _, err := e.flow.Callback(t.Context(), "acme", long); !errors.Is(err, oauth.ErrExchangeFailed) {
		t.Fatalf("code over MaxCodeLen: err = %v", err)
	}
	long.Code = strings.Repeat("c", oauth.MaxCodeLen)
	if _, err := e.flow.Callback(t.Context(), "acme", long); err != nil {
		t.Fatalf("code of MaxCodeLen: %v", err)
	}
	for _, st := range []string{strings.Repeat("s", 129), "short", "has space in it 0123", strings.Repeat("s", 64<<10)} {
		bad := p
		bad.State = st
		if _, err := e.flow.Callback(t.Context(), "acme", bad); !errors.Is(err, oauth.ErrNotFound) {
			t.Errorf("callback state of %d bytes: err = %v", len(st), err)
		}
		if _, err := e.flow.Result(t.Context(), "acme", st); !errors.Is(err, oauth.ErrNotFound) {
			t.Errorf("result state of %d bytes: err = %v", len(st), err)
		}
		if _, err := e.flow.AuthCodeURL(t.Context(), "acme", st); !errors.Is(err, oauth.ErrNotFound) {
			t.Errorf("loginUrl state of %d bytes: err = %v", len(st), err)
		}
		if _, err := e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: st}); !errors.Is(err, oauth.ErrNotFound) {
			t.Errorf("complete state of %d bytes: err = %v", len(st), err)
		}
	}
}

// The token endpoint's error code ends up in the error text: quoted, so a
// hostile or broken endpoint cannot forge log lines either.
func TestExchangeErrorQuotesProviderCode(t *testing.T) {
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant\nlevel=ERROR msg=forged"}`))
	}))
	defer tokenSrv.Close()
	e := newEnv(t, oauthtest.Config{}, func(fake *oauthtest.Provider) []oauth.Provider {
		ep := fake.Endpoints()
		ep.TokenURL = tokenSrv.URL
		return []oauth.Provider{{Name: "github", ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), RedirectURLs: []string{redirectURL}, Endpoints: ep}}
	})
	_, err := e.signIn("github")
	if !errors.Is(err, oauth.ErrExchangeFailed) {
		t.Fatalf("err = %v, want ErrExchangeFailed", err)
	}
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Fatalf("error text carries a raw newline: %q", err.Error())
	}
}
