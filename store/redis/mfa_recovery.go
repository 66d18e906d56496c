package redis

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/ratelimit"
)

var _ mfa.RecoveryAttempter = (*MFAStore)(nil)

// A user's recovery set is one hash "{prefix:mfa:<user>}:recovery": fields
// "!cat" (CreatedAt), "!ack" (acknowledgement), "!n" (codes left) and one
// field "c<digest>" = "<issue index>:<sealed code>" per unused code, so that
// consuming a code is one HDEL of a field named by its digest. The user's
// recovery-code failures (mfa.RecoveryAttempter) live in the same hash:
// "!fe" their times in the window ("<µs> <µs> …", oldest first), "!fn"
// their lifetime count, each absent when empty, and "!fw" the window they
// were counted under (µs). They outlive the set: replacing it keeps them,
// and DeleteUser removes the set's fields but not these (a deleted and
// re-created user gets no fresh guessing budget), the hash then expiring
// one window later unless it holds a lifetime count; a new set makes it
// persistent again. So the set exists when its "!cat" field does, not
// the key.

func (m *MFAStore) recoveryKey(userID string) string { return m.s.userKey("mfa", userID, "recovery") }

func recoveryFields(set mfa.RecoverySet) []any {
	f := []any{"!cat", encTime(set.CreatedAt), "!ack", string(set.Acknowledgement), "!n", len(set.Codes)}
	for i, c := range set.Codes {
		f = append(f, "c"+string(c.Digest), strconv.Itoa(i)+":"+string(c.Sealed))
	}
	return f
}

func recoveryOf(userID string, h map[string]string) (mfa.RecoverySet, error) {
	set := mfa.RecoverySet{UserID: userID, Acknowledgement: authkit.BackupCodeAcknowledgement(h["!ack"]), Codes: []mfa.RecoveryCodeRecord{}}
	var err error
	if set.CreatedAt, err = decTime(h["!cat"]); err != nil {
		return set, errCorrupt("recovery set", err)
	}
	idx := make([]int, 0, len(h))
	for f, v := range h {
		if !strings.HasPrefix(f, "c") {
			continue
		}
		n, sealed, ok := strings.Cut(v, ":")
		i, err := strconv.Atoi(n)
		if !ok || err != nil {
			return set, errCorrupt("recovery code", fmt.Errorf("bad index"))
		}
		set.Codes = append(set.Codes, mfa.RecoveryCodeRecord{Digest: []byte(f[1:]), Sealed: []byte(sealed)})
		idx = append(idx, i)
	}
	sort.Sort(byIndex{set.Codes, idx})
	return set, nil
}

type byIndex struct {
	codes []mfa.RecoveryCodeRecord
	idx   []int
}

func (b byIndex) Len() int           { return len(b.codes) }
func (b byIndex) Less(i, j int) bool { return b.idx[i] < b.idx[j] }
func (b byIndex) Swap(i, j int) {
	b.codes[i], b.codes[j] = b.codes[j], b.codes[i]
	b.idx[i], b.idx[j] = b.idx[j], b.idx[i]
}

// keepFailuresLua defines keep_failures(key): it deletes the recovery
// hash key but writes its failure fields back (a hash with no TTL), and
// returns them as HMGET does: !fe, !fn, !fw.
const keepFailuresLua = `
local function keep_failures(key)
  local f = redis.call('HMGET', key, '!fe', '!fn', '!fw')
  redis.call('DEL', key)
  if f[1] then redis.call('HSET', key, '!fe', f[1]) end
  if f[2] then redis.call('HSET', key, '!fn', f[2]) end
  if f[3] and (f[1] or f[2]) then redis.call('HSET', key, '!fw', f[3]) end
  return f
end
`

// replaceRecoveryScript: KEYS[1] set; ARGV: field/value pairs. The
// failure fields survive: a new set must not reset the guessing limit.
var replaceRecoveryScript = goredis.NewScript(keepFailuresLua + `
keep_failures(KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV))
return 0
`)

// ReplaceRecoverySet implements mfa.RecoveryStore.
func (m *MFAStore) ReplaceRecoverySet(ctx context.Context, set mfa.RecoverySet) error {
	k := m.recoveryKey(set.UserID)
	args := recoveryFields(set)
	_, err := run(m.s, ctx, "mfa replace recovery set", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, replaceRecoveryScript, k, args...)
	})
	return err
}

