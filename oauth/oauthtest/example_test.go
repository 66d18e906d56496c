package oauthtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
)

// A fake provider on its own server, as NewServer makes one; Authorize
// plays the user's browser at the authorize endpoint.
func ExampleNewProvider() {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()

	fake, err := oauthtest.NewProvider(oauthtest.Config{Issuer: srv.URL})
	if err != nil {
		panic(err)
	}
	mux.Handle("/", fake.Handler())

	cb, err := fake.Authorize(context.Background(), fake.Endpoints().AuthURL+
		"?response_type=code&client_id=test-client&redirect_uri=https://app.example/cb"+
		"&state=s1&code_challenge_method=S256&code_challenge="+oauth.S256Challenge("verifier-verifier-verifier-verifier-verifier"))
	if err != nil {
		panic(err)
	}
	fmt.Println(cb.Host, cb.Query().Get("state"), cb.Query().Get("code") != "")
	// Output: app.example s1 true
}
