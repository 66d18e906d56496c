package oauthdev_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authkit/authkit/oauth/oauthdev"
)

// The fake provider mounted inside a host's own mux, under /dev/oauth/, as
// a development server would do.
func ExampleProvider_Handler() {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()

	fake, err := oauthdev.NewProvider(oauthdev.Config{Issuer: srv.URL + "/dev/oauth"})
	if err != nil {
		panic(err)
	}
	mux.Handle("/dev/oauth/", fake.Handler())

	resp, err := http.Get(srv.URL + "/dev/oauth/jwks")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, fake.Endpoints().TokenURL == srv.URL+"/dev/oauth/token")
	// Output: 200 true
}
