package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/session"
)

// SessionStore implements session.Store.
//
// A session is one hash "{prefix:sess:<id>}" living until its ExpiresAt, so
// Get, Revoke and ConsumeJTI (the per-request operations) are one command
// or script on one key. RevokeAllForUser needs the user's sessions, which
// live in many slots: each user has an index, a sorted set
// "{prefix:sessu:<user>}" of session ids scored by ExpiresAt. Create adds to
// the index (pipelined with the record, one round trip); RevokeAllForUser
// reads the index, then revokes each listed session with one script per
// session, pipelined (two round trips in all). A session is never left
// unindexed: if indexing fails, Create fails and removes the record. A
// consumed token id is one string key "{prefix:jti:<jti>}" holding its
// expiresAt.
type SessionStore struct{ s *Store }

var _ session.Store = (*SessionStore)(nil)

// ssFields are a session hash's fields, in the order Get reads them. The
// refresh generation ("gen", its grace end "grace") and the inventory
// ("seen", "ua", "ip") live in the same hash, so that Verify's one HMGET
// reads them; a record written before they existed reads as generation 0,
// last seen at creation.
var ssFields = fields{"id", "uid", "env", "cat", "exp", "rev", "gen", "grace", "seen", "ua", "ip"}

func sessionFields(r session.Record) []any {
	if r.LastSeenAt.IsZero() {
		r.LastSeenAt = r.CreatedAt
	}
	return []any{"id", r.ID, "uid", r.UserID, "env", r.EnvironmentID,
		"cat", encTime(r.CreatedAt), "exp", encTime(r.ExpiresAt), "rev", encTime(r.RevokedAt),
		"gen", strconv.FormatUint(r.Generation, 10), "grace", encTime(r.GraceUntil),
		"seen", encTime(r.LastSeenAt), "ua", r.UserAgent, "ip", r.IPPrefix}
}

// sessionOf decodes an HMGET reply of ssFields.
func sessionOf(reply any) (session.Record, bool, error) {
	v, found, err := ssFields.values(reply)
	if err != nil || !found {
		return session.Record{}, found, err
	}
	r := session.Record{ID: v[0], UserID: v[1], EnvironmentID: v[2], UserAgent: v[9], IPPrefix: v[10]}
	for i, dst := range []*time.Time{&r.CreatedAt, &r.ExpiresAt, &r.RevokedAt} {
		if *dst, err = decTime(v[3+i]); err != nil {
			return session.Record{}, true, err
		}
	}
	if v[6] != "" {
		if r.Generation, err = strconv.ParseUint(v[6], 10, 64); err != nil {
			return session.Record{}, true, fmt.Errorf("bad generation %q", v[6])
		}
	}
	if r.GraceUntil, err = decTime(v[7]); err != nil {
		return session.Record{}, true, err
	}
	if r.LastSeenAt, err = decTime(v[8]); err != nil {
		return session.Record{}, true, err
	}
	if r.LastSeenAt.IsZero() {
		r.LastSeenAt = r.CreatedAt
	}
	return r, true, nil
}

// indexSlack is how long after a session's ExpiresAt (by the caller's
// clock) its index entry is kept: pruning only saves memory, and the slack
// keeps a process whose clock runs ahead from unindexing sessions that
// another process still considers live.
const indexSlack = 24 * time.Hour

