package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/ratelimit"
)

// Limiter is a ratelimit.Counter shared by every process using the same
// Redis, deciding exactly as ratelimit.Memory does (see the ratelimit
// package documentation), one script per call. A key's state lives under
// "{prefix:rl:<name>:<key>}": for GCRA one string holding its theoretical
// arrival time, for a Sliding rule a sorted set of its events (scored in
// microseconds) and, for a Lifetime cap, a counter "…}:lt" that never
// expires; each goes when the key equals an unseen one. GCRA
// decisions are exact to the nanosecond for windows up to about 100 days
// (2^53 ns); sliding ones to the microsecond.
type Limiter struct {
	s        *Store
	name     string
	rule     ratelimit.Rule
	interval int64 // GCRA: ns per event
	span     int64 // GCRA: interval × Limit, ns
	now      func() time.Time
}

var (
	_ ratelimit.Counter = (*Limiter)(nil)
	_ ratelimit.Backend = (*Store)(nil)
)

// Limiter implements ratelimit.Backend: a limiter applying cfg.Rule to
// every key under cfg.Name. Limiters with different names never share
// keys; processes that should share a limit use the same name and rule.
// The clock is cfg.Now, else Options.Now.
//
// A name this Store already handed out with another Rule is an error
// wrapping ErrConfig and ratelimit.ErrConfig, as with
// ratelimit.MemoryBackend: two rules would count one set of keys. The
// stored keys do not record their rule, so two processes (or two Store
// values) giving one name different rules are not caught.
func (s *Store) Limiter(cfg ratelimit.LimiterConfig) (ratelimit.Counter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := s.rules.Claim(cfg.Name, cfg.Rule); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	l := &Limiter{s: s, name: enc(cfg.Name), rule: cfg.Rule, now: clock.Or(cfg.Now)}
	if cfg.Now == nil {
		l.now = s.now
	}
	if !cfg.Rule.Sliding {
		l.interval = int64(cfg.Rule.Window) / int64(cfg.Rule.Limit)
		l.span = l.interval * int64(cfg.Rule.Limit)
	}
	return l, nil
}

// key is the key's state; the name and key are both encoded (no ':' or
// braces), so distinct (name, key) pairs give distinct keys.
func (l *Limiter) key(key string) string {
	return "{" + l.s.prefix + ":rl:" + l.name + ":" + enc(key) + "}"
}

// refundMark is the key remembering the last refund applied (same slot):
// go-redis re-sends a command whose reply was lost, and the repeat must not
// give back a second event.
func refundMark(k string) string { return k + ":rf" }

// lifetimeKey is the key holding a sliding key's lifetime count (same
// slot); it has no TTL, as no window ends it, and is deleted at 0.
func lifetimeKey(k string) string { return k + ":lt" }

// gcraScript: KEYS[1] the key's TAT; ARGV: now (whole seconds), now (ns
// within the second), interval (ns), span (ns).
//
// Unix nanoseconds (~1.8e18) do not fit a Lua number exactly, so the TAT is
// stored as "<seconds>:<ns offset>" and only differences, which stay below
// 2^53 ns (104 days), are computed. Returns {1, span − (next − now)} when
// allowed (the caller derives Remaining), {0, RetryAfter ns} when denied.
var gcraScript = goredis.NewScript(`
local nows, nowns = tonumber(ARGV[1]), tonumber(ARGV[2])
local interval, span = tonumber(ARGV[3]), tonumber(ARGV[4])
local d = 0
local v = redis.call('GET', KEYS[1])
if v then
  local sec, off = string.match(v, '^(-?%d+):(%d+)$')
  if sec then d = (tonumber(sec) - nows) * 1e9 + tonumber(off) - nowns end
  if d < 0 then d = 0 end
end
local nextd = d + interval
if nextd > span then return {0, nextd - span} end
redis.call('SET', KEYS[1], string.format('%d:%.0f', nows, nowns + nextd), 'PX', math.ceil(nextd / 1e6))
return {1, span - nextd}
`)

