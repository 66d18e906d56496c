package sessiontest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/keysync"
)

// RunKeyStoreTests runs the keysync.Store conformance suite. The key
// set is one per store, so newStore must return an empty store each time
// (a fresh schema or key prefix) and register its cleanup.
func RunKeyStoreTests(t *testing.T, newStore func(t *testing.T) keysync.Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s keysync.Store)
	}{
		{"PublishList", testKeyPublishList},
		{"PublishDuplicate", testKeyPublishDuplicate},
		{"PublishConcurrent", testKeyPublishConcurrent},
		{"Delete", testKeyDelete},
		{"SharedSchedule", testKeySharedSchedule},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func publishedKey(t *testing.T, n int, now time.Time) keysync.PublishedKey {
	t.Helper()
	k, err := session.GenerateKey(session.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := k.PublicOnly().MarshalJWK()
	if err != nil {
		t.Fatal(err)
	}
	return keysync.PublishedKey{KID: k.KID(), JWK: jwk, PublishAt: now.Add(time.Duration(n) * time.Hour), SignFrom: now.Add(time.Duration(n)*time.Hour + 10*time.Minute)}
}

func keysByKID(t *testing.T, s keysync.Store) map[string]keysync.PublishedKey {
	t.Helper()
	list, err := s.PublishedKeys(context.Background())
	if err != nil {
		t.Fatalf("PublishedKeys: %v", err)
	}
	m := make(map[string]keysync.PublishedKey, len(list))
	for _, k := range list {
		m[k.KID] = k
	}
	return m
}

func sameKey(t *testing.T, got, want keysync.PublishedKey) {
	t.Helper()
	if got.KID != want.KID || !bytes.Equal(got.JWK, want.JWK) || !got.PublishAt.Equal(want.PublishAt) || !got.SignFrom.Equal(want.SignFrom) {
		t.Fatalf("key mismatch:\n got  %+v\n want %+v", got, want)
	}
}

func testKeyPublishList(t *testing.T, s keysync.Store) {
	ctx := context.Background()
	if m := keysByKID(t, s); len(m) != 0 {
		t.Fatalf("new store holds %d keys", len(m))
	}
	now := base()
	a, b := publishedKey(t, 0, now), publishedKey(t, 1, now)
	for _, k := range []keysync.PublishedKey{a, b} {
		if err := s.PublishKey(ctx, k); err != nil {
			t.Fatalf("PublishKey: %v", err)
		}
	}
	m := keysByKID(t, s)
	if len(m) != 2 {
		t.Fatalf("PublishedKeys returned %d keys, want 2", len(m))
	}
	sameKey(t, m[a.KID], a)
	sameKey(t, m[b.KID], b)
}

func testKeyPublishDuplicate(t *testing.T, s keysync.Store) {
	ctx := context.Background()
	now := base()
	a := publishedKey(t, 0, now)
	if err := s.PublishKey(ctx, a); err != nil {
		t.Fatal(err)
	}
	other := a
	other.SignFrom = now.Add(48 * time.Hour)
	if err := s.PublishKey(ctx, other); !errors.Is(err, session.ErrDuplicate) {
		t.Fatalf("second PublishKey of one kid = %v, want ErrDuplicate", err)
	}
	sameKey(t, keysByKID(t, s)[a.KID], a)
}

func testKeyPublishConcurrent(t *testing.T, s keysync.Store) {
	ctx := context.Background()
	now := base()
	a := publishedKey(t, 0, now)
	errs := race.Run(Parallelism, func(i int) error {
		k := a
		k.SignFrom = now.Add(time.Duration(i) * time.Minute)
		return s.PublishKey(ctx, k)
	})
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, session.ErrDuplicate):
		default:
			t.Fatalf("PublishKey: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent PublishKey calls of one kid won, want 1", wins, Parallelism)
	}
	if m := keysByKID(t, s); len(m) != 1 {
		t.Fatalf("%d keys stored, want 1", len(m))
	}
}

