package ratelimit

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"sync"
	"time"

	"github.com/authkit/authkit/internal/clock"
)

// DefaultMaxKeys is the key capacity of a [Memory] limiter whose
// MemoryConfig.MaxKeys is zero. One key costs about 110 bytes plus the
// key's length.
const DefaultMaxKeys = 100_000

// evictPerCall bounds how many expired keys one Allow call drops, so no
// single call pays for a long sweep. Each call adds at most one key, so the
// table still shrinks whenever keys expire faster than new ones arrive.
const evictPerCall = 4

// maxKeyLen is the longest key held as is; longer keys are held as their
// SHA-256 digest (32 bytes), which no two real keys share.
const maxKeyLen = 128

// keysPerShard is the target shard size when choosing the shard count.
const keysPerShard = 1024

// maxShards bounds the shard count; more shards than cores buys little.
const maxShards = 64

// MemoryConfig configures [NewMemory].
type MemoryConfig struct {
	// Rule applied to every key. Required.
	Rule Rule
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxKeys bounds the number of keys held; when full, the key closest to
	// being fully refilled is evicted. Zero means DefaultMaxKeys. Because
	// keys are sharded, eviction can start slightly before MaxKeys keys are
	// held in all, but more than MaxKeys are never held.
	MaxKeys int
}

// Memory is an in-memory [Counter] (GCRA, or a sliding-window log for a
// Sliding rule). It is safe for concurrent use. Use one Memory per rule
// (for example one for sends per phone number and one for sign-ins per
// IP), or a [MemoryBackend] that hands them out by name.
type Memory struct {
	rule     Rule
	interval int64 // T in ns (GCRA)
	span     int64 // T*Limit in ns
	now      func() time.Time
	seed     maphash.Seed
	shards   []shard
	mask     uint64
}

type shard struct {
	mu    sync.Mutex
	keys  map[string]*entry
	heap  tatHeap // min-heap on tat: the first entries expire first
	max   int
	calls uint64   // calls on this shard, for the occasional cross-shard sweep
	spare *entry   // an evicted entry kept for reuse, saving an allocation
	_     [24]byte // keep shards on separate cache lines
}

type entry struct {
	key string
	// tat is the theoretical arrival time (GCRA), or for a Sliding rule
	// when the newest event leaves the window (MaxInt64: never); either
	// way, the time from which the key equals an unseen one (unix ns).
	tat   int64
	log   Log // Sliding: the key's events and lifetime count
	index int // position in the heap
}

// ErrConfig is wrapped by every error reporting a bad configuration:
// [NewMemory], [LimiterConfig.Validate] and a [Backend]'s Limiter.
var ErrConfig = errors.New("ratelimit: invalid config")

// NewMemory returns an in-memory limiter applying cfg.Rule to every key.
func NewMemory(cfg MemoryConfig) (*Memory, error) {
	if err := cfg.Rule.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxKeys < 0 {
		return nil, fmt.Errorf("%w: MaxKeys is negative", ErrConfig)
	}
	maxKeys := cfg.MaxKeys
	if maxKeys == 0 {
		maxKeys = DefaultMaxKeys
	}
	n := 1
	for n < maxShards && n*2*keysPerShard <= maxKeys {
		n *= 2
	}
	var interval int64
	if !cfg.Rule.Sliding {
		interval = int64(cfg.Rule.Window) / int64(cfg.Rule.Limit)
	}
	m := &Memory{
		rule:     cfg.Rule,
		interval: interval,
		span:     interval * int64(cfg.Rule.Limit),
		now:      clock.Or(cfg.Now),
		seed:     maphash.MakeSeed(),
		shards:   make([]shard, n),
		mask:     uint64(n - 1),
	}
	for i := range m.shards {
		m.shards[i].keys = make(map[string]*entry)
		m.shards[i].max = maxKeys / n
	}
	return m, nil
}

// Allow implements [Limiter]. The error is non-nil only for a done context.
func (m *Memory) Allow(ctx context.Context, key string) (Decision, error) {
	return m.decide(ctx, key, nil)
}

// decide is Allow, and with a non-nil try, Attempt.
func (m *Memory) decide(ctx context.Context, key string, try func() bool) (Decision, error) {
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	key = shortKey(key)
	i := maphash.String(m.seed, key) & m.mask
	var d Decision
	var calls uint64
	var now int64
	if m.rule.Sliding {
		d, calls, now = m.allowSliding(&m.shards[i], key, try)
	} else {
		now = m.now().UnixNano()
		d, calls = m.allow(&m.shards[i], key, now, try)
	}
	if calls%sweepEvery == 0 && m.mask != 0 && now != noClock {
		// Now and then also drop expired keys of another shard, so that
		// shards which no longer get calls are emptied too. TryLock: never
		// wait for this housekeeping.
		o := &m.shards[(i+calls/sweepEvery)&m.mask]
		if o.mu.TryLock() {
			o.evictExpired(now, sweepEvery*evictPerCall)
			o.mu.Unlock()
		}
	}
	return d, nil
}

// noClock is allowSliding's now when it did not need the clock.
const noClock int64 = math.MinInt64

// shortKey bounds a key's size (MaxKeys bounds their number): a key over
// maxKeyLen bytes is held as its SHA-256.
func shortKey(key string) string {
	if len(key) > maxKeyLen {
		sum := sha256.Sum256([]byte(key))
		return string(sum[:])
	}
	return key
}

// sweepEvery is how many calls on a shard trigger one sweep of another.
const sweepEvery = 16

