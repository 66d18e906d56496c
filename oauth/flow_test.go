package oauth_test

import (
	"context"
	"errors"

	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
)

func TestFullFlowGenericOIDC(t *testing.T) {
	e := newEnv(t, oauthtest.Config{Subject: "00u1", Name: "Ada Lovelace", Username: "ada", Email: "ada@example.com", Picture: "https://img.example.com/ada.png"}, nil)
	state, p := e.begin(oauth.InitRequest{Provider: "acme", ReturnURL: returnURL})
	rec, err := e.flow.Callback(t.Context(), "acme", p)
	if err != nil {
		t.Fatal(err)
	}
	loc, ok := oauth.ReturnLocation(rec)
	if !ok {
		t.Fatal("no return location")
	}
	q := query(t, loc)
	if !strings.HasPrefix(loc, returnURL+"?") || q.Get("state") != state || q.Get("code") != p.Code {
		t.Fatalf("return location %q", loc)
	}
	id, err := e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state, Code: p.Code})
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if id.Provider != "acme" || id.AccountID != "00u1" || id.Username != "ada" || id.DisplayName != "Ada Lovelace" {
		t.Fatalf("identity %+v", id)
	}
	if len(id.Emails) != 1 || id.Emails[0] != (oauth.Email{Address: "ada@example.com", Verified: true, Primary: true}) {
		t.Fatalf("emails %+v", id.Emails)
	}
	c := id.Credential()
	if c.Format != authkit.FormatOAuth || c.OAuthProvider != "acme" || c.OAuthAccountID != "00u1" ||
		c.OAuthUsername != "ada" || c.OAuthDisplayName != "Ada Lovelace" || c.PublicIdentifier != "ada" ||
		len(c.OAuthEmails) != 1 || c.OAuthEmails[0] != "ada@example.com" ||
		len(c.OAuthAccountPhotos) != 1 || len(c.OAuthMetadata) == 0 {
		t.Fatalf("credential %+v", c)
	}
	if e.fake.Hits("discovery") != 1 || e.fake.Hits("jwks") != 1 {
		t.Fatalf("discovery hits %d, jwks hits %d", e.fake.Hits("discovery"), e.fake.Hits("jwks"))
	}
	// A second sign-in reuses discovery and the cached keys.
	if _, err := e.signIn("acme"); err != nil {
		t.Fatal(err)
	}
	if e.fake.Hits("discovery") != 1 || e.fake.Hits("jwks") != 1 {
		t.Fatalf("after 2nd sign-in: discovery hits %d, jwks hits %d", e.fake.Hits("discovery"), e.fake.Hits("jwks"))
	}
}

func TestAuthorizationURL(t *testing.T) {
	e := newEnv(t, oauthtest.Config{}, func(fake *oauthtest.Provider) []oauth.Provider {
		return []oauth.Provider{
			fake.OIDCProvider("acme", redirectURL, redirectURL+"2"),
			{Name: "github", ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), RedirectURLs: []string{redirectURL}, Endpoints: fake.Endpoints(),
				AuthParams: map[string]string{"prompt": "consent", "state": "evil", "code_challenge_method": "plain"}},
			{Name: "tiktok", ClientID: "tk", ClientSecret: "s", RedirectURLs: []string{redirectURL}},
		}
	})
	seen := map[string]bool{}
	for i := range 3 {
		u, state, err := e.flow.Begin(t.Context(), oauth.InitRequest{Provider: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		q := query(t, u)
		if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
			t.Fatalf("PKCE params: %v", q)
		}
		if q.Get("state") != state || len(state) < 43 || seen[state] {
			t.Fatalf("state %q not fresh (%d)", state, i)
		}
		seen[state] = true
		if n := q.Get("nonce"); len(n) < 43 || seen[n] {
			t.Fatalf("nonce %q missing or reused", n)
		} else {
			seen[n] = true
		}
		if seen[q.Get("code_challenge")] {
			t.Fatal("challenge reused")
		}
		seen[q.Get("code_challenge")] = true
		if q.Get("redirect_uri") != redirectURL || q.Get("response_type") != "code" || q.Get("scope") != "openid email profile" {
			t.Fatalf("params %v", q)
		}
	}
	// The second configured redirect URL, chosen exactly.
	u, _, err := e.flow.Begin(t.Context(), oauth.InitRequest{Provider: "acme", RedirectURL: redirectURL + "2"})
	if err != nil || query(t, u).Get("redirect_uri") != redirectURL+"2" {
		t.Fatalf("second redirect: %v %v", u, err)
	}
	// Non-OIDC provider: no nonce; AuthParams cannot override security params.
	u, state, err := e.flow.Begin(t.Context(), oauth.InitRequest{Provider: "github"})
	if err != nil {
		t.Fatal(err)
	}
	q := query(t, u)
	if q.Has("nonce") || q.Get("state") != state || q.Get("code_challenge_method") != "S256" || q.Get("prompt") != "consent" {
		t.Fatalf("github params %v", q)
	}
	// TikTok also names the client as client_key.
	u, _, err = e.flow.Begin(t.Context(), oauth.InitRequest{Provider: "tiktok"})
	if err != nil || query(t, u).Get("client_key") != "tk" || !strings.HasPrefix(u, "https://www.tiktok.com/v2/auth/authorize/") {
		t.Fatalf("tiktok %v %v", u, err)
	}
}

