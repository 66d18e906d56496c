package oauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/authkit/authkit/httperr"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
)

// A server-rendered host's two handlers: login binds the state to the
// browser, callback checks the binding and completes the sign-in.
func ExampleFlow_CompleteBrowser() {
	srv := httptest.NewUnstartedServer(nil)
	fake, err := oauthtest.NewProvider(oauthtest.Config{
		Issuer: "http://" + srv.Listener.Addr().String(), Subject: "248289761001", Email: "jane@example.com",
	})
	if err != nil {
		panic(err)
	}
	srv.Config.Handler = fake.Handler()
	srv.Start()
	defer srv.Close()
	flow, err := oauth.New(oauth.Config{
		Store:      oauth.NewMemoryStore(),
		Providers:  []oauth.Provider{fake.OIDCProvider("acme", "https://api.example.com/callback")},
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
	})
	if err != nil {
		panic(err)
	}

	login := func(w http.ResponseWriter, r *http.Request) {
		authURL, err := flow.BeginBrowser(r.Context(), w, oauth.InitRequest{Provider: "acme"})
		if err != nil {
			httperr.Write(w, err)
			return
		}
		http.Redirect(w, r, authURL, http.StatusFound)
	}
	callback := func(w http.ResponseWriter, r *http.Request) {
		id, err := flow.CompleteBrowser(w, r, "acme")
		if err != nil {
			a := httperr.Write(w, err)
			fmt.Println("refused:", a.Status, a.Code)
			return
		}
		// Find or create the user of id.Credential(), start a session,
		// then redirect into the app.
		fmt.Println("signed in:", id.AccountID, id.LinkableEmails())
	}

	// The browser starts, visits the provider and comes back with its cookie.
	start := httptest.NewRecorder()
	login(start, httptest.NewRequest(http.MethodGet, "https://api.example.com/login", nil))
	back, err := fake.Authorize(context.Background(), start.Header().Get("Location"))
	if err != nil {
		panic(err)
	}
	cb := httptest.NewRequest(http.MethodGet, back.String(), nil)
	// Another browser (no binding cookie) delivering the same callback is
	// refused; the sign-in stays usable by its own browser.
	callback(httptest.NewRecorder(), cb.Clone(cb.Context()))
	for _, c := range start.Result().Cookies() {
		cb.AddCookie(c)
	}
	callback(httptest.NewRecorder(), cb)
	// Output:
	// refused: 403 oauth_browser_mismatch
	// signed in: 248289761001 [jane@example.com]
}
