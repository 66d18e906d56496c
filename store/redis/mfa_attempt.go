package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/authkit/authkit/mfa"
	goredis "github.com/redis/go-redis/v9"
)

// An attempt window is one hash "{prefix:att:<key>}" with fields end (µs),
// count and rel (the id of the last release), living until the window ends.
// The lifetime failure count is a second hash "{prefix:att:<key>}:mfalt"
// with fields n and rel, in the same slot (the same hash tag), so one script
// updates both; it has no TTL, since no window ends it, and is deleted when
// n returns to 0.

// lifetimeKey is the lifetime-count key of the window key k.
func lifetimeKey(k string) string { return k + ":mfalt" }

// reserveAttemptScript: KEYS[1] window, KEYS[2] lifetime; ARGV: now,
// window (µs), max, TTL ms, lifetime max (0: none). Returns {1} when a slot
// was taken, {0, µs left} when the window refused, {2} at the lifetime cap.
var reserveAttemptScript = goredis.NewScript(`
local lmax = tonumber(ARGV[5])
if lmax > 0 and tonumber(redis.call('HGET', KEYS[2], 'n') or '0') >= lmax then
  return {2}
end
local r = redis.call('HMGET', KEYS[1], 'end', 'count')
local now = tonumber(ARGV[1])
if not r[1] or now >= tonumber(r[1]) or tonumber(r[2]) <= 0 then
  redis.call('HSET', KEYS[1], 'end', now + tonumber(ARGV[2]), 'count', 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
elseif tonumber(r[2]) < tonumber(ARGV[3]) then
  redis.call('HINCRBY', KEYS[1], 'count', 1)
else
  return {0, tonumber(r[1]) - now}
end
if lmax > 0 then redis.call('HINCRBY', KEYS[2], 'n', 1) end
return {1}
`)

// ReserveAttempt implements mfa.AttemptStore.
func (m *MFAStore) ReserveAttempt(ctx context.Context, key string, now time.Time, window time.Duration, max, lifetimeMax int) (bool, time.Duration, error) {
	k := m.s.key("att", key)
	if lifetimeMax < 0 {
		lifetimeMax = 0
	}
	reply, err := run(m.s, ctx, "mfa reserve attempt", func(ctx context.Context) (any, error) {
		return reserveAttemptScript.Run(ctx, m.s.c, []string{k, lifetimeKey(k)},
			us(now), durUS(window), max, ttlMS(now, now.Add(window)), lifetimeMax).Result()
	})
	if err != nil {
		return false, 0, err
	}
	arr, ok := reply.([]any)
	if !ok || len(arr) == 0 {
		return false, 0, errCorrupt("reply", fmt.Errorf("%T", reply))
	}
	switch arr[0] {
	case int64(1):
		return true, 0, nil
	case int64(2):
		return false, 0, mfa.ErrLockedOut
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

// releaseAttemptScript: KEYS[1] window, KEYS[2] lifetime; ARGV: now,
// release id. Each hash keeps the id of the last release applied to it
// ("rel"): go-redis re-sends a command whose reply was lost (a connection
// cut after the script ran), and the repeat must not give back a second
// slot. The lifetime count is given back even after its window ended.
var releaseAttemptScript = goredis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'end', 'count', 'rel')
if r[1] and tonumber(ARGV[1]) < tonumber(r[1]) and r[3] ~= ARGV[2] then
  if tonumber(r[2]) > 0 then redis.call('HINCRBY', KEYS[1], 'count', -1) end
  redis.call('HSET', KEYS[1], 'rel', ARGV[2])
end
local l = redis.call('HMGET', KEYS[2], 'n', 'rel')
if l[1] and l[2] ~= ARGV[2] then
  if tonumber(l[1]) <= 1 then
    redis.call('DEL', KEYS[2])
  else
    redis.call('HINCRBY', KEYS[2], 'n', -1)
    redis.call('HSET', KEYS[2], 'rel', ARGV[2])
  end
end
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
		return releaseAttemptScript.Run(ctx, m.s.c, []string{k, lifetimeKey(k)}, us(now), rel).Result()
	})
	return err
}

// ResetAttempts implements mfa.AttemptStore: one DEL of both keys (one
// slot).
func (m *MFAStore) ResetAttempts(ctx context.Context, key string) error {
	k := m.s.key("att", key)
	_, err := run(m.s, ctx, "mfa reset attempts", func(ctx context.Context) (int64, error) {
		return m.s.c.Del(ctx, k, lifetimeKey(k)).Result()
	})
	return err
}
