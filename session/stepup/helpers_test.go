package stepup_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/session"
)

const testOrigin = "https://app.example.com"

type fixture struct {
	m   *session.Manager
	clk *clock.Fake
}

// newFixture is a Manager with an in-memory store on a fake clock; alg
// and withStore mirror session's own test fixture.
func newFixture(t testing.TB, alg session.Algorithm, withStore bool) *fixture {
	t.Helper()
	f := &fixture{clk: clock.NewFake(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))}
	key, err := session.GenerateKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := session.NewKeySet(key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := session.Config{Keys: keys, Issuer: "auth.example.com", Audiences: []string{testOrigin}, Now: f.clk.Now}
	if withStore {
		cfg.Store = session.NewMemoryStore()
	} else {
		cfg.Stateless = true
	}
	if f.m, err = session.New(cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

func testUser(int) authkit.User {
	return authkit.User{ID: "7f3e1c2a-5b6d-4e8f-9a0b-1c2d3e4f5a6b", Email: "ada@example.com"}
}

func testUserOther() authkit.User {
	return authkit.User{ID: "11111111-2222-4333-8444-555555555555"}
}

func mintSession(t *testing.T, f *fixture) session.Tokens {
	t.Helper()
	tok, err := f.m.Mint(t.Context(), testUser(1), session.MintOptions{Audience: testOrigin})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func serve(h http.Handler, mod func(r *http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "https://api.example.com/sdk/x/users", nil)
	if mod != nil {
		mod(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// withSession returns r as session.Middleware hands it on: with the
// claims of tok in its context.
func withSession(t testing.TB, m *session.Manager, r *http.Request, tok string) *http.Request {
	t.Helper()
	r.Header.Set("Authorization", "Bearer "+tok)
	var out *http.Request
	session.Middleware(m, session.MiddlewareConfig{})(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { out = r })).ServeHTTP(httptest.NewRecorder(), r)
	if out == nil {
		t.Fatal("the session middleware refused the token")
	}
	return out
}