// indexSessionScript: KEYS[1] the user's index; ARGV: session, expires
// (µs), prune-before (µs), TTL ms. Drops entries that expired before the
// prune time and keeps the index alive as long as its longest-lived
// session.
var indexSessionScript = goredis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 0
`)

// Create implements session.Store.
func (st *SessionStore) Create(ctx context.Context, rec session.Record) error {
	if rec.ID == "" || rec.ExpiresAt.IsZero() {
		// Without ExpiresAt the index entry would be pruned at once and
		// the session would escape RevokeAllForUser.
		return fmt.Errorf("%w: session without id or ExpiresAt", ErrInvalidArgument)
	}
	s := st.s
	rk, ik := s.key("sess", rec.ID), s.key("sessu", rec.UserID)
	ttl := ttlMS(rec.CreatedAt, rec.ExpiresAt)
	ittl := ttlMS(rec.CreatedAt, rec.ExpiresAt.Add(indexSlack))
	args := append([]any{ttl}, sessionFields(rec)...)
	created, err := run(s, ctx, "session create", func(ctx context.Context) (int64, error) {
		var index, create *goredis.Cmd
		// The index entry goes first: a stray entry (from a failed or
		// refused Create) is harmless, as revocation checks the owner.
		_, _ = s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			index = indexSessionScript.EvalSha(ctx, p, []string{ik}, rec.ID, us(rec.ExpiresAt), us(rec.CreatedAt.Add(-indexSlack)), ittl)
			create = createScript.EvalSha(ctx, p, []string{rk}, args...)
			return nil
		})
		if isNoScript(index.Err()) { // first use on this server: load it
			index = indexSessionScript.Run(ctx, s.c, []string{ik}, rec.ID, us(rec.ExpiresAt), us(rec.CreatedAt.Add(-indexSlack)), ittl)
		}
		if err := index.Err(); err != nil {
			if v, _ := create.Int64(); v == 1 {
				// Created but not indexed: remove it, so that no session
				// escapes RevokeAllForUser. Best effort; if this fails too,
				// the caller got an error and never hands out its tokens.
				s.c.Del(context.WithoutCancel(ctx), rk)
			}
			return 0, err
		}
		if isNoScript(create.Err()) {
			create = createScript.Run(ctx, s.c, []string{rk}, args...)
		}
		return create.Int64()
	})
	if err != nil {
		return err
	}
	if created != 1 {
		return session.ErrDuplicate
	}
	return nil
}

func isNoScript(err error) bool {
	return err != nil && goredis.HasErrorPrefix(err, "NOSCRIPT")
}

// Get implements session.Store.
func (st *SessionStore) Get(ctx context.Context, id string) (session.Record, error) {
	k := st.s.key("sess", id)
	reply, err := run(st.s, ctx, "session get", func(ctx context.Context) ([]any, error) {
		return st.s.c.HMGet(ctx, k, ssFields...).Result()
	})
	if err != nil {
		return session.Record{}, err
	}
	r, found, err := sessionOf(reply)
	if err != nil {
		return session.Record{}, errCorrupt("session", err)
	}
	if !found {
		return session.Record{}, session.ErrNotFound
	}
	return r, nil
}

// revokeScript: KEYS[1] session; ARGV: now, and optionally the user the
// session must belong to. Returns -1 not found (or another user's), 1
// revoked now, 0 already revoked.
var revokeScript = goredis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'uid', 'rev')
if not r[1] then return -1 end
if ARGV[2] and r[1] ~= ARGV[2] then return -1 end
if r[2] ~= '' then return 0 end
redis.call('HSET', KEYS[1], 'rev', ARGV[1])
return 1
`)

// Revoke implements session.Store.
func (st *SessionStore) Revoke(ctx context.Context, id string, now time.Time) error {
	k := st.s.key("sess", id)
	reply, err := run(st.s, ctx, "session revoke", func(ctx context.Context) (any, error) {
		return st.s.script(ctx, revokeScript, k, us(now))
	})
	if err != nil {
		return err
	}
	if reply == int64(-1) {
		return session.ErrNotFound
	}
	return nil
}

