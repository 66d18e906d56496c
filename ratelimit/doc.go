// Package ratelimit decides whether a keyed action may happen now: a code
// send per phone number, a sign-in per IP address, a TOTP attempt per user.
//
// A [Limiter] answers Allow(ctx, key) with a [Decision]: allowed (and how
// many more are left right now) or denied with the exact RetryAfter after
// which the next call for that key will be allowed. [Decision.Err] turns a
// denial into a *[LimitedError], which matches [ErrLimited] with errors.Is
// and carries RetryAfter for an HTTP Retry-After header.
//
// A [Rule] is "Limit events per Window", written "100/m", "5/10m" or "3/s"
// ([Parse], [ParseRules] for flags like "create=100/m,signin=300/m").
//
// This package is the one place that counts: verification's send limits and
// mfa's failure limits are limiters of this package too, handed out by the
// host's store, or a [Log] an in-memory store keeps in its records. A
// [Counter] (every limiter here is one) can also give an event back
// (Refund: a right code, where only failures count) and forget a key
// (Reset: an administrator's unlock). A [Backend] hands out limiters by
// [LimiterConfig]: [MemoryBackend] in this process, and the Store of
// store/postgres or store/redis, which take the same LimiterConfig, so a
// host swaps one for another without touching the callers. Every denial is
// a *[LimitedError], the module's one error type carrying RetryAfter; other
// packages put their own sentinel in its Err ([Decision.ErrAs]).
//
// # Algorithm: GCRA
//
// [Memory] implements the generic cell rate algorithm (GCRA), the
// virtual-scheduling form of a token bucket. Its whole state per key is one
// number, the theoretical arrival time (TAT):
//
//	T    = Window / Limit           // emission interval
//	span = T * Limit                // burst tolerance (= Window, up to rounding)
//	tat  = max(stored TAT, now)
//	next = tat + T
//	if next - now > span { deny; RetryAfter = next - span - now }   // state unchanged
//	else                 { store next; Remaining = (span - (next-now)) / T }
//
// A fresh key may burst Limit events at once; after that one event is allowed
// every T, and a key left alone for Window is back to a full burst. Denials do
// not consume anything, so a client hammering a limited key does not extend
// its own ban. RetryAfter is exact: retrying at now+RetryAfter succeeds and
// retrying any earlier fails.
//
// GCRA was chosen over a sliding-window log or counters because it is exact,
// needs O(1) memory per key (one int64, against Limit timestamps for a log),
// has no window-boundary burst artefacts, and maps onto a few lines of Redis
// Lua (GET, the arithmetic above, SET with PX = next-now), so a Redis
// [Limiter] can give the same answers; the conformance suite in
// ratelimit/ratelimittest checks any implementation. Like every token bucket
// it lets a key that was idle spend a full burst and then continue at the
// steady rate, so up to about 2×Limit events can fall in one Window: choose
// Limit as the burst you accept.
//
// # Algorithm: sliding-window log
//
// A Rule with Sliding set keeps each key's events in the window instead:
// at most Limit events fall in any span of Window, never a burst beyond,
// and with a Cooldown the wait after the m-th event in the window is
// Cooldown·2^(m−1) (30 s, 60 s, 120 s, …, the doubling stopping at
// Window). A denial gives the exact wait: the earliest time at which both
// the count and the cooldown allow an event, as older events leave the
// window. A Lifetime adds a cap on all events ever counted for the key,
// decided in the same step: no time lowers it, only Refund and Reset do
// (its denials carry no RetryAfter). Costs one
// timestamp per event in the window, so it suits small limits where the
// history matters; GCRA remains the choice for per-IP limits.
//
// A store that holds its records in process memory can keep one key's
// sliding state, a [Log], inside the record it guards and decide with
// [Rule.Attempt] under that record's own lock: the limit, the guarded
// operation and the count are then one step, with no second lock or
// lookup. [Memory] decides on the same Log code. A Log has no encoded
// form: a database-backed store keeps the same state in its own rows or
// keys, deciding with the rule's SQL or Lua port (as store/postgres and
// store/redis do for mfa's recovery failures), or uses a [Backend]
// limiter.
//
// # Memory and concurrency
//
// Keys are spread over sharded mutexes; one key's decisions are serialised,
// so N goroutines racing on one key get exactly the allowed number through.
// A key whose TAT has passed is indistinguishable from an unseen key and is
// dropped by later calls: a few on the caller's shard per call, and now and
// then a few on another shard, so no sweeper goroutine is needed, no call
// pays for a long sweep, and shards that no longer get calls empty too.
//
// [MemoryConfig.MaxKeys] bounds the table (about 110 bytes per key plus the
// key and, for a Sliding rule, 8 bytes per event held; keys over 128 bytes
// are held as their SHA-256). When it is full, the
// key closest to being fully refilled is evicted first, which is the
// eviction that forgives the least. A flood of distinct keys (for example
// spoofed IPs) can still push out a limited key once the table is full, so
// size MaxKeys above the number of keys active in one Window and keep
// per-IP limits as one layer among several (per-destination limits in
// package verification, captcha).
package ratelimit
