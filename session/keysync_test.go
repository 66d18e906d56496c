package session_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit/session"
)

func TestKeySyncConfig(t *testing.T) {
	f := newFixture(t, session.ES256, true)
	pub := f.key.PublicOnly()
	cases := map[string]session.KeySyncConfig{
		"no store":         {Signers: []*session.Key{f.key}},
		"no signers":       {Store: session.NewMemoryKeyStore()},
		"public signer":    {Store: session.NewMemoryKeyStore(), Signers: []*session.Key{pub}},
		"negative overlap": {Store: session.NewMemoryKeyStore(), Signers: []*session.Key{f.key}, Overlap: -time.Second},
	}
	for name, cfg := range cases {
		if _, err := session.NewKeySync(f.m, cfg); !errors.Is(err, session.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

// TestKeySyncRefusals: a stored entry that is not a public key of its kid,
// or a switch to a key this instance holds no signer for, is reported and
// leaves the key set as it was.
func TestKeySyncRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, session.ES256, true)
	store := session.NewMemoryKeyStore()
	ks, err := session.NewKeySync(f.m, session.KeySyncConfig{Store: store, Signers: []*session.Key{f.key}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	other := testKey(t, session.ES256, 1)
	// Scheduled by an instance holding other's signer; this one holds none.
	if err := ks.Schedule(ctx, other.PublicOnly(), f.clk.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Schedule of a key signed elsewhere: %v", err)
	}
	if got := len(f.m.Keys().Keys(f.clk.Now())); got != 2 {
		t.Fatalf("%d keys published, want 2", got)
	}
	f.clk.Advance(time.Hour)
	if err := ks.Sync(ctx); !errors.Is(err, session.ErrNoSigningKey) {
		t.Fatalf("Sync without the scheduled key's signer = %v, want ErrNoSigningKey", err)
	}
	if tok, err := f.m.Mint(ctx, testUser(1), session.MintOptions{}); err != nil || tok.Claims.KeyID != f.key.KID() {
		t.Fatalf("after the refused switch: %v, kid %v; want the old key still signing", err, tok.Claims)
	}
	// A stored private JWK (or a kid that is not its thumbprint) is refused.
	priv, _ := testKey(t, session.ES256, 2).MarshalJWK()
	var j session.JWK
	_ = json.Unmarshal(priv, &j)
	bad := []session.PublishedKey{
		{KID: j.Kid, JWK: priv, PublishAt: f.clk.Now(), SignFrom: f.clk.Now().Add(time.Hour)},
		{KID: "not-the-thumbprint", JWK: mustJSON(t, testKey(t, session.ES256, 2).PublicJWK()), PublishAt: f.clk.Now(), SignFrom: f.clk.Now().Add(time.Hour)},
	}
	for _, b := range bad {
		s := session.NewMemoryKeyStore()
		if err := s.PublishKey(ctx, b); err != nil {
			t.Fatal(err)
		}
		k, _ := session.NewKeySync(f.m, session.KeySyncConfig{Store: s, Signers: []*session.Key{f.key}})
		if err := k.Sync(ctx); !errors.Is(err, session.ErrKeySchedule) {
			t.Fatalf("Sync of a bad entry %q = %v, want ErrKeySchedule", b.KID, err)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