func TestInitThenAuthCodeURL(t *testing.T) {
	e := newEnv(t, oauthtest.Config{}, nil)
	const clientState = "client-state-0123456789abcdef"
	rec, err := e.flow.Init(t.Context(), oauth.InitRequest{Provider: "acme", State: clientState, ReturnURL: returnURL})
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != clientState || rec.CodeVerifier == "" || rec.Nonce == "" || !rec.ExpiresAt.Equal(rec.CreatedAt.Add(10*time.Minute)) {
		t.Fatalf("record %+v", rec)
	}
	u, err := e.flow.AuthCodeURL(t.Context(), "acme", clientState)
	if err != nil {
		t.Fatal(err)
	}
	q := query(t, u)
	if q.Get("state") != clientState || q.Get("code_challenge") != oauth.S256Challenge(rec.CodeVerifier) || q.Get("nonce") != rec.Nonce {
		t.Fatalf("params %v", q)
	}
	_, err = e.flow.AuthCodeURL(t.Context(), "other", clientState)
	if !errors.Is(err, oauth.ErrStateMismatch) {
		t.Fatalf("other provider: %v", err)
	}
	// The same client state cannot be registered twice.
	_, err = e.flow.Init(t.Context(), oauth.InitRequest{Provider: "acme", State: clientState})
	if !errors.Is(err, oauth.ErrDuplicate) || !errors.Is(err, oauth.ErrInvalidState) {
		t.Fatalf("reused client state: %v", err)
	}
}

func TestInitRejections(t *testing.T) {
	e := newEnv(t, oauthtest.Config{}, nil)
	for _, tc := range []struct {
		name string
		req  oauth.InitRequest
		want error
	}{
		{"unknown provider", oauth.InitRequest{Provider: "nope"}, oauth.ErrUnknownProvider},
		{"redirect not configured", oauth.InitRequest{Provider: "acme", RedirectURL: "https://evil.example/cb"}, oauth.ErrRedirectURLNotAllowed},
		{"redirect prefix", oauth.InitRequest{Provider: "acme", RedirectURL: redirectURL + "/x"}, oauth.ErrRedirectURLNotAllowed},
		{"redirect case", oauth.InitRequest{Provider: "acme", RedirectURL: strings.ToUpper(redirectURL)}, oauth.ErrRedirectURLNotAllowed},
		{"return not configured", oauth.InitRequest{Provider: "acme", ReturnURL: returnURL + "?x=1"}, oauth.ErrRedirectURLNotAllowed},
		{"state too short", oauth.InitRequest{Provider: "acme", State: "short"}, oauth.ErrInvalidStateValue},
		{"state bad chars", oauth.InitRequest{Provider: "acme", State: "abcdefghijklmnop&q=1"}, oauth.ErrInvalidStateValue},
		{"state too long", oauth.InitRequest{Provider: "acme", State: strings.Repeat("a", 129)}, oauth.ErrInvalidStateValue},
		{"challenge not S256", oauth.InitRequest{Provider: "acme", CodeChallenge: "plain-verifier"}, oauth.ErrInvalidCodeChallenge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.flow.Init(t.Context(), tc.req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestStateRejections(t *testing.T) {
	newTwo := func(t *testing.T) *env {
		return newEnv(t, oauthtest.Config{}, func(fake *oauthtest.Provider) []oauth.Provider {
			return []oauth.Provider{fake.OIDCProvider("acme", redirectURL), fake.OIDCProvider("other", redirectURL)}
		})
	}
	t.Run("reused", func(t *testing.T) {
		e := newTwo(t)
		state, p := e.begin(oauth.InitRequest{Provider: "acme"})
		req := oauth.CompleteRequest{Provider: "acme", State: state, Code: p.Code}
		if _, err := e.flow.Complete(t.Context(), req); err != nil {
			t.Fatal(err)
		}
		_, err := e.flow.Complete(t.Context(), req)
		if !errors.Is(err, oauth.ErrStateUsed) || !errors.Is(err, oauth.ErrInvalidState) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		e := newTwo(t)
		_, err := e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: "never-issued-state-123", Code: "c"})
		if !errors.Is(err, oauth.ErrNotFound) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		e := newTwo(t)
		state, p := e.begin(oauth.InitRequest{Provider: "acme"})
		e.clk.Advance(10*time.Minute + time.Second)
		_, err := e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state, Code: p.Code})
		if !errors.Is(err, oauth.ErrStateExpired) {
			t.Fatalf("err = %v", err)
		}
		if _, err := e.flow.Callback(t.Context(), "acme", p); !errors.Is(err, oauth.ErrStateExpired) {
			t.Fatalf("callback after expiry: %v", err)
		}
	})
	t.Run("other provider", func(t *testing.T) {
		e := newTwo(t)
		state, p := e.begin(oauth.InitRequest{Provider: "acme"})
		if _, err := e.flow.Callback(t.Context(), "other", p); !errors.Is(err, oauth.ErrStateMismatch) {
			t.Fatalf("callback for other provider: %v", err)
		}
		if _, err := e.flow.Result(t.Context(), "other", state); !errors.Is(err, oauth.ErrStateMismatch) {
			t.Fatalf("result for other provider: %v", err)
		}
		_, err := e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "other", State: state, Code: p.Code})
		if !errors.Is(err, oauth.ErrStateMismatch) {
			t.Fatalf("err = %v", err)
		}
		// The attempt consumed the state: the right provider cannot use it now.
		_, err = e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state, Code: p.Code})
		if !errors.Is(err, oauth.ErrStateUsed) {
			t.Fatalf("after mismatch: %v", err)
		}
	})
	t.Run("other redirect URL", func(t *testing.T) {
		e := newTwo(t)
		state, p := e.begin(oauth.InitRequest{Provider: "acme"})
		_, err := e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state, Code: p.Code, RedirectURL: "https://elsewhere.example/cb"})
		if !errors.Is(err, oauth.ErrStateMismatch) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("callback from another issuer", func(t *testing.T) {
		e := newTwo(t)
		state, p := e.begin(oauth.InitRequest{Provider: "acme"})
		if p.Issuer != e.fake.Issuer() {
			t.Fatalf("iss parameter %q", p.Issuer)
		}
		p.Issuer = "https://evil.example"
		if _, err := e.flow.Callback(t.Context(), "acme", p); !errors.Is(err, oauth.ErrStateMismatch) {
			t.Fatalf("err = %v", err)
		}
		// Nothing was recorded: the genuine callback still goes through.
		if r, _ := e.flow.Result(t.Context(), "acme", state); r.Status != oauth.StatusPending {
			t.Fatalf("result %+v", r)
		}
	})
	t.Run("second callback", func(t *testing.T) {
		e := newTwo(t)
		_, p := e.begin(oauth.InitRequest{Provider: "acme"})
		if _, err := e.flow.Callback(t.Context(), "acme", p); err != nil {
			t.Fatal(err)
		}
		if _, err := e.flow.Callback(t.Context(), "acme", p); !errors.Is(err, oauth.ErrCallbackRecorded) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestCompleteWithoutRecordedCallback(t *testing.T) {
	// A host handling the redirect itself passes the code straight in.
	e := newEnv(t, oauthtest.Config{}, nil)
	state, p := e.begin(oauth.InitRequest{Provider: "acme"})
	id, err := e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state, Code: p.Code, RedirectURL: redirectURL})
	if err != nil || id.AccountID != "user-1" {
		t.Fatalf("%+v %v", id, err)
	}
	state, _ = e.begin(oauth.InitRequest{Provider: "acme"})
	if _, err := e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state}); !errors.Is(err, oauth.ErrExchangeFailed) {
		t.Fatalf("no code: %v", err)
	}
}

