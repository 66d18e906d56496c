package redis

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/internal/limitrule"
)

// ErrUnavailable wraps every failure to reach Redis or to run a command
// (connection refused or cut, timeout, canceled context, a script error).
// The underlying error stays reachable: errors.Is(err,
// context.DeadlineExceeded) holds when a deadline ran out. Callers must treat
// it as "no decision" and fail closed; the store never reports success for an
// operation that returned it. It wraps authkit.ErrStoreUnavailable.
var ErrUnavailable = fmt.Errorf("redis: %w", authkit.ErrStoreUnavailable)

// ErrConfig is returned by New and Store.Limiter for an invalid
// configuration: a nil client, a prefix with a brace, a limiter without a
// name or with an invalid rule.
var ErrConfig = errors.New("redis: invalid config")

// ErrInvalidArgument is returned, before anything is sent, for arguments the
// store cannot keep safely: a session without an id or an ExpiresAt, an
// empty jti, user id or challenge digest.
var ErrInvalidArgument = errors.New("redis: invalid argument")

// DefaultPrefix is the key prefix used when Options.Prefix is empty.
const DefaultPrefix = "authkit"

// Options configures New.
type Options struct {
	// Prefix namespaces every key the store writes: keys look like
	// "{<Prefix>:v:<id>}". It must not contain '{' or '}' (they would break
	// the hash tags that keep each record in one Cluster slot). Empty means
	// DefaultPrefix. Give each deployment sharing one Redis its own prefix.
	Prefix string
	// Now is the clock of the rate limiters made by Store.Limiter whose
	// LimiterConfig.Now is nil (the other stores take the time as an
	// argument). nil means time.Now.
	Now func() time.Time
}

// Store keeps every authkit record in Redis. Its accessors return values
// that implement the store interfaces of the packages verification, mfa,
// session, oauth, account, passkey and devicebind; Limiter returns a
// ratelimit.Counter (Store is a ratelimit.Backend). A Store is safe for
// concurrent use and holds no state of its own besides the client and the
// rule of each limiter name it handed out.
type Store struct {
	c      goredis.UniversalClient
	prefix string
	// ctxAware is true when the client itself bounds socket I/O by the
	// context's deadline (ContextTimeoutEnabled); otherwise the store
	// enforces the deadline (see run).
	ctxAware bool
	now      func() time.Time
	rules    limitrule.Registry // limiter names handed out (Limiter)
}

// New returns a Store on client, which the host creates (goredis.NewClient,
// NewClusterClient, NewFailoverClient or NewUniversalClient) and closes.
// For the context deadline to bound the socket reads themselves, create the
// client with ContextTimeoutEnabled: true; without it the Store still returns
// when the context is done, leaving the command to finish in the background.
func New(client goredis.UniversalClient, opts Options) (*Store, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil client", ErrConfig)
	}
	p := opts.Prefix
	if p == "" {
		p = DefaultPrefix
	}
	if strings.ContainsAny(p, "{}") {
		return nil, fmt.Errorf("%w: prefix %q contains a brace", ErrConfig, p)
	}
	s := &Store{c: client, prefix: p, now: clock.Or(opts.Now)}
	switch c := client.(type) {
	case *goredis.Client:
		s.ctxAware = c.Options().ContextTimeoutEnabled
	case *goredis.ClusterClient:
		s.ctxAware = c.Options().ContextTimeoutEnabled
	}
	return s, nil
}

// Prefix returns the key prefix in use.
func (s *Store) Prefix() string { return s.prefix }

// Verifications returns the verification.Store.
func (s *Store) Verifications() *VerificationStore { return &VerificationStore{s: s} }

// MFA returns the mfa.Store.
func (s *Store) MFA() *MFAStore { return &MFAStore{s: s} }

// Sessions returns the session.Store.
func (s *Store) Sessions() *SessionStore { return &SessionStore{s: s} }

// OAuthStates returns the oauth.Store.
func (s *Store) OAuthStates() *OAuthStateStore { return &OAuthStateStore{s: s} }

// maxIDLen is the longest identifier used in a key as is; longer ones are
// replaced by their SHA-256, so a caller cannot make keys arbitrarily long.
const maxIDLen = 128

// enc turns an identifier into a key component that contains no ':', '{'
// or '}' and is distinct for distinct identifiers: identifiers made only of
// [A-Za-z0-9._@+-] (UUIDs, hex digests, most emails) are kept as they are,
// anything else becomes "~" + base64url, and long ones "#" + base64url of
// their SHA-256. The markers cannot start a kept identifier.
func enc(id string) string {
	if len(id) > maxIDLen {
		sum := sha256.Sum256([]byte(id))
		return "#" + base64.RawURLEncoding.EncodeToString(sum[:])
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '_' || c == '@' || c == '+' || c == '-') {
			return "~" + base64.RawURLEncoding.EncodeToString([]byte(id))
		}
	}
	if id == "" {
		return "~"
	}
	return id
}

// key returns the key of one record: the whole name is the hash tag, so a
// record's key always maps to one Cluster slot.
func (s *Store) key(kind, id string) string {
	return "{" + s.prefix + ":" + kind + ":" + enc(id) + "}"
}

// userKey returns a key hash-tagged by a user id, for data spanning several
// records of one user (MFA devices, recovery codes) kept under one key.
func (s *Store) userKey(kind, userID, suffix string) string {
	return "{" + s.prefix + ":" + kind + ":" + enc(userID) + "}:" + suffix
}

// Times are stored as whole microseconds since the Unix epoch (exact in a
// Lua number until the year 2255, the precision Postgres keeps too); the
// zero time is stored as "". Sub-microsecond parts are dropped, which can
// only make a record expire earlier, never later.
func encTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

func decTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q", s)
	}
	return time.UnixMicro(n).UTC(), nil
}

// us formats a time or duration in microseconds for a script argument.
func us(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

func durUS(d time.Duration) string { return strconv.FormatInt(d.Microseconds(), 10) }

// minTTL is the shortest lifetime given to a key, used when a record's end
// is already past by the caller's clock: the record still exists long
// enough for concurrent calls to see it (fail closed), then goes.
const minTTL = time.Second

// ttlMS returns the lifetime of a record ending at end, seen at now (both by
// the caller's clock), in whole milliseconds rounded up, at least minTTL.
// Keys get relative TTLs (PEXPIRE) rather than PEXPIREAT of the absolute
// end: the absolute times are in the caller's clock, which may differ from
// the Redis server's (and in tests is a fixed date), whereas a duration
// means the same on both. Expiry decisions never depend on the TTL: scripts
// compare the record's absolute times with the now passed in; the TTL only
// reclaims memory once a record can no longer matter.
func ttlMS(now, end time.Time) int64 {
	d := end.Sub(now)
	if d < minTTL {
		d = minTTL
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// run calls fn and returns its result, or ctx's error as soon as ctx is
// done. When the client bounds its socket I/O by the context itself (or the
// context can never be done), fn runs directly; otherwise it runs in a
// goroutine that is abandoned when ctx ends first (the command then finishes
// or times out in the background, and its result is dropped: an operation
// whose outcome is unknown is reported as failed, never as accepted).
func run[T any](s *Store, ctx context.Context, op string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, s.fail(ctx, op, err)
	}
	if s.ctxAware || ctx.Done() == nil {
		v, err := fn(ctx)
		if err != nil {
			return zero, s.fail(ctx, op, err)
		}
		return v, nil
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn(ctx)
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return zero, s.fail(ctx, op, r.err)
		}
		return r.v, nil
	case <-ctx.Done():
		return zero, s.fail(ctx, op, ctx.Err())
	}
}

// fail wraps a backend error in ErrUnavailable, keeping the context's error
// visible too when the context is done (go-redis may report a deadline as a
// network timeout).
func (s *Store) fail(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %s: %w (%w)", ErrUnavailable, op, cerr, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}

// errCorrupt reports a stored value this package cannot read; it is
// returned wrapped in ErrUnavailable (no decision can be made).
func errCorrupt(what string, err error) error {
	return fmt.Errorf("%w: corrupt %s: %v", ErrUnavailable, what, err)
}

// script runs sc on one key with EVALSHA, loading it on a miss (EVAL, which
// also caches it on that node).
func (s *Store) script(ctx context.Context, sc *goredis.Script, key string, args ...any) (any, error) {
	return sc.Run(ctx, s.c, []string{key}, args...).Result()
}

// hashOf turns a flat HGETALL-style reply ([]any of field, value, …) into a
// map; nil when the reply is empty.
func hashOf(v any) (map[string]string, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("reply is %T, want an array", v)
	}
	if len(arr) == 0 {
		return nil, nil
	}
	if len(arr)%2 != 0 {
		return nil, errors.New("odd field list")
	}
	m := make(map[string]string, len(arr)/2)
	for i := 0; i < len(arr); i += 2 {
		k, ok1 := arr[i].(string)
		val, ok2 := arr[i+1].(string)
		if !ok1 || !ok2 {
			return nil, errors.New("non-string field")
		}
		m[k] = val
	}
	return m, nil
}

// statusOf splits a script reply {status, payload} into the status and the
// payload (nil when the script returned none).
func statusOf(v any) (int64, any, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return 0, nil, fmt.Errorf("reply is %T, want a status array", v)
	}
	st, ok := arr[0].(int64)
	if !ok {
		return 0, nil, fmt.Errorf("status is %T", arr[0])
	}
	if len(arr) < 2 {
		return st, nil, nil
	}
	return st, arr[1], nil
}

// fields names a record's hash fields in a fixed order: scripts and reads
// return HMGET replies, decoded by position without a map per call. The
// first field is present in every stored record.
type fields []string

// lua returns the script prelude "local F = {'a','b',…}" (field names are
// fixed identifiers, never user data).
func (f fields) lua() string {
	var b strings.Builder
	b.WriteString("local F = {")
	for i, n := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("'" + n + "'")
	}
	b.WriteString("}\n")
	return b.String()
}

// values converts an HMGET reply of f; found is false when the record does
// not exist (its first field is missing). Missing fields read as "".
func (f fields) values(v any) (vals []string, found bool, err error) {
	arr, ok := v.([]any)
	if !ok || len(arr) != len(f) {
		return nil, false, fmt.Errorf("reply is %T of %d, want %d values", v, len(arr), len(f))
	}
	if arr[0] == nil {
		return nil, false, nil
	}
	vals = make([]string, len(arr))
	for i, x := range arr {
		if x == nil {
			continue
		}
		s, ok := x.(string)
		if !ok {
			return nil, false, fmt.Errorf("value is %T", x)
		}
		vals[i] = s
	}
	return vals, true, nil
}

// luaLib is prepended to scripts that need it.
//
// Redis runs scripts under the server's LC_COLLATE, so Lua's string '<' may
// not be bytewise; ids and decimal strings are compared with these helpers.
const luaLib = `
local function bytes_lt(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
-- Decimal strings without leading zeros (uint64 steps) compared exactly.
local function dec_gt(a, b)
  if #a ~= #b then return #a > #b end
  return bytes_lt(b, a)
end
`