func testKeyDelete(t *testing.T, s keysync.Store) {
	ctx := context.Background()
	now := base()
	a, b := publishedKey(t, 0, now), publishedKey(t, 1, now)
	for _, k := range []keysync.PublishedKey{a, b} {
		if err := s.PublishKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteKey(ctx, a.KID); err != nil {
		t.Fatalf("DeleteKey: %v", err)
	}
	if err := s.DeleteKey(ctx, a.KID); err != nil {
		t.Fatalf("DeleteKey(already deleted): %v", err)
	}
	m := keysByKID(t, s)
	if _, ok := m[a.KID]; ok || len(m) != 1 {
		t.Fatalf("after DeleteKey: %v", m)
	}
	// A deleted kid may be published again.
	if err := s.PublishKey(ctx, a); err != nil {
		t.Fatalf("PublishKey after DeleteKey: %v", err)
	}
}

// instance is one server of a fleet sharing a key store: its own Manager
// and Syncer, holding the same signers.
type instance struct {
	m    *session.Manager
	sync *keysync.Syncer
}

func newInstance(t *testing.T, s keysync.Store, sessions session.Store, clk *clock.Fake, signers ...*session.Key) instance {
	t.Helper()
	// The local key set starts with any signer; the first Sync replaces it
	// with the shared set.
	ks, err := session.NewKeySet(signers[0])
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.New(session.Config{Keys: ks, Issuer: "https://auth.example.com", Store: sessions, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ksync, err := keysync.New(m, keysync.Config{Store: s, Signers: signers})
	if err != nil {
		t.Fatal(err)
	}
	if err := ksync.Sync(context.Background()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return instance{m, ksync}
}

func (in instance) kids(t *testing.T) []string {
	t.Helper()
	raw, err := in.m.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(set.Keys))
	for i, k := range set.Keys {
		out[i] = k.Kid
	}
	return out
}

func (in instance) signedBy(t *testing.T) (kid, token string) {
	t.Helper()
	toks, err := in.m.Mint(context.Background(), authkit.User{ID: "7f3e1c2a-5b6d-4e8f-9a0b-1c2d3e4f5a6b"}, session.MintOptions{})
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	return toks.Claims.KeyID, toks.MinifiedJWT
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			return false
		}
	}
	return true
}

// testKeySharedSchedule: two instances on one store publish the same JWKS;
// a scheduled key is in both JWKS before either signs with it ("publish at
// T, sign from T+overlap"); both switch at SignFrom without another Sync;
// the replaced key stays published until the tokens it signed expired,
// then Sync removes it from the JWKS and the store.
func testKeySharedSchedule(t *testing.T, s keysync.Store) {
	ctx := context.Background()
	clk := clock.NewFake(base())
	k1, err := session.GenerateKey(session.ES256)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := session.GenerateKey(session.ES256)
	if err != nil {
		t.Fatal(err)
	}
	sessions := session.NewMemoryStore()
	a := newInstance(t, s, sessions, clk, k1, k2)
	b := newInstance(t, s, sessions, clk, k1, k2)
	if ka, kb := a.kids(t), b.kids(t); len(ka) != 1 || ka[0] != k1.KID() || !sameSet(ka, kb) {
		t.Fatalf("JWKS after start: %v and %v, want [%s] on both", ka, kb, k1.KID())
	}
	overlap := 10 * time.Minute // twice the default JWKS max-age
	if err := a.sync.Schedule(ctx, k2, clk.Now().Add(overlap-time.Second)); !errors.Is(err, keysync.ErrSchedule) {
		t.Fatalf("Schedule inside the overlap = %v, want ErrSchedule", err)
	}
	signFrom := clk.Now().Add(overlap)
	if err := a.sync.Schedule(ctx, k2, signFrom); err != nil {
		t.Fatalf("Schedule: %v", err)
	}
	clk.Advance(time.Minute)
	if err := b.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// Published on both, signing with neither yet.
	for name, in := range map[string]instance{"a": a, "b": b} {
		if got := in.kids(t); !sameSet(got, []string{k1.KID(), k2.KID()}) {
			t.Fatalf("%s: JWKS %v before the switch, want both keys", name, got)
		}
		if kid, _ := in.signedBy(t); kid != k1.KID() {
			t.Fatalf("%s: signs with %s before SignFrom", name, kid)
		}
	}
	// At SignFrom both switch, with no Sync in between; tokens of either
	// verify on the other.
	clk.Set(signFrom)
	kidA, tokA := a.signedBy(t)
	kidB, tokB := b.signedBy(t)
	if kidA != k2.KID() || kidB != k2.KID() {
		t.Fatalf("at SignFrom: a signs with %s, b with %s; want %s", kidA, kidB, k2.KID())
	}
	if _, err := b.m.Verify(ctx, tokA, session.KindSession); err != nil {
		t.Fatalf("b verifying a's token: %v", err)
	}
	if _, err := a.m.Verify(ctx, tokB, session.KindSession); err != nil {
		t.Fatalf("a verifying b's token: %v", err)
	}
	// The old key is kept while its tokens may live (2 h + leeway) ...
	clk.Advance(2 * time.Hour)
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := a.kids(t); !sameSet(got, []string{k1.KID(), k2.KID()}) {
		t.Fatalf("JWKS %v 2 h after the switch, want both keys", got)
	}
	// ... then leaves the JWKS and the store.
	clk.Advance(time.Hour)
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]instance{"a": a, "b": b} {
		if got := in.kids(t); len(got) != 1 || got[0] != k2.KID() {
			t.Fatalf("%s: JWKS %v after retirement, want [%s]", name, got, k2.KID())
		}
	}
	if m := keysByKID(t, s); len(m) != 1 {
		t.Fatalf("store holds %d keys after retirement, want 1", len(m))
	}
}
