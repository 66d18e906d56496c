package oauthdev_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"

	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthdev"
)

// A development server mounts the fake under /dev/oauth/ and offers it as
// "github", so its sign-in button works offline. Never do this in
// production: the fake signs anyone in.
func Example() {
	mux := http.NewServeMux()
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()

	fake, err := oauthdev.NewProvider(oauthdev.Config{Issuer: srv.URL + "/dev/oauth", Email: "dev@example.com"})
	if err != nil {
		panic(err)
	}
	mux.Handle("/dev/oauth/", fake.Handler())

	flow, err := oauth.New(oauth.Config{
		Store:      oauth.NewMemoryStore(),
		Providers:  []oauth.Provider{fake.OIDCProvider("github", srv.URL+"/providers/github/redirect")},
		HTTPClient: srv.Client(), // trusts the test server's certificate
	})
	if err != nil {
		panic(err)
	}
	mux.HandleFunc("GET /login/github", func(w http.ResponseWriter, r *http.Request) {
		authURL, err := flow.BeginBrowser(r.Context(), w, oauth.InitRequest{Provider: "github"})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, authURL, http.StatusFound)
	})
	mux.HandleFunc("/providers/github/redirect", func(w http.ResponseWriter, r *http.Request) {
		id, err := flow.CompleteBrowser(w, r, "github")
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		cred := id.Credential()
		fmt.Fprintln(w, "signed in:", cred.OAuthProvider, cred.OAuthAccountID, cred.OAuthEmails)
	})

	// A browser: cookies kept, redirects followed.
	browser := srv.Client()
	browser.Jar, _ = cookiejar.New(nil)
	resp, err := browser.Get(srv.URL + "/login/github")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	fmt.Print(string(page))
	// Output: signed in: github user-1 [dev@example.com]
}
