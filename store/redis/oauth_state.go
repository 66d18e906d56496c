package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/oauth"
)

// OAuthStateStore implements oauth.Store. A sign-in state is one hash
// "{prefix:oauth:<state>}" kept until ExpiresAt + oauth.StateRetention, so
// that a late callback gets ErrStateExpired rather than ErrNotFound,
// or only until ExpiresAt once its callback arrived or it was consumed.
type OAuthStateStore struct{ s *Store }

var _ oauth.Store = (*OAuthStateStore)(nil)

// sFields are a state hash's fields, in the order stateOf reads them.
var sFields = fields{"st", "prov", "redir", "ret", "ver", "chal", "nonce", "code", "err", "errd", "user", "cat", "exp", "cbat", "used"}

func stateFields(r oauth.State) []any {
	return []any{"st", r.State, "prov", r.Provider, "redir", r.RedirectURL, "ret", r.ReturnURL,
		"ver", r.CodeVerifier, "chal", r.CodeChallenge, "nonce", r.Nonce,
		"cat", encTime(r.CreatedAt), "exp", encTime(r.ExpiresAt), "cbat", encTime(r.CallbackAt),
		"code", r.Code, "err", r.Error, "errd", r.ErrorDescription, "user", r.CallbackUser,
		"used", encTime(r.ConsumedAt)}
}

func stateOf(v []string) (oauth.State, error) {
	r := oauth.State{State: v[0], Provider: v[1], RedirectURL: v[2], ReturnURL: v[3],
		CodeVerifier: v[4], CodeChallenge: v[5], Nonce: v[6], Code: v[7],
		Error: v[8], ErrorDescription: v[9], CallbackUser: v[10]}
	var err error
	for i, dst := range []*time.Time{&r.CreatedAt, &r.ExpiresAt, &r.CallbackAt, &r.ConsumedAt} {
		if *dst, err = decTime(v[11+i]); err != nil {
			return oauth.State{}, errCorrupt("oauth state", err)
		}
	}
	return r, nil
}

// Status codes of the state scripts.
const (
	sOK = iota
	sNotFound
	sExpired
	sUsed
	sCallback
	sExists
)

// saveStateScript: KEYS[1] state; ARGV: now, TTL ms, field/value pairs.
var saveStateScript = goredis.NewScript(`
local exp = redis.call('HGET', KEYS[1], 'exp')
if exp and tonumber(ARGV[1]) < tonumber(exp) then return 5 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0
`)

// Create implements oauth.Store.
func (o *OAuthStateStore) Create(ctx context.Context, rec oauth.State, now time.Time) error {
	k := o.s.key("oauth", rec.State)
	args := append([]any{us(now), ttlMS(now, rec.ExpiresAt.Add(oauth.StateRetention))}, stateFields(rec)...)
	st, err := run(o.s, ctx, "oauth save state", func(ctx context.Context) (any, error) {
		return o.s.script(ctx, saveStateScript, k, args...)
	})
	if err != nil {
		return err
	}
	switch st {
	case int64(sOK):
		return nil
	case int64(sExists):
		return oauth.ErrDuplicate
	}
	return errCorrupt("reply", fmt.Errorf("status %v", st))
}

// Get implements oauth.Store.
func (o *OAuthStateStore) Get(ctx context.Context, state string, now time.Time) (oauth.State, error) {
	k := o.s.key("oauth", state)
	reply, err := run(o.s, ctx, "oauth get state", func(ctx context.Context) ([]any, error) {
		return o.s.c.HMGet(ctx, k, sFields...).Result()
	})
	if err != nil {
		return oauth.State{}, err
	}
	vals, found, err := sFields.values(reply)
	if err != nil {
		return oauth.State{}, errCorrupt("reply", err)
	}
	if !found {
		return oauth.State{}, oauth.ErrNotFound
	}
	r, err := stateOf(vals)
	if err != nil {
		return oauth.State{}, err
	}
	if !now.Before(r.ExpiresAt) {
		return oauth.State{}, oauth.ErrStateExpired
	}
	return r, nil
}

// luaStateCheck classifies a state at now (ARGV[1]): not found, expired,
// consumed. It returns from the script when the state is unusable.
const luaStateCheck = `
local r = redis.call('HMGET', KEYS[1], 'exp', 'used', 'cbat')
if not r[1] then return {1} end
if tonumber(ARGV[1]) >= tonumber(r[1]) then return {2} end
if r[2] ~= '' then return {3} end
`

// luaExpireAtExpiry makes a state whose callback arrived or that was
// consumed go at its ExpiresAt instead of StateRetention later: it has
// nothing left to tell a late caller (oauth.Store). r[1] is exp, in
// microseconds, after now by luaStateCheck.
const luaExpireAtExpiry = `
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((tonumber(r[1]) - tonumber(ARGV[1])) / 1000)))
`

// recordCallbackScript: KEYS[1] state; ARGV: now, code, error, description, user.
var recordCallbackScript = goredis.NewScript(sFields.lua() + luaStateCheck + `
if r[3] ~= '' then return {4} end
redis.call('HSET', KEYS[1], 'cbat', ARGV[1], 'code', ARGV[2], 'err', ARGV[3], 'errd', ARGV[4], 'user', ARGV[5])
` + luaExpireAtExpiry + `
return {0, redis.call('HMGET', KEYS[1], unpack(F))}
`)

// RecordCallback implements oauth.Store.
func (o *OAuthStateStore) RecordCallback(ctx context.Context, state string, cb oauth.Callback, now time.Time) (oauth.State, error) {
	k := o.s.key("oauth", state)
	reply, err := run(o.s, ctx, "oauth record callback", func(ctx context.Context) (any, error) {
		return o.s.script(ctx, recordCallbackScript, k, us(now), cb.Code, cb.Error, cb.ErrorDescription, cb.User)
	})
	if err != nil {
		return oauth.State{}, err
	}
	return stateResult(reply)
}

// consumeStateScript: KEYS[1] state; ARGV: now.
var consumeStateScript = goredis.NewScript(sFields.lua() + luaStateCheck + `
redis.call('HSET', KEYS[1], 'used', ARGV[1])
` + luaExpireAtExpiry + `
return {0, redis.call('HMGET', KEYS[1], unpack(F))}
`)

// Consume implements oauth.Store: one script, so of concurrent
// completions exactly one gets past the state check.
func (o *OAuthStateStore) Consume(ctx context.Context, state string, now time.Time) (oauth.State, error) {
	k := o.s.key("oauth", state)
	reply, err := run(o.s, ctx, "oauth consume state", func(ctx context.Context) (any, error) {
		return o.s.script(ctx, consumeStateScript, k, us(now))
	})
	if err != nil {
		return oauth.State{}, err
	}
	return stateResult(reply)
}

func stateResult(reply any) (oauth.State, error) {
	st, payload, err := statusOf(reply)
	if err != nil {
		return oauth.State{}, errCorrupt("reply", err)
	}
	switch st {
	case sOK:
		vals, found, err := sFields.values(payload)
		if err != nil || !found {
			return oauth.State{}, errCorrupt("reply", fmt.Errorf("record: %v", err))
		}
		return stateOf(vals)
	case sNotFound:
		return oauth.State{}, oauth.ErrNotFound
	case sExpired:
		return oauth.State{}, oauth.ErrStateExpired
	case sUsed:
		return oauth.State{}, oauth.ErrStateUsed
	case sCallback:
		return oauth.State{}, oauth.ErrCallbackRecorded
	}
	return oauth.State{}, errCorrupt("reply", fmt.Errorf("status %d", st))
}
