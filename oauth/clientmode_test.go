package oauth_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
)

// clientURL builds the authorization URL the way a client holding its own
// PKCE verifier does (Dynamic's headless SDK): from ClientConfig, with its
// state and challenge.
func clientURL(t *testing.T, cc oauth.ClientConfig, state, verifier string) string {
	t.Helper()
	u, err := url.Parse(cc.AuthURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("client_id", cc.ClientID)
	q.Set("redirect_uri", cc.RedirectURL)
	q.Set("scope", strings.Join(cc.Scopes, " "))
	q.Set("state", state)
	q.Set("response_type", "code")
	if verifier != "" {
		q.Set("code_challenge", oauth.S256Challenge(verifier))
		q.Set("code_challenge_method", "S256")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func TestClientBuiltURL(t *testing.T) {
	e := newEnv(t, oauthtest.Config{}, nil)
	ctx := t.Context()
	cc, err := e.flow.ClientConfig(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if cc.Name != "acme" || cc.ClientID == "" || cc.RedirectURL != redirectURL || !strings.HasPrefix(cc.AuthURL, "http") || len(cc.Scopes) == 0 {
		t.Fatalf("ClientConfig %+v", cc)
	}
	if _, err := e.flow.ClientConfig(ctx, "nope"); !errors.Is(err, oauth.ErrUnknownProvider) {
		t.Fatalf("ClientConfig(unknown): %v", err)
	}
	// The bare URL: no state, challenge or nonce; the client adds them.
	bare, err := e.flow.ClientAuthURL(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	q := query(t, bare)
	if q.Has("state") || q.Has("code_challenge") || q.Has("nonce") || q.Get("client_id") != cc.ClientID || q.Get("redirect_uri") != redirectURL {
		t.Fatalf("ClientAuthURL %s", bare)
	}

	// start runs Init in client-built mode and the provider's approval of
	// the client's URL; it returns the callback.
	start := func(verifier string) (string, oauth.CallbackParams) {
		t.Helper()
		state := "sdk-" + oauth2.GenerateVerifier()[:24]
		rec, err := e.flow.Init(ctx, oauth.InitRequest{Provider: "acme", State: state, ReturnURL: returnURL, ClientBuiltURL: true})
		if err != nil {
			t.Fatal(err)
		}
		if rec.CodeVerifier != "" || rec.CodeChallenge != "" || rec.Nonce != "" {
			t.Fatalf("client-built state holds PKCE or nonce: %+v", rec)
		}
		cb, err := e.fake.Authorize(ctx, clientURL(t, cc, state, verifier))
		if err != nil {
			t.Fatal(err)
		}
		p, err := oauth.ParseCallback(&http.Request{Method: http.MethodGet, URL: cb})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.flow.Callback(ctx, "acme", p)
		if err != nil {
			t.Fatal(err)
		}
		// The client's redirect page reads its own parameter names.
		loc, ok := oauth.ReturnLocationWith(got, oauth.ReturnParams{State: "dynamicOauthState", Code: "dynamicOauthCode"})
		lq := query(t, loc)
		if !ok || lq.Get("dynamicOauthState") != state || lq.Get("dynamicOauthCode") != p.Code || lq.Has("state") || lq.Has("code") {
			t.Fatalf("ReturnLocationWith %q %v", loc, ok)
		}
		return state, p
	}

	verifier := oauth2.GenerateVerifier()
	state, p := start(verifier)
	id, err := e.flow.Complete(ctx, oauth.CompleteRequest{Provider: "acme", State: state, Code: p.Code, CodeVerifier: verifier})
	if err != nil || id.AccountID != "user-1" {
		t.Fatalf("Complete: %+v %v", id, err)
	}

	// The provider, which saw the challenge, refuses a wrong or missing
	// verifier; a malformed one is refused before the exchange. Every
	// attempt consumes the state.
	for _, tc := range []struct {
		name, verifier string
		want           error
	}{
		{"wrong", oauth2.GenerateVerifier(), oauth.ErrExchangeFailed},
		{"missing", "", oauth.ErrExchangeFailed},
		{"malformed", "short!", oauth.ErrInvalidCodeVerifier},
	} {
		state, p := start(verifier)
		_, err := e.flow.Complete(ctx, oauth.CompleteRequest{Provider: "acme", State: state, Code: p.Code, CodeVerifier: tc.verifier})
		if !errors.Is(err, tc.want) {
			t.Fatalf("%s verifier: %v, want %v", tc.name, err, tc.want)
		}
		if _, err := e.flow.Complete(ctx, oauth.CompleteRequest{Provider: "acme", State: state, Code: p.Code, CodeVerifier: verifier}); !errors.Is(err, oauth.ErrStateUsed) {
			t.Fatalf("%s verifier, retry: %v", tc.name, err)
		}
	}

	// Init refuses a client-built sign-in without the client's state, or
	// with a challenge the provider would never see.
	for _, req := range []oauth.InitRequest{
		{Provider: "acme", ClientBuiltURL: true},
		{Provider: "acme", State: "sdk-" + strings.Repeat("s", 20), ClientBuiltURL: true, CodeChallenge: oauth.S256Challenge(verifier)},
	} {
		if _, err := e.flow.Init(ctx, req); !errors.Is(err, oauth.ErrInvalidStateValue) {
			t.Fatalf("Init(%+v): %v", req, err)
		}
	}
}
