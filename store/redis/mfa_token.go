package redis

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/mfa"
)

// A user's MFA tokens are one hash "{prefix:mfa:<user>}:tokens", in the
// user's slot beside its devices and recovery codes, so that DeleteUser
// removes all of them in one atomic script. Each token is four fields
// "<hex digest>:sid", ":single", ":cat" and ":exp"; creating a token prunes
// the expired ones, and the key lives as long as its longest-lived token.

func (m *MFAStore) tokensKey(userID string) string { return m.s.userKey("mfa", userID, "tokens") }

// createTokenScript: KEYS[1] tokens; ARGV: digest, sid, single, cat, exp,
// now, ttl ms. Returns 1 when created, 0 when the digest exists.
var createTokenScript = goredis.NewScript(`
local d = ARGV[1]
if redis.call('HEXISTS', KEYS[1], d..':exp') == 1 then return 0 end
local all = redis.call('HGETALL', KEYS[1])
local now = tonumber(ARGV[6])
for i = 1, #all, 2 do
  local f = all[i]
  if string.sub(f, -4) == ':exp' and tonumber(all[i+1]) <= now then
    local p = string.sub(f, 1, -5)
    redis.call('HDEL', KEYS[1], p..':sid', p..':single', p..':cat', p..':exp')
  end
end
redis.call('HSET', KEYS[1], d..':sid', ARGV[2], d..':single', ARGV[3], d..':cat', ARGV[4], d..':exp', ARGV[5])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[7]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
end
return 1
`)

// CreateToken implements mfa.TokenStore.
func (m *MFAStore) CreateToken(ctx context.Context, t mfa.TokenRecord) error {
	k := m.tokensKey(t.UserID)
	args := []any{hex.EncodeToString(t.Digest), t.SessionID, boolStr(t.SingleUse),
		encTime(t.CreatedAt), encTime(t.ExpiresAt), us(t.CreatedAt), ttlMS(t.CreatedAt, t.ExpiresAt)}
	created, err := run(m.s, ctx, "mfa create token", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, createTokenScript, k, args...)
	})
	if err != nil {
		return err
	}
	if created != int64(1) {
		return mfa.ErrDuplicate
	}
	return nil
}

// useTokenScript: KEYS[1] tokens; ARGV: digest, session, now. Returns
// {0, sid, single, cat, exp} when the token may be used (deleting a
// single-use one), {1} otherwise. The digest is the field name: nothing
// secret is compared in the script.
var useTokenScript = goredis.NewScript(`
local d = ARGV[1]
local r = redis.call('HMGET', KEYS[1], d..':sid', d..':single', d..':cat', d..':exp')
if not r[4] then return {1} end
if r[1] ~= '' and r[1] ~= ARGV[2] then return {1} end
if tonumber(ARGV[3]) >= tonumber(r[4]) then return {1} end
if r[2] == '1' then redis.call('HDEL', KEYS[1], d..':sid', d..':single', d..':cat', d..':exp') end
return {0, r[1], r[2], r[3], r[4]}
`)

// UseToken implements mfa.TokenStore.
func (m *MFAStore) UseToken(ctx context.Context, digest []byte, userID, sessionID string, now time.Time) (mfa.TokenRecord, error) {
	k := m.tokensKey(userID)
	reply, err := run(m.s, ctx, "mfa use token", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, useTokenScript, k, hex.EncodeToString(digest), sessionID, us(now))
	})
	if err != nil {
		return mfa.TokenRecord{}, err
	}
	arr, ok := reply.([]any)
	if !ok || len(arr) == 0 {
		return mfa.TokenRecord{}, errCorrupt("reply", fmt.Errorf("%T", reply))
	}
	if st, _ := arr[0].(int64); st == 1 && len(arr) == 1 {
		return mfa.TokenRecord{}, mfa.ErrNotFound
	}
	if len(arr) != 5 {
		return mfa.TokenRecord{}, errCorrupt("reply", fmt.Errorf("%d values", len(arr)))
	}
	v := make([]string, 4)
	for i := range v {
		if v[i], ok = arr[i+1].(string); !ok {
			return mfa.TokenRecord{}, errCorrupt("token", fmt.Errorf("value %d is %T", i, arr[i+1]))
		}
	}
	t := mfa.TokenRecord{UserID: userID, Digest: append([]byte(nil), digest...), SessionID: v[0], SingleUse: v[1] == "1"}
	if t.CreatedAt, err = decTime(v[2]); err != nil {
		return mfa.TokenRecord{}, errCorrupt("token", err)
	}
	if t.ExpiresAt, err = decTime(v[3]); err != nil {
		return mfa.TokenRecord{}, errCorrupt("token", err)
	}
	return t, nil
}

// deleteMFAUserScript: KEYS devices, recovery set, tokens (one slot). The
// recovery hash keeps only its failure fields (see mfa_recovery.go), for
// one window from now unless they hold a lifetime count: by then every
// failure counted before has left the window.
var deleteMFAUserScript = goredis.NewScript(keepFailuresLua + `
redis.call('DEL', KEYS[1], KEYS[3])
local f = keep_failures(KEYS[2])
if f[1] and not f[2] and f[3] then
  redis.call('PEXPIRE', KEYS[2], math.max(1, math.ceil(tonumber(f[3]) / 1000)))
end
return 0
`)

// DeleteUser implements mfa.UserStore: one script on the user's devices,
// recovery set and tokens keys, which share the user's slot, so the three
// go at once. Attempt windows and recovery-code failures stay (they limit
// guessing).
func (m *MFAStore) DeleteUser(ctx context.Context, userID string) error {
	keys := []string{m.devicesKey(userID), m.recoveryKey(userID), m.tokensKey(userID)}
	_, err := run(m.s, ctx, "mfa delete user", func(ctx context.Context) (any, error) {
		return deleteMFAUserScript.Run(ctx, m.s.c, keys).Result()
	})
	return err
}