// allow is decide for a GCRA rule. A non-nil try runs once the event is
// allowed, and the event is recorded only if try reports false.
func (m *Memory) allow(s *shard, key string, now int64, try func() bool) (Decision, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.evictExpired(now, evictPerCall)
	e := s.keys[key]
	tat := now
	if e != nil && e.tat > now {
		tat = e.tat
	}
	next := tat + m.interval
	if next-now > m.span {
		return Decision{RetryAfter: time.Duration(next - m.span - now)}, s.calls
	}
	if try != nil && try() {
		return Decision{Allowed: true, Remaining: int((m.span - (tat - now)) / m.interval)}, s.calls
	}
	d := Decision{Allowed: true, Remaining: int((m.span - (next - now)) / m.interval)}
	if e != nil {
		e.tat = next
		s.heap.fix(e.index)
		return d, s.calls
	}
	s.insert(key, next)
	return d, s.calls
}

// allowSliding is allow for a Sliding rule, decided on the key's Log
// (Rule.attempt). It returns the time it decided at, or noClock: an unseen
// key's first event is always allowed, so an attempt on one that succeeds
// needs neither the clock nor an entry. Allow reads the clock before
// taking the lock, an attempt only once it needs the time.
func (m *Memory) allowSliding(s *shard, key string, try func() bool) (Decision, uint64, int64) {
	now := noClock
	if try == nil {
		now = m.now().UnixNano()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	e := s.keys[key]
	var unseen Log
	if s.spare != nil {
		unseen.events = s.spare.log.events // empty: the array insert hands on
	}
	l := &unseen
	if e != nil {
		l = &e.log
	}
	d, at := m.rule.attempt(l, now, m.now, try)
	if at == noClock {
		return d, s.calls, at
	}
	if e == nil && !unseen.Empty() {
		e = s.insert(key, 0)
		e.log = unseen
	}
	if e != nil {
		e.tat = m.slidingTAT(e)
		s.heap.fix(e.index)
	}
	s.evictExpired(at, evictPerCall)
	return d, s.calls, at
}

// slidingTAT is when a sliding key equals an unseen one: never while it
// has a lifetime count, else when its newest event leaves the window.
func (m *Memory) slidingTAT(e *entry) int64 {
	switch {
	case e.log.total > 0:
		return math.MaxInt64
	case len(e.log.events) == 0:
		return 0
	}
	return e.log.events[len(e.log.events)-1] + int64(m.rule.Window)
}

// Refund implements [Counter]: a GCRA key's TAT goes back one interval; a
// sliding key drops its newest event still in the window, and one from its
// lifetime count.
func (m *Memory) Refund(ctx context.Context, key string) error {
	s, e, err := m.lockKey(ctx, key)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if e == nil {
		return nil
	}
	if m.rule.Sliding {
		m.rule.refund(&e.log, m.now)
		if e.log.Empty() {
			s.remove(e)
			return nil
		}
		e.tat = m.slidingTAT(e)
	} else {
		e.tat -= m.interval
	}
	s.heap.fix(e.index)
	return nil
}

// Reset implements [Counter].
func (m *Memory) Reset(ctx context.Context, key string) error {
	s, e, err := m.lockKey(ctx, key)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if e != nil {
		s.remove(e)
	}
	return nil
}

// lockKey locks key's shard and returns it with the key's entry (nil if
// unseen); the caller unlocks. Nothing is locked for a done context.
func (m *Memory) lockKey(ctx context.Context, key string) (*shard, *entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	key = shortKey(key)
	s := &m.shards[maphash.String(m.seed, key)&m.mask]
	s.mu.Lock()
	return s, s.keys[key], nil
}

// remove drops e from the shard; s.mu held.
func (s *shard) remove(e *entry) {
	s.heap.remove(e.index)
	delete(s.keys, e.key)
	s.keep(e)
}

// keep holds a dropped entry for reuse by the next insert, with its
// event log's array if small, so that a key seen once (such as a reserve
// then refund) costs no allocation; s.mu held.
func (s *shard) keep(e *entry) {
	e.key = ""
	if cap(e.log.events) <= maxSpareEvents {
		e.log.events = e.log.events[:0]
	} else {
		e.log.events = nil
	}
	s.spare = e
}

// maxSpareEvents bounds the event log a kept entry holds on to.
const maxSpareEvents = 16

// insert adds a new key and returns its entry; s.mu held. When the shard
// is full, the key nearest to a full refill (smallest TAT) is evicted
// first.
func (s *shard) insert(key string, tat int64) *entry {
	if len(s.keys) >= s.max {
		old := s.heap.pop()
		delete(s.keys, old.key)
		s.keep(old)
	}
	e := s.spare
	if e != nil {
		s.spare = nil
		e.key, e.tat, e.log.total = key, tat, 0
	} else {
		e = &entry{key: key, tat: tat}
	}
	s.heap.push(e)
	s.keys[key] = e
	return e
}

// evictExpired drops up to n keys whose TAT has passed: their state equals
// that of an unseen key, so forgetting them changes no decision.
func (s *shard) evictExpired(now int64, n int) {
	for ; n > 0 && len(s.heap) > 0 && s.heap[0].tat <= now; n-- {
		old := s.heap.pop()
		delete(s.keys, old.key)
		s.keep(old)
	}
}

// Len reports how many keys are currently held, including expired keys not
// yet dropped. It is meant for metrics and tests.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.keys)
		s.mu.Unlock()
	}
	return n
}