// listSessionsScript: KEYS[1] the user's index; ARGV: prune-before (µs).
// Drops entries that expired before it and returns the rest.
var listSessionsScript = goredis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
`)

// RevokeAllForUser implements session.Store. It revokes every session of
// the user that exists when it reads the index; a session whose Create
// runs concurrently may or may not be included, as with any backend, and
// one created after it returns is live. On an error some sessions may
// already be revoked; calling it again is safe (and counts only the rest).
func (st *SessionStore) RevokeAllForUser(ctx context.Context, userID string, now time.Time) (int, error) {
	s := st.s
	ik := s.key("sessu", userID)
	return run(s, ctx, "session revoke all", func(ctx context.Context) (int, error) {
		ids, err := listSessionsScript.Run(ctx, s.c, []string{ik}, us(now.Add(-indexSlack))).Slice()
		if err != nil {
			return 0, err
		}
		if len(ids) == 0 {
			return 0, nil
		}
		keys := make([]string, len(ids))
		for i, v := range ids {
			id, ok := v.(string)
			if !ok {
				return 0, errors.New("session index: non-string member")
			}
			keys[i] = s.key("sess", id)
		}
		n, retry := 0, []string(nil)
		cmds, err := s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for _, k := range keys {
				revokeScript.EvalSha(ctx, p, []string{k}, us(now), userID)
			}
			return nil
		})
		for i, c := range cmds {
			cmd := c.(*goredis.Cmd)
			switch {
			case isNoScript(cmd.Err()):
				retry = append(retry, keys[i])
			case cmd.Err() != nil:
				return 0, cmd.Err()
			default:
				if v, _ := cmd.Int64(); v == 1 {
					n++
				}
			}
		}
		if err != nil && len(retry) == 0 {
			return 0, err
		}
		for _, k := range retry {
			v, err := revokeScript.Run(ctx, s.c, []string{k}, us(now), userID).Int64()
			if err != nil {
				return 0, err
			}
			if v == 1 {
				n++
			}
		}
		return n, nil
	})
}

// jtiSkew is how long a consumed token id is kept beyond its expiresAt as
// the consuming host's clock measures it. The decision itself compares the
// stored expiresAt with each caller's now (as every backend does); the key's
// lifetime only has to outlast that, also for a host whose clock lags the
// consuming host's. Without the margin such a host would find the id
// forgotten while it still accepts the token, and a single-use token could
// be used twice.
const jtiSkew = time.Minute

// consumeJTIScript: KEYS[1] the token id; ARGV: now (µs), expiresAt (µs),
// TTL ms. The value is "e<expiresAt µs>". An entry whose expiresAt is not
// before now is live (returns 0, already used); otherwise the id is recorded
// (returns 1). A value in another format (the "1" of earlier versions) is
// live for as long as the key exists.
var consumeJTIScript = goredis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  local e = string.match(v, '^e(-?%d+)$')
  if not e or tonumber(e) >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], 'e' .. ARGV[2], 'PX', ARGV[3])
return 1
`)

// ConsumeJTI implements session.Store: one script, so of concurrent calls
// exactly one records the id. The key lives until expiresAt plus jtiSkew
// (at least a second, so that a token already expired by the caller's clock
// is still refused twice).
func (st *SessionStore) ConsumeJTI(ctx context.Context, jti string, expiresAt, now time.Time) error {
	if jti == "" {
		return fmt.Errorf("%w: empty jti", ErrInvalidArgument)
	}
	k := st.s.key("jti", jti)
	reply, err := run(st.s, ctx, "session consume jti", func(ctx context.Context) (any, error) {
		return st.s.script(ctx, consumeJTIScript, k, us(now), us(expiresAt), ttlMS(now, expiresAt.Add(jtiSkew)))
	})
	if err != nil {
		return err
	}
	switch reply {
	case int64(1):
		return nil
	case int64(0):
		return session.ErrAlreadyUsed
	}
	return errCorrupt("reply", fmt.Errorf("%v", reply))
}

