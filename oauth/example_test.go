package oauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
)

// Example drives every step of a sign-in against the fake provider, as a
// client that runs the steps itself does (it keeps the state, and must
// bind it to itself): start, the browser's trip to the provider, the
// callback, and completion. A server-rendered host uses BeginBrowser and
// CompleteBrowser instead (see the Flow.CompleteBrowser example).
func Example() {
	ctx := context.Background()

	// A fake OpenID Connect provider on a loopback server. Its issuer is
	// the server's address, known once the listener exists.
	srv := httptest.NewUnstartedServer(nil)
	fake, err := oauthtest.NewProvider(oauthtest.Config{
		Issuer: "http://" + srv.Listener.Addr().String(), Subject: "248289761001",
		Name: "Jane Doe", Username: "jane", Email: "jane@example.com",
	})
	if err != nil {
		panic(err)
	}
	srv.Config.Handler = fake.Handler()
	srv.Start()
	defer srv.Close()

	const callback = "https://api.example.com/providers/acme/redirect"
	flow, err := oauth.New(oauth.Config{
		Store:      oauth.NewMemoryStore(),
		Providers:  []oauth.Provider{fake.OIDCProvider("acme", callback)},
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
	})
	if err != nil {
		panic(err)
	}

	// 1. Start: the authorization URL carries state, PKCE S256 and a nonce.
	authURL, state, err := flow.Begin(ctx, oauth.InitRequest{Provider: "acme"})
	if err != nil {
		panic(err)
	}

	// 2. The browser visits the provider, which redirects to our callback.
	redirect, err := fake.Authorize(ctx, authURL)
	if err != nil {
		panic(err)
	}

	// 3. The callback handler records the code under the state.
	params, err := oauth.ParseCallback(&http.Request{Method: http.MethodGet, URL: redirect})
	if err != nil {
		panic(err)
	}
	if _, err := flow.Callback(ctx, "acme", params); err != nil {
		panic(err)
	}

	// 4. Completion consumes the state, exchanges the code with the PKCE
	// verifier, verifies the ID token and reads the profile.
	id, err := flow.Complete(ctx, oauth.CompleteRequest{Provider: "acme", State: state, Code: params.Code})
	if err != nil {
		panic(err)
	}
	cred := id.Credential()
	fmt.Println(cred.Format, cred.OAuthProvider, cred.OAuthAccountID, cred.OAuthUsername, cred.OAuthEmails)

	// The state was single-use.
	_, err = flow.Complete(ctx, oauth.CompleteRequest{Provider: "acme", State: state, Code: params.Code})
	fmt.Println(err)
	// Output:
	// oauth acme 248289761001 jane [jane@example.com]
	// oauth: invalid state: state already used
}
