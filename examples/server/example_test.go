package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
)

// Example signs in with an SMS code against a server on a loopback
// listener, as a client would: create, read the code from the development
// outbox, sign in, then call GET users with the token.
func Example() {
	cfg := defaultConfig()
	cfg.Env = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"
	ts := httptest.NewUnstartedServer(nil)
	cfg.Issuer = "http://" + ts.Listener.Addr().String() + "/api/v0/sdk/" + cfg.Env
	srv, err := newServer(context.Background(), cfg, serverOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	defer ts.Close()
	api := ts.URL + "/api/v0/sdk/" + cfg.Env

	post := func(path, body string, v any) int {
		res, err := http.Post(api+path, "application/json", strings.NewReader(body))
		if err != nil {
			return 0
		}
		defer res.Body.Close()
		_ = json.NewDecoder(res.Body).Decode(v)
		return res.StatusCode
	}
	var created struct{ VerificationUUID string }
	fmt.Println("create:", post("/smsVerifications/create", `{"phoneCountryCode":"1","phoneNumber":"9172113333","isoCountryCode":"US"}`, &created))

	res, _ := http.Get(ts.URL + "/dev/messages?to=" + url.QueryEscape("+19172113333"))
	var msgs []struct{ Code string }
	_ = json.NewDecoder(res.Body).Decode(&msgs)
	res.Body.Close()

	var signedIn struct {
		MinifiedJWT string
		User        struct {
			VerifiedCredentials []struct{ PhoneNumber string }
		}
	}
	fmt.Println("signin:", post("/smsVerifications/signin", `{"verificationUUID":"`+created.VerificationUUID+`","verificationToken":"`+msgs[0].Code+`"}`, &signedIn))
	fmt.Println("phone:", signedIn.User.VerifiedCredentials[0].PhoneNumber)

	req, _ := http.NewRequest("GET", api+"/users", nil)
	req.Header.Set("Authorization", "Bearer "+signedIn.MinifiedJWT)
	res, _ = http.DefaultClient.Do(req)
	res.Body.Close()
	fmt.Println("users:", res.StatusCode)
	// Output:
	// create: 201
	// signin: 200
	// phone: 9172113333
	// users: 200
}
