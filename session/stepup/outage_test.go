package stepup_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/stepup"
)

// jtiOutageStore is a MemoryStore whose ConsumeJTI fails while down is set.
type jtiOutageStore struct {
	*session.MemoryStore
	down atomic.Bool
}

func (s *jtiOutageStore) ConsumeJTI(ctx context.Context, jti string, expiresAt, now time.Time) error {
	if s.down.Load() {
		return errors.New("store down")
	}
	return s.MemoryStore.ConsumeJTI(ctx, jti, expiresAt, now)
}

// TestElevatedStoreOutage: a store that cannot consume a single-use
// elevated token fails the request (500) at Guard.Require and
// RequireElevated alike; it is never answered as a missing step-up (401),
// which would send the client to step up again against a broken store.
func TestElevatedStoreOutage(t *testing.T) {
	ctx := t.Context()
	store := &jtiOutageStore{MemoryStore: session.NewMemoryStore()}
	f := &fixture{clk: clock.NewFake(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))}
	key, err := session.GenerateKey(session.ES256)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := session.NewKeySet(key)
	if err != nil {
		t.Fatal(err)
	}
	if f.m, err = session.New(session.Config{Keys: keys, Issuer: "auth.example.com", Audiences: []string{testOrigin}, Now: f.clk.Now, Store: store}); err != nil {
		t.Fatal(err)
	}
	ff := newFakeFactors()
	g := newStepUp(t, f, ff)
	s := stateSession(t, f, ff, sessionState{secondFactor: true})
	elevated := func() string {
		tok, _, err := f.m.MintElevated(ctx, s.Claims, session.ElevatedOptions{Scopes: []authkit.Scope{authkit.ScopeCredentialLink}, SingleUse: true})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for name, h := range map[string]http.Handler{
		"Guard.Require":   guarded(f, g, stepup.ActionEnrollFactor, nil),
		"RequireElevated": session.Middleware(f.m, session.MiddlewareConfig{})(stepup.RequireElevated(f.m, authkit.ScopeCredentialLink, "", nil)(ok)),
	} {
		tok := elevated()
		store.down.Store(true)
		w := serve(h, withHeaders(s.MinifiedJWT, map[string]string{stepup.DefaultElevatedHeader: tok}))
		store.down.Store(false)
		if w.Code != http.StatusInternalServerError || w.Header().Get("WWW-Authenticate") != "" {
			t.Errorf("%s with the store down: %d, WWW-Authenticate %q, want 500 without a challenge", name, w.Code, w.Header().Get("WWW-Authenticate"))
		}
		// The token was not consumed: once the store is back it works.
		if w := serve(h, withHeaders(s.MinifiedJWT, map[string]string{stepup.DefaultElevatedHeader: tok})); w.Code != http.StatusNoContent {
			t.Errorf("%s after the outage: %d, want 204", name, w.Code)
		}
	}
}
