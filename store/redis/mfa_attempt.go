package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// An attempt window is one hash "{prefix:att:<key>}" with fields end (µs),
// count and rel (the id of the last release), living until the window ends.

// reserveAttemptScript: KEYS[1] window; ARGV: now, window (µs), max, TTL ms.
// Returns {1} when a slot was taken, {0, µs left} when refused.
var reserveAttemptScript = goredis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'end', 'count')
local now = tonumber(ARGV[1])
if not r[1] or now >= tonumber(r[1]) or tonumber(r[2]) <= 0 then
  redis.call('HSET', KEYS[1], 'end', now + tonumber(ARGV[2]), 'count', 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {1}
end
if tonumber(r[2]) < tonumber(ARGV[3]) then
  redis.call('HINCRBY', KEYS[1], 'count', 1)
  return {1}
end
return {0, tonumber(r[1]) - now}
`)

// ReserveAttempt implements mfa.AttemptStore.
func (m *MFAStore) ReserveAttempt(ctx context.Context, key string, now time.Time, window time.Duration, max int) (bool, time.Duration, error) {
	k := m.s.key("att", key)
	reply, err := run(m.s, ctx, "mfa reserve attempt", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, reserveAttemptScript, k, us(now), durUS(window), max, ttlMS(now, now.Add(window)))
	})
	if err != nil {
		return false, 0, err
	}
	arr, ok := reply.([]any)
	if !ok || len(arr) == 0 {
		return false, 0, errCorrupt("reply", fmt.Errorf("%T", reply))
	}
	if arr[0] == int64(1) {
		return true, 0, nil
	}
	if len(arr) != 2 {
		return false, 0, errCorrupt("reply", fmt.Errorf("%d values", len(arr)))
	}
	left, ok := arr[1].(int64)
	if !ok {
		return false, 0, errCorrupt("reply", fmt.Errorf("%T", arr[1]))
	}
	return false, time.Duration(left) * time.Microsecond, nil
}

// releaseAttemptScript: KEYS[1] window; ARGV: now, release id. The id of
// the last release applied is kept in the window ("rel"): go-redis re-sends
// a command whose reply was lost (a connection cut after the script ran),
// and the repeat must not give back a second slot.
var releaseAttemptScript = goredis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'end', 'count', 'rel')
if not r[1] or tonumber(ARGV[1]) >= tonumber(r[1]) then return 0 end
if r[3] == ARGV[2] then return 0 end
if tonumber(r[2]) > 0 then redis.call('HINCRBY', KEYS[1], 'count', -1) end
redis.call('HSET', KEYS[1], 'rel', ARGV[2])
return 0
`)

// ReleaseAttempt implements mfa.AttemptStore. Each call carries a random
// id, so that a retry of the same command by go-redis is a no-op.
func (m *MFAStore) ReleaseAttempt(ctx context.Context, key string, now time.Time) error {
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	rel := hex.EncodeToString(id[:])
	k := m.s.key("att", key)
	_, err := run(m.s, ctx, "mfa release attempt", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, releaseAttemptScript, k, us(now), rel)
	})
	return err
}