func TestCodeMismatchAndRefusal(t *testing.T) {
	e := newEnv(t, oauthtest.Config{}, nil)
	state, p := e.begin(oauth.InitRequest{Provider: "acme"})
	if _, err := e.flow.Callback(t.Context(), "acme", p); err != nil {
		t.Fatal(err)
	}
	_, err := e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state, Code: p.Code + "x"})
	if !errors.Is(err, oauth.ErrExchangeFailed) {
		t.Fatalf("differing code: %v", err)
	}
	// A code the token endpoint refuses (here: already redeemed).
	state, p = e.begin(oauth.InitRequest{Provider: "acme"})
	if _, err := e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state, Code: p.Code}); err != nil {
		t.Fatal(err)
	}
	state2, _ := e.begin(oauth.InitRequest{Provider: "acme"})
	_, err = e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state2, Code: p.Code})
	if !errors.Is(err, oauth.ErrExchangeFailed) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("redeemed code: %v", err)
	}
	// An expired code.
	state, p = e.begin(oauth.InitRequest{Provider: "acme"})
	e.clk.Advance(2 * time.Minute)
	_, err = e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state, Code: p.Code})
	if !errors.Is(err, oauth.ErrExchangeFailed) {
		t.Fatalf("expired code: %v", err)
	}
}

func TestClientHeldVerifier(t *testing.T) {
	e := newEnv(t, oauthtest.Config{}, nil)
	verifier := oauth2.GenerateVerifier()
	start := func() (string, oauth.CallbackParams) {
		return e.begin(oauth.InitRequest{Provider: "acme", State: "cs-" + oauth2.GenerateVerifier()[:20], CodeChallenge: oauth.S256Challenge(verifier)})
	}
	state, p := start()
	rec, err := e.store.Get(t.Context(), state, e.clk.Now())
	if err != nil || rec.CodeVerifier != "" || rec.CodeChallenge != oauth.S256Challenge(verifier) {
		t.Fatalf("stored %+v %v", rec, err)
	}
	if _, err := e.flow.Callback(t.Context(), "acme", p); err != nil {
		t.Fatal(err)
	}
	id, err := e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state, CodeVerifier: verifier})
	if err != nil || id.AccountID != "user-1" {
		t.Fatalf("%+v %v", id, err)
	}
	for _, bad := range []string{"", oauth2.GenerateVerifier(), verifier[:42], verifier + "!"} {
		state, p := start()
		_, err := e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state, Code: p.Code, CodeVerifier: bad})
		if !errors.Is(err, oauth.ErrInvalidCodeVerifier) {
			t.Fatalf("verifier %q: %v", bad, err)
		}
		// Consumed all the same: no second try with another verifier.
		_, err = e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state, Code: p.Code, CodeVerifier: verifier})
		if !errors.Is(err, oauth.ErrStateUsed) {
			t.Fatalf("retry after bad verifier: %v", err)
		}
	}
}

