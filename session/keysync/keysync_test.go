package keysync_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/keysync"
)

type fixture struct {
	clk *clock.Fake
	key *session.Key
	m   *session.Manager
}

func newFixture(t *testing.T, mod ...func(*session.Config)) *fixture {
	t.Helper()
	f := &fixture{clk: clock.NewFake(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)), key: newKey(t)}
	keys, err := session.NewKeySet(f.key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := session.Config{Keys: keys, Issuer: "auth.example.com", Store: session.NewMemoryStore(), Now: f.clk.Now}
	for _, fn := range mod {
		fn(&cfg)
	}
	if f.m, err = session.New(cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

func newKey(t *testing.T) *session.Key {
	t.Helper()
	k, err := session.GenerateKey(session.ES256)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestConfig(t *testing.T) {
	f := newFixture(t)
	pub := f.key.PublicOnly()
	cases := map[string]keysync.Config{
		"no store":         {Signers: []*session.Key{f.key}},
		"no signers":       {Store: keysync.NewMemoryStore()},
		"public signer":    {Store: keysync.NewMemoryStore(), Signers: []*session.Key{pub}},
		"nil signer":       {Store: keysync.NewMemoryStore(), Signers: []*session.Key{nil}},
		"negative overlap": {Store: keysync.NewMemoryStore(), Signers: []*session.Key{f.key}, Overlap: -time.Second},
	}
	for name, cfg := range cases {
		if _, err := keysync.New(f.m, cfg); !errors.Is(err, session.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	if _, err := keysync.New(nil, keysync.Config{Store: keysync.NewMemoryStore(), Signers: []*session.Key{f.key}}); !errors.Is(err, session.ErrConfig) {
		t.Errorf("nil manager: %v, want ErrConfig", err)
	}
}

// TestRefusals: a stored entry that is not a public key of its kid, or a
// switch to a key this instance holds no signer for, is reported and
// leaves the key set as it was.
func TestRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	store := keysync.NewMemoryStore()
	ks, err := keysync.New(f.m, keysync.Config{Store: store, Signers: []*session.Key{f.key}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	other := newKey(t)
	// Scheduled by an instance holding other's signer; this one holds none.
	if err := ks.Schedule(ctx, other.PublicOnly(), f.clk.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Schedule of a key signed elsewhere: %v", err)
	}
	if got := len(f.m.Keys().Keys(f.clk.Now())); got != 2 {
		t.Fatalf("%d keys published, want 2", got)
	}
	f.clk.Advance(time.Hour)
	if err := ks.Sync(ctx); !errors.Is(err, session.ErrConfig) || errors.Is(err, keysync.ErrSchedule) {
		t.Fatalf("Sync without the scheduled key's signer = %v, want ErrConfig (no signer)", err)
	}
	if tok, err := f.m.Mint(ctx, authkit.User{ID: "u1"}, session.MintOptions{}); err != nil || tok.Claims.KeyID != f.key.KID() {
		t.Fatalf("after the refused switch: %v, kid %v; want the old key still signing", err, tok.Claims)
	}
	if err := ks.Schedule(ctx, nil, f.clk.Now().Add(time.Hour)); err == nil {
		t.Fatal("Schedule(nil) succeeded")
	}
	// A stored private JWK (or a kid that is not its thumbprint) is refused.
	k2 := newKey(t)
	priv, _ := k2.MarshalJWK()
	var j struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(priv, &j)
	pubJWK, err := k2.PublicOnly().MarshalJWK()
	if err != nil {
		t.Fatal(err)
	}
	bad := []keysync.PublishedKey{
		{KID: j.Kid, JWK: priv, PublishAt: f.clk.Now(), SignFrom: f.clk.Now().Add(time.Hour)},
		{KID: "not-the-thumbprint", JWK: pubJWK, PublishAt: f.clk.Now(), SignFrom: f.clk.Now().Add(time.Hour)},
		{KID: "garbage", JWK: []byte(`{"kty":"EC"}`), PublishAt: f.clk.Now(), SignFrom: f.clk.Now().Add(time.Hour)},
	}
	for _, b := range bad {
		s := keysync.NewMemoryStore()
		if err := s.PublishKey(ctx, b); err != nil {
			t.Fatal(err)
		}
		k, _ := keysync.New(f.m, keysync.Config{Store: s, Signers: []*session.Key{f.key}})
		if err := k.Sync(ctx); !errors.Is(err, keysync.ErrSchedule) {
			t.Fatalf("Sync of a bad entry %q = %v, want ErrSchedule", b.KID, err)
		}
	}
}

// TestCacheWindow: a key must be in every instance's JWKS for a
// whole JWKS cache lifetime before it signs, or a verifier holding a JWKS
// fetched just before refuses its tokens. A Syncer whose Overlap is not
// longer than Config.JWKSMaxAge, or a Run interval that leaves less than
// JWKSMaxAge between the key reaching the JWKS and signing, is refused.
func TestCacheWindow(t *testing.T) {
	f := newFixture(t, func(c *session.Config) { c.JWKSMaxAge = 5 * time.Minute })
	for _, o := range []time.Duration{time.Second, 5 * time.Minute} {
		if _, err := keysync.New(f.m, keysync.Config{Store: keysync.NewMemoryStore(), Signers: []*session.Key{f.key}, Overlap: o}); !errors.Is(err, session.ErrConfig) {
			t.Errorf("Overlap %v with a 5 min JWKS cache: %v, want ErrConfig", o, err)
		}
	}
	ks, err := keysync.New(f.m, keysync.Config{Store: keysync.NewMemoryStore(), Signers: []*session.Key{f.key}})
	if err != nil {
		t.Fatal(err)
	}
	// Default Overlap 10 min: an interval over 5 min could publish a key
	// less than one cache lifetime before it signs. (The context is
	// already done, so an accepted interval returns at once.)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, iv := range []time.Duration{0, 6 * time.Minute} {
		if err := ks.Run(ctx, iv); !errors.Is(err, session.ErrConfig) {
			t.Errorf("Run(%v) = %v, want ErrConfig", iv, err)
		}
	}
	if err := ks.Run(ctx, 5*time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("Run(5 min) = %v, want it to run until the context ends", err)
	}
}
