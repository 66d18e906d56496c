package redis

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/devicebind"
)

// DeviceNonceStore implements devicebind.Store: one string key per nonce,
// "{prefix:dnonce:<hex digest>}", holding its expiry in microseconds and
// living until then.
type DeviceNonceStore struct{ s *Store }

var _ devicebind.Store = (*DeviceNonceStore)(nil)

// DeviceNonces returns the devicebind.Store on this Redis.
func (s *Store) DeviceNonces() *DeviceNonceStore { return &DeviceNonceStore{s: s} }

func (d *DeviceNonceStore) key(digest []byte) string {
	return d.s.key("dnonce", hex.EncodeToString(digest))
}

// saveNonceScript: KEYS[1] nonce; ARGV: expiry (µs), ttl ms. Returns 0
// saved, 1 duplicate. The same expiry again is a client retry after a lost
// reply (digests are random), so it counts as saved.
var saveNonceScript = goredis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  if v == ARGV[1] then return 0 end
  return 1
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 0
`)

// CreateNonce implements devicebind.Store.
func (d *DeviceNonceStore) CreateNonce(ctx context.Context, digest []byte, expiresAt time.Time) error {
	k := d.key(digest)
	st, err := run(d.s, ctx, "device nonce save", func(ctx context.Context) (any, error) {
		return d.s.script(ctx, saveNonceScript, k, us(expiresAt), ttlMS(time.Now(), expiresAt))
	})
	if err != nil {
		return err
	}
	switch st {
	case int64(0):
		return nil
	case int64(1):
		return devicebind.ErrDuplicate
	}
	return errCorrupt("reply", fmt.Errorf("status %v", st))
}

// consumeNonceScript: KEYS[1] nonce; ARGV: now (µs). Deletes the nonce
// and returns 0 when it is unexpired at now; 1 otherwise. A retry after a
// lost reply finds nothing and fails closed.
var consumeNonceScript = goredis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v or tonumber(v) <= tonumber(ARGV[1]) then return 1 end
redis.call('DEL', KEYS[1])
return 0
`)

// ConsumeNonce implements devicebind.Store.
func (d *DeviceNonceStore) ConsumeNonce(ctx context.Context, digest []byte, now time.Time) error {
	k := d.key(digest)
	st, err := run(d.s, ctx, "device nonce consume", func(ctx context.Context) (any, error) {
		return d.s.script(ctx, consumeNonceScript, k, us(now))
	})
	if err != nil {
		return err
	}
	switch st {
	case int64(0):
		return nil
	case int64(1):
		return devicebind.ErrNotFound
	}
	return errCorrupt("reply", fmt.Errorf("status %v", st))
}
