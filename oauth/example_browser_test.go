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
			http.Error(w, "cannot sign in", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, authURL, http.StatusFound)
	}
	callback := func(w http.ResponseWriter, r *http.Request) {
		id, err := flow.CompleteBrowser(w, r, "acme")
		if err != nil {
			fmt.Println("refused:", err)
			http.Error(w, "sign-in failed", http.StatusForbidden)
			return
		}
		fmt.Println("signed in:", id.AccountID)
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
	// refused: oauth: invalid state: sign-in was started in another browser
	// signed in: 248289761001
}
