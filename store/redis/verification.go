package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/verification"
)

// VerificationStore implements verification.Store. Each verification is one
// hash "{prefix:v:<id>}" living until its PurgeAt; each destination's send
// history is one sorted set "{prefix:vs:<destination>}" (scores: send times)
// living for one window after the last send.
type VerificationStore struct{ s *Store }

var _ verification.Store = (*VerificationStore)(nil)

// createScript stores a hash unless the key exists. KEYS[1]: the record;
// ARGV[1]: TTL in ms; ARGV[2…]: field, value pairs. Returns 1 if created.
var createScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`)

// vFields are a verification hash's fields, in the order verificationOf
// reads them.
var vFields = fields{"id", "ch", "dest", "cc", "nat", "reg", "hash", "att", "sends", "cat", "sat", "exp", "purge", "used"}

func verificationFields(r verification.Record) []any {
	return []any{
		"id", r.ID, "ch", string(r.Channel), "dest", r.Destination,
		"cc", r.PhoneCountryCode, "nat", r.PhoneNational, "reg", r.PhoneRegion,
		"hash", r.CodeHash, "att", r.Attempts, "sends", r.Sends,
		"cat", encTime(r.CreatedAt), "sat", encTime(r.SentAt), "exp", encTime(r.ExpiresAt),
		"purge", encTime(r.PurgeAt), "used", encTime(r.UsedAt),
	}
}

func verificationOf(v []string) (verification.Record, error) {
	r := verification.Record{
		ID: v[0], Channel: verification.Channel(v[1]), Destination: v[2],
		PhoneCountryCode: v[3], PhoneNational: v[4], PhoneRegion: v[5],
		CodeHash: []byte(v[6]),
	}
	var err error
	if r.Attempts, err = strconv.Atoi(v[7]); err != nil {
		return r, errCorrupt("verification", err)
	}
	if r.Sends, err = strconv.Atoi(v[8]); err != nil {
		return r, errCorrupt("verification", err)
	}
	for i, dst := range []*time.Time{&r.CreatedAt, &r.SentAt, &r.ExpiresAt, &r.PurgeAt, &r.UsedAt} {
		if *dst, err = decTime(v[9+i]); err != nil {
			return r, errCorrupt("verification", err)
		}
	}
	return r, nil
}

// Create implements verification.Store.
func (v *VerificationStore) Create(ctx context.Context, rec verification.Record) error {
	args := append([]any{ttlMS(rec.CreatedAt, rec.PurgeAt)}, verificationFields(rec)...)
	k := v.s.key("v", rec.ID)
	created, err := run(v.s, ctx, "verification create", func(ctx context.Context) (any, error) {
		return v.s.script(ctx, createScript, k, args...)
	})
	if err != nil {
		return err
	}
	if created != int64(1) {
		return verification.ErrDuplicate
	}
	return nil
}

// Get implements verification.Store.
func (v *VerificationStore) Get(ctx context.Context, id string) (verification.Record, error) {
	k := v.s.key("v", id)
	reply, err := run(v.s, ctx, "verification get", func(ctx context.Context) ([]any, error) {
		return v.s.c.HMGet(ctx, k, vFields...).Result()
	})
	if err != nil {
		return verification.Record{}, err
	}
	vals, found, err := vFields.values(reply)
	if err != nil {
		return verification.Record{}, errCorrupt("reply", err)
	}
	if !found {
		return verification.Record{}, verification.ErrNotFound
	}
	return verificationOf(vals)
}

// Script status codes shared by the verification scripts.
const (
	vOK = iota
	vNotFound
	vUsed
	vTooMany
	vExpired
	vWrong
)

// replaceCodeScript: KEYS[1] record; ARGV: hash, now, expires, purge, max, ttl.
var replaceCodeScript = goredis.NewScript(vFields.lua() + `
local r = redis.call('HMGET', KEYS[1], 'used', 'att')
if not r[2] then return {1} end
if r[1] ~= '' then return {2} end
if tonumber(r[2]) >= tonumber(ARGV[5]) then return {3} end
redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'sat', ARGV[2], 'exp', ARGV[3], 'purge', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'sends', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return {0, redis.call('HMGET', KEYS[1], unpack(F))}
`)

// ReplaceCode implements verification.Store.
func (v *VerificationStore) ReplaceCode(ctx context.Context, id string, codeHash []byte, now, expiresAt, purgeAt time.Time, maxAttempts int) (verification.Record, error) {
	k := v.s.key("v", id)
	reply, err := run(v.s, ctx, "verification replace code", func(ctx context.Context) (any, error) {
		return v.s.script(ctx, replaceCodeScript, k, codeHash, us(now), us(expiresAt), us(purgeAt), maxAttempts, ttlMS(now, purgeAt))
	})
	if err != nil {
		return verification.Record{}, err
	}
	return v.result(reply)
}

// attemptScript: KEYS[1] record; ARGV: now, max, candidate hashes….
//
// The candidates are keyed hashes (HMAC-SHA256 under the server's secret)
// and are compared with '=='. Lua has no constant-time comparison, but
// timing leaks nothing useful here: an attacker cannot compute the digest of
// a guess without the secret, so learning how many leading bytes of a digest
// matched does not bring them closer to a valid code.
var attemptScript = goredis.NewScript(vFields.lua() + `
local r = redis.call('HMGET', KEYS[1], 'used', 'exp', 'att', 'hash')
if not r[3] then return {1} end
if r[1] ~= '' then return {2} end
if tonumber(ARGV[1]) >= tonumber(r[2]) then return {4} end
if tonumber(r[3]) >= tonumber(ARGV[2]) then return {3} end
local match = false
for i = 3, #ARGV do
  if r[4] ~= '' and ARGV[i] == r[4] then match = true end