// createRecoveryScript: KEYS[1] set; ARGV: field/value pairs. Returns {1}
// when created, else {0, the existing hash}.
var createRecoveryScript = goredis.NewScript(`
if redis.call('HEXISTS', KEYS[1], '!cat') == 1 then return {0, redis.call('HGETALL', KEYS[1])} end
redis.call('HSET', KEYS[1], unpack(ARGV))
redis.call('PERSIST', KEYS[1]) -- failures a DeleteUser left were set to expire
return {1}
`)

// CreateRecoverySet implements mfa.RecoveryStore.
func (m *MFAStore) CreateRecoverySet(ctx context.Context, set mfa.RecoverySet) (mfa.RecoverySet, bool, error) {
	k := m.recoveryKey(set.UserID)
	args := recoveryFields(set)
	reply, err := run(m.s, ctx, "mfa create recovery set", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, createRecoveryScript, k, args...)
	})
	if err != nil {
		return mfa.RecoverySet{}, false, err
	}
	st, payload, err := statusOf(reply)
	if err != nil {
		return mfa.RecoverySet{}, false, errCorrupt("reply", err)
	}
	if st == 1 {
		out := set
		out.Codes = make([]mfa.RecoveryCodeRecord, len(set.Codes))
		for i, c := range set.Codes {
			out.Codes[i] = mfa.RecoveryCodeRecord{Digest: append([]byte(nil), c.Digest...), Sealed: append([]byte(nil), c.Sealed...)}
		}
		return out, true, nil
	}
	h, err := hashOf(payload)
	if err != nil {
		return mfa.RecoverySet{}, false, errCorrupt("reply", err)
	}
	cur, err := recoveryOf(set.UserID, h)
	return cur, false, err
}

// GetRecoverySet implements mfa.RecoveryStore.
func (m *MFAStore) GetRecoverySet(ctx context.Context, userID string) (mfa.RecoverySet, error) {
	k := m.recoveryKey(userID)
	h, err := run(m.s, ctx, "mfa get recovery set", func(ctx context.Context) (map[string]string, error) {
		return m.s.c.HGetAll(ctx, k).Result()
	})
	if err != nil {
		return mfa.RecoverySet{}, err
	}
	if _, ok := h["!cat"]; !ok {
		return mfa.RecoverySet{}, mfa.ErrNotFound
	}
	return recoveryOf(userID, h)
}

// consumeRecoveryScript: KEYS[1] set; ARGV: field of the code. Returns the
// codes left, or -1 when there is no such code.
var consumeRecoveryScript = goredis.NewScript(`
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[1], '!n', -1)
`)

// ConsumeRecoveryCode implements mfa.RecoveryStore. The code is found by
// its keyed digest (the field name): nothing secret is compared.
func (m *MFAStore) ConsumeRecoveryCode(ctx context.Context, userID string, digest []byte) (int, error) {
	k := m.recoveryKey(userID)
	reply, err := run(m.s, ctx, "mfa consume recovery code", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, consumeRecoveryScript, k, "c"+string(digest))
	})
	if err != nil {
		return 0, err
	}
	n, ok := reply.(int64)
	if !ok {
		return 0, errCorrupt("reply", fmt.Errorf("%T", reply))
	}
	if n < 0 {
		return 0, mfa.ErrNotFound
	}
	return int(n), nil
}

// attemptRecoveryScript is mfa.RecoveryAttempter's one step: KEYS[1] set;
// ARGV: now, window, cooldown (all µs; a window of 0 for a Lifetime cap
// alone), limit, lifetime (0: none), then the candidate fields, newest
// key first. It keeps the failures that are still in the window, decides
// with sliding_wait (and the Lifetime cap), and only if allowed removes
// the first candidate present or else records a failure at now. Returns
// {-1} without a set, {0, wait µs} when refused (0: the Lifetime cap),
// {1, codes left, failures in the window, lifetime count} when a code
// was used, {2, failures in the window, lifetime count} for a counted
// failure. A refusal or a success writes no failure field.
var attemptRecoveryScript = goredis.NewScript(slidingWaitLua + `
if redis.call('HEXISTS', KEYS[1], '!cat') == 0 then return {-1} end
local now, win, cd0, lim = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local life = tonumber(ARGV[5])
local f = redis.call('HMGET', KEYS[1], '!fe', '!fn')
local total = tonumber(f[2] or '0')
if life > 0 and total >= life then return {0, 0} end
local s = {}
for v in string.gmatch(f[1] or '', '%S+') do
  local t = tonumber(v)
  if t > now - win then s[#s + 1] = t end
end
local n = #s
local wait = sliding_wait(s, n, now, win, cd0, lim)
if wait > 0 then return {0, wait} end
for i = 6, #ARGV do
  if redis.call('HDEL', KEYS[1], ARGV[i]) == 1 then
    return {1, redis.call('HINCRBY', KEYS[1], '!n', -1), n, total}
  end
end
if win > 0 then
  local i = n + 1
  while i > 1 and s[i - 1] > now do s[i] = s[i - 1]; i = i - 1 end
  s[i] = now
  for j = 1, #s do s[j] = string.format('%.0f', s[j]) end
  redis.call('HSET', KEYS[1], '!fe', table.concat(s, ' '), '!fw', win)
end
if life > 0 then total = redis.call('HINCRBY', KEYS[1], '!fn', 1) end
return {2, #s, total}
`)