// slidingWaitLua is Rule.slidingWait in Lua, the one copy that every
// sliding script here starts with: sliding_wait(s, n, now, win, cd0, lim)
// returns how long after now an event is allowed, given the n events s
// still in the window at now (oldest first, all > now − win), the window,
// the first cooldown (all µs) and the limit (0: none); 0 if one is
// allowed at now. The Lifetime cap is the caller's: it needs no events.
const slidingWaitLua = `
local function sliding_wait(s, n, now, win, cd0, lim)
  if win == 0 then return 0 end
  local function cooldown(m)
    local cd, i = cd0, 1
    while i < m and cd > 0 and cd < win do cd = cd * 2; i = i + 1 end
    return cd
  end
  for k = 0, n do
    local from = now
    if k > 0 and s[k] + win > from then from = s[k] + win end
    local m = n - k
    if m == 0 then return from - now end
    if not (lim > 0 and m >= lim) then
      local t = s[n] + cooldown(m)
      if t < from then t = from end
      if t < s[k + 1] + win then return t - now end
    end
  end
  return 0
end
`

// slidingScript is ratelimit's sliding-window rule on a key. KEYS[1] the
// key's events, KEYS[2] its lifetime count; ARGV: now, window, cooldown
// (all µs; a window of 0 for a Lifetime cap alone), limit, lifetime (0:
// none), member. It drops the events that left the window, computes the
// wait (sliding_wait), and records the event only when the wait is zero.
// Returns {1, events in the window, lifetime count} when allowed, {0, wait
// µs} when denied (wait 0: the Lifetime cap).
var slidingScript = goredis.NewScript(slidingWaitLua + `
local now, win, cd0, lim = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local life = tonumber(ARGV[5])
local total = 0
if life > 0 then
  total = tonumber(redis.call('GET', KEYS[2]) or '0')
  if total >= life then return {0, 0} end
end
local n = 0
if win > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
  local raw = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  local s = {}
  for i = 2, #raw, 2 do s[#s + 1] = tonumber(raw[i]) end
  n = #s
  local wait = sliding_wait(s, n, now, win, cd0, lim)
  if wait > 0 then return {0, wait} end
  redis.call('ZADD', KEYS[1], now, ARGV[6])
  local last = now
  if n > 0 and s[n] > last then last = s[n] end
  redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((last + win - now) / 1000)))
  n = n + 1
end
if life > 0 then total = redis.call('INCR', KEYS[2]) end
return {1, n, total}
`)

