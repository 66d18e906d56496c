package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/ratelimit"
)

// LimiterConfig configures Store.Limiter.
type LimiterConfig struct {
	// Name separates this limiter's keys from other limiters' (for example
	// "sends" and "signin"): limiters with the same Name on the same prefix
	// share their state. Required; it may not contain '{' or '}'.
	Name string
	// Rule is applied to every key. Required (see ratelimit.Rule.Validate).
	Rule ratelimit.Rule
	// Now returns the current time; nil means time.Now. Decisions use this
	// clock, never the Redis server's.
	Now func() time.Time
}

// Limiter is a ratelimit.Limiter shared by every process using the same
// Redis: GCRA, exactly as ratelimit.Memory computes it (see the ratelimit
// package documentation), as one script per decision. Each key's state is
// one string "{prefix:rl:<name>:<key>}" holding its theoretical arrival
// time, which expires when the key is fully refilled. Decisions are exact
// to the nanosecond for windows up to about 100 days (2^53 ns); beyond
// that, Lua's float arithmetic may be off by a few nanoseconds.
type Limiter struct {
	s        *Store
	name     string
	interval int64 // ns
	span     int64 // ns
	now      func() time.Time
}

var _ ratelimit.Limiter = (*Limiter)(nil)

// Limiter returns a ratelimit.Limiter applying cfg.Rule to every key.
func (s *Store) Limiter(cfg LimiterConfig) (*Limiter, error) {
	if cfg.Name == "" {
		return nil, fmt.Errorf("%w: limiter needs a Name", ErrConfig)
	}
	if err := cfg.Rule.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	interval := int64(cfg.Rule.Window) / int64(cfg.Rule.Limit)
	return &Limiter{
		s: s, name: enc(cfg.Name), interval: interval, span: interval * int64(cfg.Rule.Limit),
		now: clock.Or(cfg.Now),
	}, nil
}

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

// Allow implements ratelimit.Limiter: one round trip. On any error no event
// is recorded that the caller could count on, and the caller should fail
// closed.
func (l *Limiter) Allow(ctx context.Context, key string) (ratelimit.Decision, error) {
	now := l.now()
	// The name and key are both encoded (no ':' or braces), so distinct
	// (name, key) pairs give distinct keys.
	k := "{" + l.s.prefix + ":rl:" + l.name + ":" + enc(key) + "}"
	sec, ns := now.Unix(), int64(now.Nanosecond())
	reply, err := run(l.s, ctx, "ratelimit allow", func(ctx context.Context) (any, error) {
		return l.s.script(ctx, gcraScript, k, strconv.FormatInt(sec, 10), strconv.FormatInt(ns, 10), l.interval, l.span)
	})
	if err != nil {
		return ratelimit.Decision{}, err
	}
	arr, ok := reply.([]any)
	if !ok || len(arr) != 2 {
		return ratelimit.Decision{}, errCorrupt("reply", fmt.Errorf("%T", reply))
	}
	v, ok := arr[1].(int64)
	if !ok {
		return ratelimit.Decision{}, errCorrupt("reply", fmt.Errorf("%T", arr[1]))
	}
	if arr[0] == int64(1) {
		return ratelimit.Decision{Allowed: true, Remaining: int(v / l.interval)}, nil
	}
	return ratelimit.Decision{RetryAfter: time.Duration(v)}, nil
}