func TestProviderErrorCallbacks(t *testing.T) {
	for _, code := range []string{"access_denied", "invalid_scope", "server_error", "temporarily_unavailable", "consent_required", "login_required", "interaction_required", "unauthorized_client"} {
		t.Run(code, func(t *testing.T) {
			e := newEnv(t, oauthtest.Config{}, nil)
			e.fake.Deny(code)
			state, p := e.begin(oauth.InitRequest{Provider: "acme", ReturnURL: returnURL})
			if p.Error != code || p.Code != "" {
				t.Fatalf("callback %+v", p)
			}
			r, err := e.flow.Result(t.Context(), "acme", state)
			if err != nil || r.Status != oauth.StatusPending {
				t.Fatalf("before callback: %+v %v", r, err)
			}
			rec, err := e.flow.Callback(t.Context(), "acme", p)
			if err != nil {
				t.Fatal(err)
			}
			if loc, _ := oauth.ReturnLocation(rec); query(t, loc).Get("error") != code || query(t, loc).Has("code") {
				t.Fatalf("return location %q", loc)
			}
			r, err = e.flow.Result(t.Context(), "acme", state)
			if err != nil || r != (oauth.Result{Status: oauth.StatusCompleted, Error: code}) {
				t.Fatalf("result %+v %v", r, err)
			}
			_, err = e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state, Code: "whatever"})
			var pe *oauth.ProviderError
			if !errors.Is(err, oauth.ErrProviderError) || !errors.As(err, &pe) || pe.Code != code {
				t.Fatalf("Complete: %v", err)
			}
			if _, err := e.flow.Result(t.Context(), "acme", state); !errors.Is(err, oauth.ErrStateUsed) {
				t.Fatalf("result after complete: %v", err)
			}
		})
	}
}

