package oauth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/authkit/authkit/oauth"
)

// BenchmarkBegin: state + verifier + challenge + store.Create + URL, for a
// non-OIDC provider (github) and an OIDC one (google, adds a nonce).
func BenchmarkBegin(b *testing.B) {
	for _, name := range []string{"github", "google"} {
		b.Run(name, func(b *testing.B) {
			// A clock moving one second per call lets the memory store sweep
			// abandoned states, as it would in production.
			base, n := time.Now(), 0
			now := func() time.Time { n++; return base.Add(time.Duration(n) * time.Second) }
			f, err := oauth.New(oauth.Config{
				Store:     oauth.NewMemoryStore(),
				Providers: []oauth.Provider{{Name: name, ClientID: "client", ClientSecret: "secret", RedirectURLs: []string{redirectURL}}},
				Now:       now,
			})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := f.Begin(ctx, oauth.InitRequest{Provider: name}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRawBeginFloor: the x/oauth2 primitives Begin wraps, with the
// state drawn the same way (GenerateVerifier is 32 random bytes too).
func BenchmarkRawBeginFloor(b *testing.B) {
	cfg := &oauth2.Config{ClientID: "client", RedirectURL: redirectURL, Scopes: []string{"read:user", "user:email"},
		Endpoint: oauth2.Endpoint{AuthURL: "https://github.com/login/oauth/authorize"}}
	b.ReportAllocs()
	for b.Loop() {
		state, verifier := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
		_ = cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
	}
}

// loopback is a minimal token + user-info server (Discord-shaped profile).
func loopback(b *testing.B) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"at-0123456789","token_type":"Bearer","expires_in":3600}`))
	})
	user := []byte(`{"id":"80351110224678912","username":"Nelly","global_name":"Nelly the Great","avatar":"8342729096ea3675442027381ff50dfe","verified":true,"email":"nelly@discord.com"}`)
	mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(user)
	})
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	return srv
}

func benchClient() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
}

// BenchmarkComplete: consume the state, exchange the code and GET the
// profile on a loopback server, map it. Init runs outside the timer.
func BenchmarkComplete(b *testing.B) {
	srv := loopback(b)
	f, err := oauth.New(oauth.Config{
		Store: oauth.NewMemoryStore(),
		Providers: []oauth.Provider{{Name: "discord", ClientID: "client", ClientSecret: "secret", RedirectURLs: []string{redirectURL},
			Endpoints: oauth.Endpoints{TokenURL: srv.URL + "/token", UserInfoURL: srv.URL + "/user"}}},
		HTTPClient: benchClient(),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	states := make([]string, b.N)
	for i := range states {
		rec, err := f.Init(ctx, oauth.InitRequest{Provider: "discord"})
		if err != nil {
			b.Fatal(err)
		}
		states[i] = rec.State
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id, err := f.Complete(ctx, oauth.CompleteRequest{Provider: "discord", State: states[i], Code: "code"})
		if err != nil || id.AccountID == "" {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawCompleteFloor: x/oauth2 Exchange with the verifier plus one
// user-info GET and a JSON decode, on the same loopback server.
func BenchmarkRawCompleteFloor(b *testing.B) {
	srv := loopback(b)
	client := benchClient()
	cfg := &oauth2.Config{ClientID: "client", ClientSecret: "secret", RedirectURL: redirectURL,
		Endpoint: oauth2.Endpoint{TokenURL: srv.URL + "/token", AuthStyle: oauth2.AuthStyleInParams}}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, client)
	verifier := oauth2.GenerateVerifier()
	b.ReportAllocs()
	for b.Loop() {
		tok, err := cfg.Exchange(ctx, "code", oauth2.VerifierOption(verifier))
		if err != nil {
			b.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/user", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var u struct {
			ID       string `json:"id"`
			Username string `json:"username"`
			Email    string `json:"email"`
		}
		err = json.NewDecoder(resp.Body).Decode(&u)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}
