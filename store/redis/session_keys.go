package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/keysync"
)

// SessionKeys returns the keysync.Store: the shared signing key set
// (public JWKs and their schedule; never a private key), one hash
// "{prefix:sgen:keys}" mapping each kid to its entry as JSON. The set is a
// handful of keys, read once per keysync.Syncer interval, so one key (one slot)
// suits it.
func (s *Store) SessionKeys() *SessionKeyStore { return &SessionKeyStore{s: s} }

// SessionKeyStore implements keysync.Store.
type SessionKeyStore struct{ s *Store }

var _ keysync.Store = (*SessionKeyStore)(nil)

// keyEntry is a stored PublishedKey; times in µs like every record here.
type keyEntry struct {
	JWK       json.RawMessage `json:"jwk"`
	PublishAt int64           `json:"pub"`
	SignFrom  int64           `json:"sign"`
}

func (ks *SessionKeyStore) hash() string { return ks.s.key("sgen", "keys") }

// PublishKey implements keysync.Store with HSETNX.
func (ks *SessionKeyStore) PublishKey(ctx context.Context, k keysync.PublishedKey) error {
	if k.KID == "" || !json.Valid(k.JWK) {
		return fmt.Errorf("%w: key without kid or JWK", ErrInvalidArgument)
	}
	v, err := json.Marshal(keyEntry{JWK: k.JWK, PublishAt: k.PublishAt.UnixMicro(), SignFrom: k.SignFrom.UnixMicro()})
	if err != nil {
		return err
	}
	set, err := run(ks.s, ctx, "session key publish", func(ctx context.Context) (bool, error) {
		return ks.s.c.HSetNX(ctx, ks.hash(), k.KID, v).Result()
	})
	if err != nil {
		return err
	}
	if !set {
		return session.ErrDuplicate
	}
	return nil
}

// PublishedKeys implements keysync.Store with HGETALL.
func (ks *SessionKeyStore) PublishedKeys(ctx context.Context) ([]keysync.PublishedKey, error) {
	m, err := run(ks.s, ctx, "session keys", func(ctx context.Context) (map[string]string, error) {
		return ks.s.c.HGetAll(ctx, ks.hash()).Result()
	})
	if err != nil {
		return nil, err
	}
	out := make([]keysync.PublishedKey, 0, len(m))
	for kid, v := range m {
		var e keyEntry
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			return nil, errCorrupt("session key", err)
		}
		out = append(out, keysync.PublishedKey{
			KID: kid, JWK: []byte(e.JWK),
			PublishAt: time.UnixMicro(e.PublishAt).UTC(), SignFrom: time.UnixMicro(e.SignFrom).UTC(),
		})
	}
	return out, nil
}

// DeleteKey implements keysync.Store with HDEL.
func (ks *SessionKeyStore) DeleteKey(ctx context.Context, kid string) error {
	_, err := run(ks.s, ctx, "session key delete", func(ctx context.Context) (int64, error) {
		return ks.s.c.HDel(ctx, ks.hash(), kid).Result()
	})
	return err
}