end
if match then
  redis.call('HSET', KEYS[1], 'used', ARGV[1])
  return {0, redis.call('HMGET', KEYS[1], unpack(F))}
end
redis.call('HINCRBY', KEYS[1], 'att', 1)
return {5, redis.call('HMGET', KEYS[1], unpack(F))}
`)

// Attempt implements verification.Store.
func (v *VerificationStore) Attempt(ctx context.Context, id string, candidates [][]byte, now time.Time, maxAttempts int) (verification.Record, error) {
	k := v.s.key("v", id)
	args := make([]any, 0, 2+len(candidates))
	args = append(args, us(now), maxAttempts)
	// Copies, in one buffer: candidates is the caller's (leased from a
	// pool, cleared and reused once Attempt returns), and a command left
	// to finish in the background (see run) may still be writing them.
	n := 0
	for _, c := range candidates {
		n += len(c)
	}
	buf := make([]byte, 0, n)
	for _, c := range candidates {
		buf = append(buf, c...)
		args = append(args, buf[len(buf)-len(c):len(buf):len(buf)])
	}
	reply, err := run(v.s, ctx, "verification attempt", func(ctx context.Context) (any, error) {
		return v.s.script(ctx, attemptScript, k, args...)
	})
	if err != nil {
		return verification.Record{}, err
	}
	return v.result(reply)
}

// result decodes a {status, hash} reply of the verification scripts.
func (v *VerificationStore) result(reply any) (verification.Record, error) {
	st, payload, err := statusOf(reply)
	if err != nil {
		return verification.Record{}, errCorrupt("reply", err)
	}
	var rec verification.Record
	if payload != nil {
		vals, found, err := vFields.values(payload)
		if err != nil || !found {
			return verification.Record{}, errCorrupt("reply", fmt.Errorf("record: %v", err))
		}
		if rec, err = verificationOf(vals); err != nil {
			return verification.Record{}, err
		}
	}
	switch st {
	case vOK:
		return rec, nil
	case vWrong:
		return rec, verification.ErrWrongCode
	case vNotFound:
		return verification.Record{}, verification.ErrNotFound
	case vUsed:
		return verification.Record{}, verification.ErrAlreadyUsed
	case vTooMany:
		return verification.Record{}, verification.ErrTooManyAttempts
	case vExpired:
		return verification.Record{}, verification.ErrExpired
	}
	return verification.Record{}, errCorrupt("reply", fmt.Errorf("status %d", st))
}

// Limiter implements verification.Store: Store.Limiter, so the send
// limits are limiter keys like every other limit.
func (v *VerificationStore) Limiter(cfg ratelimit.LimiterConfig) (ratelimit.Counter, error) {
	return v.s.Limiter(cfg)
}
