// Package keysync shares a session key set between server instances, so
// that every instance publishes the same JWKS (RFC 7517 §5) and switches
// signing keys at the same moment.
//
// A [Store] (in memory, or store/postgres and store/redis in production)
// holds public keys and their schedule only, never a private key: each
// instance is configured with the signers it holds (the same PEMs or KMS
// handles). Rotation is "publish at T, sign from T+overlap": [Syncer.Schedule]
// publishes the next key at once and makes it sign from a later time, so
// every verifier's cached JWKS knows a key before any token carries it.
// A key that stopped signing stays published until every token it signed
// has expired, then [Syncer.Sync] deletes it.
//
//	ks, err := keysync.New(manager, keysync.Config{
//		Store:   pgStore.SessionKeys(),              // or keysync.NewMemoryStore()
//		Signers: []*session.Key{current, next},
//	})
//	err = ks.Sync(ctx)                              // at start-up
//	go ks.Run(ctx, time.Minute)
//	err = ks.Schedule(ctx, next, time.Now().Add(24*time.Hour))
package keysync