func TestResultPolling(t *testing.T) {
	e := newEnv(t, oauthtest.Config{}, nil)
	state, p := e.begin(oauth.InitRequest{Provider: "acme"})
	r, err := e.flow.Result(t.Context(), "acme", state)
	if err != nil || r != (oauth.Result{Status: oauth.StatusPending}) {
		t.Fatalf("%+v %v", r, err)
	}
	rec, err := e.flow.Callback(t.Context(), "acme", p)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := oauth.ReturnLocation(rec); ok {
		t.Fatal("return location without ReturnURL")
	}
	r, err = e.flow.Result(t.Context(), "acme", state)
	if err != nil || r != (oauth.Result{Status: oauth.StatusCompleted, Code: p.Code}) {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := e.flow.AuthCodeURL(t.Context(), "acme", state); !errors.Is(err, oauth.ErrCallbackRecorded) {
		t.Fatalf("login URL after callback: %v", err)
	}
	if _, err := e.flow.Result(t.Context(), "acme", "never-issued-state-123"); !errors.Is(err, oauth.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
}

func TestProviderUnavailable(t *testing.T) {
	for _, ep := range []string{"token", "userinfo", "jwks"} {
		t.Run(ep+" 503", func(t *testing.T) {
			e := newEnv(t, oauthtest.Config{}, nil)
			e.fake.FailEndpoint(ep, http.StatusServiceUnavailable)
			_, err := e.signIn("acme")
			if !errors.Is(err, oauth.ErrProviderUnavailable) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	t.Run("userinfo 401", func(t *testing.T) {
		e := newEnv(t, oauthtest.Config{}, nil)
		e.fake.FailEndpoint("userinfo", http.StatusUnauthorized)
		if _, err := e.signIn("acme"); !errors.Is(err, oauth.ErrExchangeFailed) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("discovery 500", func(t *testing.T) {
		e := newEnv(t, oauthtest.Config{}, nil)
		e.fake.FailEndpoint("discovery", http.StatusInternalServerError)
		_, _, err := e.flow.Begin(t.Context(), oauth.InitRequest{Provider: "acme"})
		if !errors.Is(err, oauth.ErrProviderUnavailable) {
			t.Fatalf("err = %v", err)
		}
		// Retried no sooner than the refetch interval.
		e.fake.FailEndpoint("discovery", 0)
		if _, _, err := e.flow.Begin(t.Context(), oauth.InitRequest{Provider: "acme"}); !errors.Is(err, oauth.ErrProviderUnavailable) {
			t.Fatalf("immediate retry: %v", err)
		}
		e.clk.Advance(time.Minute)
		if _, _, err := e.flow.Begin(t.Context(), oauth.InitRequest{Provider: "acme"}); err != nil {
			t.Fatalf("after interval: %v", err)
		}
		if e.fake.Hits("discovery") != 2 {
			t.Fatalf("discovery hits = %d, want 2", e.fake.Hits("discovery"))
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		deadURL := dead.URL
		dead.Close()
		e := newEnv(t, oauthtest.Config{}, func(fake *oauthtest.Provider) []oauth.Provider {
			ep := fake.Endpoints()
			ep.TokenURL = deadURL + "/token"
			return []oauth.Provider{{Name: "github", ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), RedirectURLs: []string{redirectURL}, Endpoints: ep}}
		})
		if _, err := e.signIn("github"); !errors.Is(err, oauth.ErrProviderUnavailable) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestIDTokenRejections(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(c map[string]any)
	}{
		{"wrong nonce", func(c map[string]any) { c["nonce"] = "not-the-nonce" }},
		{"missing nonce", func(c map[string]any) { delete(c, "nonce") }},
		{"wrong aud", func(c map[string]any) { c["aud"] = "someone-else" }},
		{"wrong iss", func(c map[string]any) { c["iss"] = "https://evil.example" }},
		{"iss with trailing slash", func(c map[string]any) { c["iss"] = c["iss"].(string) + "/" }},
		{"expired", func(c map[string]any) { c["exp"] = c["iat"].(int64) - 1 }},
		{"issued in the future", func(c map[string]any) { c["iat"] = c["iat"].(int64) + 3600 }},
		{"issued before sign-in", func(c map[string]any) { c["iat"] = c["iat"].(int64) - 3600 }},
		{"no iat", func(c map[string]any) { delete(c, "iat") }},
		{"several aud, no azp", func(c map[string]any) { c["aud"] = []string{c["aud"].(string), "other"} }},
		{"several aud, azp other", func(c map[string]any) { c["aud"] = []string{c["aud"].(string), "other"}; c["azp"] = "other" }},
		{"azp other", func(c map[string]any) { c["azp"] = "other" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, oauthtest.Config{}, nil)
			e.fake.TamperIDTokens(tc.tamper)
			_, err := e.signIn("acme")
			if !errors.Is(err, oauth.ErrInvalidIDToken) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	t.Run("several aud with azp us", func(t *testing.T) {
		e := newEnv(t, oauthtest.Config{}, nil)
		e.fake.TamperIDTokens(func(c map[string]any) {
			c["aud"] = []string{c["aud"].(string), "other"}
			c["azp"] = c["aud"].([]string)[0]
		})
		if _, err := e.signIn("acme"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		e := newEnv(t, oauthtest.Config{}, nil)
		if err := e.fake.SignWithUnpublishedKey(); err != nil {
			t.Fatal(err)
		}
		if _, err := e.signIn("acme"); !errors.Is(err, oauth.ErrInvalidIDToken) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("bad signature", func(t *testing.T) {
		e := newEnv(t, oauthtest.Config{}, nil)
		e.fake.CorruptSignatures(true)
		if _, err := e.signIn("acme"); !errors.Is(err, oauth.ErrInvalidIDToken) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no id_token", func(t *testing.T) {
		e := newEnv(t, oauthtest.Config{NoIDToken: true}, nil)
		if _, err := e.signIn("acme"); !errors.Is(err, oauth.ErrInvalidIDToken) {
			t.Fatalf("err = %v", err)
		}
	})
}

// OpenID Connect Core §5.3.2: an OpenID provider's user-info response is
// used only when its sub is exactly the ID token's; without an ID token
// (GitHub and other plain OAuth providers) there is nothing to bind it to.
func TestUserInfoSubject(t *testing.T) {
	github := func(fake *oauthtest.Provider) []oauth.Provider {
		return []oauth.Provider{{Name: "github", ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), RedirectURLs: []string{redirectURL}, Endpoints: fake.Endpoints()}}
	}
	for _, tc := range []struct {
		name      string
		provider  string
		providers func(fake *oauthtest.Provider) []oauth.Provider
		tokenTamp func(c map[string]any)
		infoTamp  func(info map[string]any)
		wantErr   error // nil: success
		wantID    string
	}{
		{name: "matching sub", provider: "acme", wantID: "user-1"},
		{name: "missing sub", provider: "acme", infoTamp: func(i map[string]any) { delete(i, "sub") }, wantErr: oauth.ErrUserInfoSubjectMismatch},
		{name: "null sub", provider: "acme", infoTamp: func(i map[string]any) { i["sub"] = nil }, wantErr: oauth.ErrUserInfoSubjectMismatch},
		{name: "empty sub", provider: "acme", infoTamp: func(i map[string]any) { i["sub"] = "" }, wantErr: oauth.ErrUserInfoSubjectMismatch},
		{name: "different sub", provider: "acme", infoTamp: func(i map[string]any) { i["sub"] = "attacker" }, wantErr: oauth.ErrUserInfoSubjectMismatch},
		{name: "sub differing in case", provider: "acme", infoTamp: func(i map[string]any) { i["sub"] = "USER-1" }, wantErr: oauth.ErrUserInfoSubjectMismatch},
		{name: "numeric sub", provider: "acme", tokenTamp: func(c map[string]any) { c["sub"] = "42" }, infoTamp: func(i map[string]any) { i["sub"] = 42 }, wantErr: oauth.ErrUserInfoSubjectMismatch},
		{name: "ID token without sub", provider: "acme", tokenTamp: func(c map[string]any) { delete(c, "sub") }, wantErr: oauth.ErrInvalidIDToken},
		{name: "catalogue OIDC provider, different sub", provider: "microsoft", providers: microsoftFake,
			tokenTamp: microsoftClaims, infoTamp: func(i map[string]any) { i["sub"] = "attacker" }, wantErr: oauth.ErrUserInfoSubjectMismatch},
		{name: "catalogue OIDC provider, matching sub", provider: "microsoft", providers: microsoftFake, tokenTamp: microsoftClaims, wantID: "user-1"},
		{name: "no ID token, no sub", provider: "github", providers: github,
			infoTamp: func(i map[string]any) { delete(i, "sub"); i["id"] = 583231 }, wantID: "583231"},
		{name: "no ID token, other sub", provider: "github", providers: github,
			infoTamp: func(i map[string]any) { i["sub"] = "someone-else"; i["id"] = 583231 }, wantID: "583231"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, oauthtest.Config{}, tc.providers)
			if tc.tokenTamp != nil {
				e.fake.TamperIDTokens(func(c map[string]any) { tc.tokenTamp(c) })
			}
			e.fake.TamperUserInfo(tc.infoTamp)
			id, err := e.signIn(tc.provider)
			if e.fake.Hits("userinfo") != 1 {
				t.Fatalf("userinfo hits %d, want 1", e.fake.Hits("userinfo"))
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || id != nil {
					t.Fatalf("identity %+v, err = %v, want %v", id, err, tc.wantErr)
				}
				// The reference server maps ErrInvalidIDToken to 422
				// invalid_id_token; nothing may read as another error.
				if !errors.Is(err, oauth.ErrInvalidIDToken) || errors.Is(err, oauth.ErrExchangeFailed) {
					t.Fatalf("err = %v: not ErrInvalidIDToken alone", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.AccountID != tc.wantID {
				t.Fatalf("account id %q, want %q", id.AccountID, tc.wantID)
			}
		})
	}
}

// microsoftFake configures the microsoft catalogue provider (OpenID, with
// a per-tenant issuer) against the fake, user-info endpoint included.
func microsoftFake(fake *oauthtest.Provider) []oauth.Provider {
	ep := fake.Endpoints()
	ep.Issuer = fake.Issuer() + "/{tenantid}/v2.0"
	return []oauth.Provider{{Name: "microsoft", ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), RedirectURLs: []string{redirectURL}, Endpoints: ep}}
}

// microsoftClaims gives the fake's ID token a tenant and its issuer.
func microsoftClaims(c map[string]any) {
	const tid = "9188040d-6c67-4c5b-b112-36a304b66dad"
	c["tid"] = tid
	c["iss"] = strings.TrimSuffix(c["iss"].(string), "/") + "/" + tid + "/v2.0"
}

func TestJWKSRefetchRateLimited(t *testing.T) {
	e := newEnv(t, oauthtest.Config{}, nil)
	if _, err := e.signIn("acme"); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Hits("jwks"); n != 1 {
		t.Fatalf("jwks hits %d, want 1", n)
	}
	// The provider starts signing with a key it has not published yet.
	if err := e.fake.SignWithUnpublishedKey(); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Minute) // the last fetch is old enough to refetch once
	if _, err := e.signIn("acme"); !errors.Is(err, oauth.ErrInvalidIDToken) {
		t.Fatalf("unknown kid: %v", err)
	}
	if n := e.fake.Hits("jwks"); n != 2 {
		t.Fatalf("jwks hits %d, want 2 (one refetch)", n)
	}
	// Further unknown kids within the interval do not refetch.
	for range 5 {
		if _, err := e.signIn("acme"); !errors.Is(err, oauth.ErrInvalidIDToken) {
			t.Fatalf("unknown kid: %v", err)
		}
	}
	if n := e.fake.Hits("jwks"); n != 2 {
		t.Fatalf("jwks hits %d, want still 2 (rate-limited)", n)
	}
	// The provider publishes the key; after the interval it is picked up.
	e.fake.PublishSigningKey()
	if _, err := e.signIn("acme"); !errors.Is(err, oauth.ErrInvalidIDToken) {
		t.Fatalf("published but still rate-limited: %v", err)
	}
	e.clk.Advance(time.Minute)
	if _, err := e.signIn("acme"); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if n := e.fake.Hits("jwks"); n != 3 {
		t.Fatalf("jwks hits %d, want 3", n)
	}
}

func TestConcurrentComplete(t *testing.T) {
	e := newEnv(t, oauthtest.Config{}, nil)
	state, p := e.begin(oauth.InitRequest{Provider: "acme"})
	if _, err := e.flow.Callback(t.Context(), "acme", p); err != nil {
		t.Fatal(err)
	}
	const n = oauthtest.Parallelism
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: state})
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, oauth.ErrStateUsed):
		default:
			t.Errorf("unexpected: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d completions succeeded, want 1", ok)
	}
	if n := e.fake.Hits("token"); n != 1 {
		t.Fatalf("token endpoint hit %d times, want 1", n)
	}
}

func TestMicrosoftTenantIssuer(t *testing.T) {
	const tid = "9188040d-6c67-4c5b-b112-36a304b66dad"
	mk := func(fake *oauthtest.Provider) []oauth.Provider {
		ep := fake.Endpoints()
		ep.Issuer = fake.Issuer() + "/{tenantid}/v2.0"
		return []oauth.Provider{{Name: "microsoft", ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), RedirectURLs: []string{redirectURL}, Endpoints: ep}}
	}
	for _, tc := range []struct {
		name   string
		iss    func(base string) string
		tid    string
		edov   any
		wantOK bool
	}{
		{"tenant issuer", func(b string) string { return b + "/" + tid + "/v2.0" }, tid, nil, true},
		{"verified email", func(b string) string { return b + "/" + tid + "/v2.0" }, tid, true, true},
		{"other tenant's issuer", func(b string) string { return b + "/" + tid + "/v2.0" }, "11111111-2222-3333-4444-555555555555", nil, false},
		{"no tid", func(b string) string { return b + "/" + tid + "/v2.0" }, "", nil, false},
		{"template issuer", func(b string) string { return b + "/{tenantid}/v2.0" }, tid, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, oauthtest.Config{}, mk)
			e.fake.TamperIDTokens(func(c map[string]any) {
				c["iss"] = tc.iss(e.fake.Issuer())
				if tc.tid != "" {
					c["tid"] = tc.tid
				}
				if tc.edov != nil {
					c["xms_edov"] = tc.edov
				}
			})
			id, err := e.signIn("microsoft")
			if !tc.wantOK {
				if !errors.Is(err, oauth.ErrInvalidIDToken) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Microsoft's email claim links accounts only with xms_edov.
			if got, want := len(id.LinkableEmails()), map[bool]int{true: 1, false: 0}[tc.edov == true]; got != want {
				t.Fatalf("linkable emails %d, want %d", got, want)
			}
		})
	}
	// Endpoints carry the configured tenant.
	f, err := oauth.New(oauth.Config{Store: oauth.NewMemoryStore(), Providers: []oauth.Provider{{Name: "microsoft", ClientID: "c", ClientSecret: "s", RedirectURLs: []string{redirectURL}, Tenant: "contoso.onmicrosoft.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := f.Begin(t.Context(), oauth.InitRequest{Provider: "microsoft"})
	if err != nil || !strings.HasPrefix(u, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?") {
		t.Fatalf("%v %v", u, err)
	}
}

func TestCatalogueProviderAgainstFake(t *testing.T) {
	// GitHub: profile from /user and emails (primary, verified) from /user/emails.
	e := newEnv(t, oauthtest.Config{
		UserInfo: []byte(`{"login":"octocat","id":583231,"avatar_url":"https://avatars.githubusercontent.com/u/583231?v=4","name":"The Octocat","email":null}`),
		Emails:   []byte(`[{"email":"octocat@github.com","primary":true,"verified":true,"visibility":"public"},{"email":"octo@unverified.example","primary":false,"verified":false,"visibility":null}]`),
	}, func(fake *oauthtest.Provider) []oauth.Provider {
		return []oauth.Provider{{Name: "github", ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), RedirectURLs: []string{redirectURL}, Endpoints: fake.Endpoints()}}
	})
	id, err := e.signIn("github")
	if err != nil {
		t.Fatal(err)
	}
	if id.AccountID != "583231" || id.Username != "octocat" || len(id.Emails) != 2 {
		t.Fatalf("%+v", id)
	}
	if got := id.LinkableEmails(); len(got) != 1 || got[0] != "octocat@github.com" {
		t.Fatalf("linkable %v", got)
	}
	if c := id.Credential(); len(c.OAuthEmails) != 1 || c.OAuthEmails[0] != "octocat@github.com" {
		t.Fatalf("credential emails %v", c.OAuthEmails)
	}
}

func TestHTTPClientFromContext(t *testing.T) {
	e := newEnv(t, oauthtest.Config{}, nil)
	var mu sync.Mutex
	calls := 0
	client := &http.Client{Timeout: 5 * time.Second, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		return http.DefaultTransport.RoundTrip(r)
	})}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, client)
	authURL, state, err := e.flow.Begin(ctx, oauth.InitRequest{Provider: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := e.fake.Authorize(ctx, authURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.flow.Complete(ctx, oauth.CompleteRequest{Provider: "acme", State: state, Code: cb.Query().Get("code")}); err != nil {
		t.Fatal(err)
	}
	// discovery, token, jwks, userinfo
	if calls != 4 {
		t.Fatalf("context client made %d calls, want 4", calls)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestParseCallback(t *testing.T) {
	get := httptest.NewRequest(http.MethodGet, "/cb?state=s1234567890123456&code=abc", nil)
	p, err := oauth.ParseCallback(get)
	if err != nil || p.State != "s1234567890123456" || p.Code != "abc" {
		t.Fatalf("%+v %v", p, err)
	}
	form := url.Values{"state": {"s1234567890123456"}, "code": {"xyz"}, "user": {`{"name":{"firstName":"Ada"}}`}}
	post := httptest.NewRequest(http.MethodPost, "/cb", strings.NewReader(form.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	p, err = oauth.ParseCallback(post)
	if err != nil || p.Code != "xyz" || p.User == "" {
		t.Fatalf("%+v %v", p, err)
	}
	denied := httptest.NewRequest(http.MethodGet, "/cb?state=s1234567890123456&error=access_denied&error_description=no", nil)
	p, err = oauth.ParseCallback(denied)
	if err != nil || p.Error != "access_denied" || p.ErrorDescription != "no" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := oauth.ParseCallback(httptest.NewRequest(http.MethodGet, "/cb?code=abc", nil)); !errors.Is(err, oauth.ErrInvalidState) {
		t.Fatalf("no state: %v", err)
	}
	if _, err := oauth.ParseCallback(httptest.NewRequest(http.MethodGet, "/cb?state=abc", nil)); !errors.Is(err, oauth.ErrExchangeFailed) {
		t.Fatalf("neither code nor error: %v", err)
	}
	big := httptest.NewRequest(http.MethodPost, "/cb", strings.NewReader("state=a&code="+strings.Repeat("x", 70<<10)))
	big.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := oauth.ParseCallback(big); err == nil {
		t.Fatal("oversized form accepted")
	}
}

func TestNewValidation(t *testing.T) {
	ok := oauth.Provider{Name: "github", ClientID: "c", ClientSecret: "s", RedirectURLs: []string{redirectURL}}
	with := func(f func(p *oauth.Provider)) []oauth.Provider { p := ok; f(&p); return []oauth.Provider{p} }
	for _, tc := range []struct {
		name string
		cfg  oauth.Config
	}{
		{"no providers", oauth.Config{}},
		{"no name", oauth.Config{Providers: with(func(p *oauth.Provider) { p.Name = "" })}},
		{"no client id", oauth.Config{Providers: with(func(p *oauth.Provider) { p.ClientID = "" })}},
		{"no secret", oauth.Config{Providers: with(func(p *oauth.Provider) { p.ClientSecret = "" })}},
		{"no redirect", oauth.Config{Providers: with(func(p *oauth.Provider) { p.RedirectURLs = nil })}},
		{"relative redirect", oauth.Config{Providers: with(func(p *oauth.Provider) { p.RedirectURLs = []string{"/cb"} })}},
		{"redirect with fragment", oauth.Config{Providers: with(func(p *oauth.Provider) { p.RedirectURLs = []string{redirectURL + "#x"} })}},
		{"unknown without issuer", oauth.Config{Providers: with(func(p *oauth.Provider) { p.Name = "okta" })}},
		{"duplicate", oauth.Config{Providers: []oauth.Provider{ok, ok}}},
		{"negative ttl", oauth.Config{Providers: []oauth.Provider{ok}, StateTTL: -time.Second}},
		{"bad return url", oauth.Config{Providers: []oauth.Provider{ok}, ReturnURLs: []string{"relative"}}},
		{"bad apple key", oauth.Config{Providers: with(func(p *oauth.Provider) {
			p.Name, p.AppleKey, p.AppleTeamID, p.AppleKeyID = "apple", []byte("not pem"), "T", "K"
		})}},
		{"bad tenant", oauth.Config{Providers: with(func(p *oauth.Provider) { p.Name, p.Tenant = "microsoft", "a/b" })}},
		{"no store", oauth.Config{Providers: []oauth.Provider{ok}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Every case but "no store" has a store, so that it fails for
			// its own reason.
			if tc.name != "no store" {
				tc.cfg.Store = oauth.NewMemoryStore()
			}
			if _, err := oauth.New(tc.cfg); !errors.Is(err, oauth.ErrConfig) {
				t.Fatalf("New = %v, want ErrConfig", err)
			}
		})
	}
	// Every catalogue provider can be configured from the zero defaults.
	for _, typ := range oauth.CatalogueProviders() {
		if _, err := oauth.New(oauth.Config{Store: oauth.NewMemoryStore(), Providers: []oauth.Provider{{Name: string(typ), ClientID: "c", ClientSecret: "s", RedirectURLs: []string{redirectURL}}}}); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
	}
	if _, err := oauth.New(oauth.Config{Store: oauth.NewMemoryStore(), Providers: []oauth.Provider{{Name: "okta", Issuer: "https://dev-1.okta.com", ClientID: "c", ClientSecret: "s", RedirectURLs: []string{redirectURL}}}}); err != nil {
		t.Errorf("okta: %v", err)
	}
}

// Two server instances sharing one store: a sign-in started on one
// finishes on the other, which discovers the generic provider itself.
func TestSharedStoreAcrossInstances(t *testing.T) {
	e := newEnv(t, oauthtest.Config{}, nil)
	other, err := oauth.New(oauth.Config{
		Providers: []oauth.Provider{e.fake.OIDCProvider("acme", redirectURL)},
		Store:     e.store, Now: e.clk.Now, HTTPClient: &http.Client{Timeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.flow.Init(t.Context(), oauth.InitRequest{Provider: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	authURL, err := other.AuthCodeURL(t.Context(), "acme", rec.State)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := e.fake.Authorize(t.Context(), authURL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := oauth.ParseCallback(&http.Request{Method: http.MethodGet, URL: cb})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Callback(t.Context(), "acme", p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "acme", State: rec.State}); err != nil {
		t.Fatal(err)
	}
}