// rotateScript: KEYS[1] session; ARGV: gen, now (µs), grace end (µs),
// gen+1. Returns {-1} for an unknown session, else {status, HMGET of
// ssFields} after the change: status 1 when this call revoked the session
// for reuse, 0 otherwise. Generations are compared as decimal strings, so
// no Lua number rounding is involved.
var rotateScript = goredis.NewScript(ssFields.lua() + `
local r = redis.call('HMGET', KEYS[1], 'id', 'rev', 'exp', 'gen', 'grace', 'seen', 'cat')
if not r[1] then return {-1} end
local now = tonumber(ARGV[2])
local status = 0
if r[2] == '' and tonumber(r[3]) > now then
  local cur = r[4]
  if not cur or cur == '' then cur = '0' end
  if ARGV[1] == cur then
    local seen = r[6]
    if not seen or seen == '' then seen = r[7] end
    seen = tonumber(seen) or 0
    if now > seen then seen = now end
    redis.call('HSET', KEYS[1], 'gen', ARGV[4], 'grace', ARGV[3], 'seen', string.format('%.0f', seen))
  elseif not (ARGV[4] == cur and r[5] and r[5] ~= '' and now < tonumber(r[5])) then
    redis.call('HSET', KEYS[1], 'rev', ARGV[2])
    status = 1
  end
end
return {status, redis.call('HMGET', KEYS[1], unpack(F))}
`)

// Rotate implements session.Store: one script on the session's hash, so
// of concurrent calls exactly one advances the generation.
func (st *SessionStore) Rotate(ctx context.Context, id string, gen uint64, now, graceUntil time.Time) (session.Record, error) {
	next := "overflow" // matches no stored generation: a reuse
	if gen < ^uint64(0) {
		next = strconv.FormatUint(gen+1, 10)
	}
	k := st.s.key("sess", id)
	reply, err := run(st.s, ctx, "session rotate", func(ctx context.Context) (any, error) {
		return st.s.script(ctx, rotateScript, k, strconv.FormatUint(gen, 10), us(now), us(graceUntil), next)
	})
	if err != nil {
		return session.Record{}, err
	}
	status, payload, err := statusOf(reply)
	if err != nil {
		return session.Record{}, errCorrupt("reply", err)
	}
	if status == -1 {
		return session.Record{}, session.ErrNotFound
	}
	r, found, err := sessionOf(payload)
	if err != nil || !found {
		return session.Record{}, errCorrupt("session", fmt.Errorf("rotate reply: %v", err))
	}
	if status == 1 {
		return r, session.ErrRefreshReuse
	}
	return r, nil
}

// touchScript: KEYS[1] session; ARGV: seen (µs). Returns -1 for an
// unknown session, else 1; "seen" only moves forward.
var touchScript = goredis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'id', 'seen')
if not r[1] then return -1 end
if not r[2] or r[2] == '' or tonumber(r[2]) < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'seen', ARGV[1])
end
return 1
`)

// Touch implements session.Store.
func (st *SessionStore) Touch(ctx context.Context, id string, seen time.Time) error {
	k := st.s.key("sess", id)
	reply, err := run(st.s, ctx, "session touch", func(ctx context.Context) (any, error) {
		return st.s.script(ctx, touchScript, k, us(seen))
	})
	if err != nil {
		return err
	}
	if reply == int64(-1) {
		return session.ErrNotFound
	}
	return nil
}

// ListForUser implements session.Store: the user's index (pruned of
// entries long expired), then one pipelined HMGET per listed session: two
// round trips whatever the number of sessions.
func (st *SessionStore) ListForUser(ctx context.Context, userID string, now time.Time) ([]session.Record, error) {
	s := st.s
	ik := s.key("sessu", userID)
	return run(s, ctx, "session list", func(ctx context.Context) ([]session.Record, error) {
		ids, err := listSessionsScript.Run(ctx, s.c, []string{ik}, us(now.Add(-indexSlack))).StringSlice()
		if err != nil || len(ids) == 0 {
			return nil, err
		}
		cmds, err := s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for _, id := range ids {
				p.HMGet(ctx, s.key("sess", id), ssFields...)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		out := make([]session.Record, 0, len(ids))
		for _, c := range cmds {
			r, found, err := sessionOf(c.(*goredis.SliceCmd).Val())
			if err != nil {
				return nil, errCorrupt("session", err)
			}
			// A stray index entry (a refused Create) names a record of
			// another user or none: skip it.
			if found && r.UserID == userID && r.Live(now) {
				out = append(out, r)
			}
		}
		return out, nil
	})
}
