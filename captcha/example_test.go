package captcha_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authkit/authkit/captcha"
)

func Example() {
	// A stand-in for https://challenges.cloudflare.com/turnstile/v0/siteverify.
	siteverify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("response") == "good-token" {
			fmt.Fprint(w, `{"success":true,"hostname":"example.com","action":"login","error-codes":[]}`)
			return
		}
		fmt.Fprint(w, `{"success":false,"error-codes":["invalid-input-response"]}`)
	}))
	defer siteverify.Close()

	var v captcha.Verifier
	v, err := captcha.New(captcha.Config{
		Provider:         captcha.Turnstile,
		Secret:           "secret-from-the-dashboard",
		Endpoint:         siteverify.URL, // omit in production
		ExpectedHostname: "example.com",
		ExpectedAction:   "login",
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	fmt.Println(v.Verify(ctx, "good-token", "203.0.113.7"))
	err = v.Verify(ctx, "forged-token", "203.0.113.7")
	fmt.Println(errors.Is(err, captcha.ErrFailed), err)
	fmt.Println(errors.Is(v.Verify(ctx, "", ""), captcha.ErrMissingToken))
	// Output:
	// <nil>
	// true captcha: verification failed: rejected by turnstile: invalid-input-response
	// true
}
