package keysync_test

import (
	"context"
	"fmt"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/keysync"
)

// Two instances share their signing keys through a Store (PostgreSQL or
// Redis in production). Each is configured with the same signers (PEMs or
// KMS handles); the store holds public keys and the schedule only. The next
// key is published at once and signs from ten minutes later.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	current, _ := session.GenerateKey(session.ES256)
	next, _ := session.GenerateKey(session.ES256)
	shared, sessions := keysync.NewMemoryStore(), session.NewMemoryStore()

	var instances []*session.Manager
	var syncs []*keysync.Syncer
	for range 2 {
		keys, _ := session.NewKeySet(current)
		m, _ := session.New(session.Config{Keys: keys, Issuer: "auth.example.com", Store: sessions, Now: clock})
		ks, _ := keysync.New(m, keysync.Config{Store: shared, Signers: []*session.Key{current, next}})
		_ = ks.Sync(ctx) // then: go ks.Run(ctx, time.Minute)
		instances, syncs = append(instances, m), append(syncs, ks)
	}
	_ = syncs[0].Schedule(ctx, next, now.Add(10*time.Minute))
	_ = syncs[1].Sync(ctx)

	signer := func(m *session.Manager) bool {
		t, _ := m.Mint(ctx, authkit.User{ID: "7f3e1c2a-5b6d-4e8f-9a0b-1c2d3e4f5a6b"}, session.MintOptions{})
		return t.Claims.KeyID == next.KID()
	}
	fmt.Println("published:", len(instances[0].Keys().Keys(now)), len(instances[1].Keys().Keys(now)))
	fmt.Println("signs with next:", signer(instances[0]), signer(instances[1]))
	now = now.Add(10 * time.Minute)
	fmt.Println("signs with next:", signer(instances[0]), signer(instances[1]))
	// Output:
	// published: 2 2
	// signs with next: false false
	// signs with next: true true
}