// Allow implements ratelimit.Limiter: one round trip. On any error no event
// is recorded that the caller could count on, and the caller should fail
// closed.
func (l *Limiter) Allow(ctx context.Context, key string) (ratelimit.Decision, error) {
	now := l.now()
	k := l.key(key)
	var reply any
	var err error
	if l.rule.Sliding {
		// Members must be distinct even for events at the same µs; a
		// re-sent script repeats its member and so records nothing twice.
		var nonce [8]byte
		if _, err := rand.Read(nonce[:]); err != nil {
			return ratelimit.Decision{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		member := us(now) + ":" + hex.EncodeToString(nonce[:])
		reply, err = run(l.s, ctx, "ratelimit allow", func(ctx context.Context) (any, error) {
			return slidingScript.Run(ctx, l.s.c, []string{k, lifetimeKey(k)}, us(now), durUS(l.rule.Window),
				durUS(l.rule.Cooldown), l.rule.Limit, l.rule.Lifetime, member).Result()
		})
	} else {
		sec, ns := now.Unix(), int64(now.Nanosecond())
		reply, err = run(l.s, ctx, "ratelimit allow", func(ctx context.Context) (any, error) {
			return l.s.script(ctx, gcraScript, k, strconv.FormatInt(sec, 10), strconv.FormatInt(ns, 10), l.interval, l.span)
		})
	}
	if err != nil {
		return ratelimit.Decision{}, err
	}
	arr, ok := reply.([]any)
	if !ok || len(arr) < 2 {
		return ratelimit.Decision{}, errCorrupt("reply", fmt.Errorf("%T", reply))
	}
	v, ok := arr[1].(int64)
	if !ok {
		return ratelimit.Decision{}, errCorrupt("reply", fmt.Errorf("%T", arr[1]))
	}
	switch {
	case arr[0] != int64(1) && l.rule.Sliding:
		return ratelimit.Decision{RetryAfter: time.Duration(v) * time.Microsecond}, nil
	case arr[0] != int64(1):
		return ratelimit.Decision{RetryAfter: time.Duration(v)}, nil
	case !l.rule.Sliding:
		return ratelimit.Decision{Allowed: true, Remaining: int(v / l.interval)}, nil
	}
	total, ok := arr[len(arr)-1].(int64)
	if !ok || len(arr) != 3 {
		return ratelimit.Decision{}, errCorrupt("reply", fmt.Errorf("%v", arr))
	}
	return ratelimit.Decision{Allowed: true, Remaining: l.rule.Remaining(int(v), int(total))}, nil
}

// refundGCRAScript: KEYS[1] the key's TAT, KEYS[2] its refund mark; ARGV:
// now (s), now (ns within the second), interval (ns), refund id. The TAT
// goes back one interval; at or before now the key is deleted (unseen).
var refundGCRAScript = goredis.NewScript(`
if redis.call('GET', KEYS[2]) == ARGV[4] then return 0 end
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local sec, off = string.match(v, '^(-?%d+):(%d+)$')
if not sec then return 0 end
local nows, nowns = tonumber(ARGV[1]), tonumber(ARGV[2])
local d = (tonumber(sec) - nows) * 1e9 + tonumber(off) - nowns - tonumber(ARGV[3])
if d <= 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], string.format('%d:%.0f', nows, nowns + d), 'PX', math.ceil(d / 1e6))
end
redis.call('SET', KEYS[2], ARGV[4], 'PX', 60000)
return 1
`)

// refundSlidingScript: KEYS[1] the key's events, KEYS[2] its lifetime
// count, KEYS[3] its refund mark; ARGV: now, window (µs), refund id. Drops
// the newest event if it is still in the window, and one from the
// lifetime count (deleted at 0).
var refundSlidingScript = goredis.NewScript(`
if redis.call('GET', KEYS[3]) == ARGV[3] then return 0 end
local win = tonumber(ARGV[2])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #top > 0 and (win == 0 or tonumber(top[2]) > tonumber(ARGV[1]) - win) then
  redis.call('ZREM', KEYS[1], top[1])
end
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if n <= 1 then redis.call('DEL', KEYS[2]) else redis.call('DECR', KEYS[2]) end
redis.call('SET', KEYS[3], ARGV[3], 'PX', 60000)
return 1
`)

// Refund implements ratelimit.Counter: one round trip. Each call carries a
// random id, so that a retry of the same command by go-redis is a no-op.
func (l *Limiter) Refund(ctx context.Context, key string) error {
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	rf := hex.EncodeToString(id[:])
	now := l.now()
	k := l.key(key)
	_, err := run(l.s, ctx, "ratelimit refund", func(ctx context.Context) (any, error) {
		if l.rule.Sliding {
			return refundSlidingScript.Run(ctx, l.s.c, []string{k, lifetimeKey(k), refundMark(k)}, us(now), durUS(l.rule.Window), rf).Result()
		}
		return refundGCRAScript.Run(ctx, l.s.c, []string{k, refundMark(k)}, strconv.FormatInt(now.Unix(), 10),
			strconv.FormatInt(int64(now.Nanosecond()), 10), l.interval, rf).Result()
	})
	return err
}

// Reset implements ratelimit.Counter: one DEL (one slot).
func (l *Limiter) Reset(ctx context.Context, key string) error {
	k := l.key(key)
	_, err := run(l.s, ctx, "ratelimit reset", func(ctx context.Context) (int64, error) {
		return l.s.c.Del(ctx, k, lifetimeKey(k), refundMark(k)).Result()
	})
	return err
}

// Limiter implements mfa.Store: Store.Limiter, so MFA failures are counted
// by limiter keys like every other limit.
func (m *MFAStore) Limiter(cfg ratelimit.LimiterConfig) (ratelimit.Counter, error) {
	return m.s.Limiter(cfg)
}