// AttemptRecoveryCode implements mfa.RecoveryAttempter: the failure limit,
// the consume and the failure count are one script on the user's set, one
// round trip. now is read once, before it.
func (m *MFAStore) AttemptRecoveryCode(ctx context.Context, userID string, digests [][]byte, rule ratelimit.Rule, now func() time.Time) (int, ratelimit.Decision, error) {
	if !rule.Sliding {
		return 0, ratelimit.Decision{}, fmt.Errorf("%w: AttemptRecoveryCode needs a Sliding rule", ratelimit.ErrInvalidRule)
	}
	if err := rule.Validate(); err != nil {
		return 0, ratelimit.Decision{}, err
	}
	k := m.recoveryKey(userID)
	// The fields are copies: digests is the caller's buffer, and a command
	// left to finish in the background (see run) may still be writing.
	args := make([]any, 5, 5+len(digests))
	args[0], args[1], args[2], args[3], args[4] = us(clock.Or(now)()), durUS(rule.Window), durUS(rule.Cooldown), rule.Limit, rule.Lifetime
	for _, d := range digests {
		args = append(args, "c"+string(d))
	}
	reply, err := run(m.s, ctx, "mfa attempt recovery code", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, attemptRecoveryScript, k, args...)
	})
	if err != nil {
		return 0, ratelimit.Decision{}, err
	}
	v, ok := ints(reply)
	if !ok || len(v) == 0 {
		return 0, ratelimit.Decision{}, errCorrupt("reply", fmt.Errorf("%v", reply))
	}
	switch {
	case v[0] == -1 && len(v) == 1:
		return 0, ratelimit.Decision{Allowed: true}, mfa.ErrNotFound
	case v[0] == 0 && len(v) == 2:
		return 0, ratelimit.Decision{RetryAfter: time.Duration(v[1]) * time.Microsecond}, nil
	case v[0] == 1 && len(v) == 4:
		return int(v[1]), ratelimit.Decision{Allowed: true, Remaining: rule.Remaining(int(v[2]), int(v[3]))}, nil
	case v[0] == 2 && len(v) == 3:
		return 0, ratelimit.Decision{Allowed: true, Remaining: rule.Remaining(int(v[1]), int(v[2]))}, mfa.ErrNotFound
	}
	return 0, ratelimit.Decision{}, errCorrupt("reply", fmt.Errorf("%v", reply))
}

// ints is a script's reply of integers.
func ints(reply any) ([]int64, bool) {
	arr, ok := reply.([]any)
	if !ok {
		return nil, false
	}
	v := make([]int64, len(arr))
	for i, x := range arr {
		if v[i], ok = x.(int64); !ok {
			return nil, false
		}
	}
	return v, true
}

// ResetRecoveryFailures implements mfa.RecoveryAttempter: one HDEL of the
// failure fields (a hash left with none is gone).
func (m *MFAStore) ResetRecoveryFailures(ctx context.Context, userID string) error {
	k := m.recoveryKey(userID)
	_, err := run(m.s, ctx, "mfa reset recovery failures", func(ctx context.Context) (int64, error) {
		return m.s.c.HDel(ctx, k, "!fe", "!fn", "!fw").Result()
	})
	return err
}

// setAckScript: KEYS[1] set; ARGV: state. Returns 0 when there is no set.
var setAckScript = goredis.NewScript(`
if redis.call('HEXISTS', KEYS[1], '!cat') == 0 then return 0 end
redis.call('HSET', KEYS[1], '!ack', ARGV[1])
return 1
`)

// SetAcknowledgement implements mfa.RecoveryStore.
func (m *MFAStore) SetAcknowledgement(ctx context.Context, userID string, state authkit.BackupCodeAcknowledgement) error {
	k := m.recoveryKey(userID)
	reply, err := run(m.s, ctx, "mfa set acknowledgement", func(ctx context.Context) (any, error) {
		return m.s.script(ctx, setAckScript, k, string(state))
	})
	if err != nil {
		return err
	}
	if reply != int64(1) {
		return mfa.ErrNotFound
	}
	return nil
}
