package ratelimit

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/authkit/authkit/internal/clock"
)

// DefaultMaxKeys is the key capacity of a [Memory] limiter whose
// MemoryConfig.MaxKeys is zero. One key costs roughly 100 bytes plus the
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
	tat    int64
	events []int64 // Sliding: events in the window, oldest first (unix ns)
	total  int     // Sliding: events counted against the Lifetime cap
	index  int     // position in the heap
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
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	key = shortKey(key)
	now := m.now().UnixNano()
	i := maphash.String(m.seed, key) & m.mask
	var d Decision
	var calls uint64
	if m.rule.Sliding {
		d, calls = m.allowSliding(&m.shards[i], key, now)
	} else {
		d, calls = m.allow(&m.shards[i], key, now)
	}
	if calls%sweepEvery == 0 && m.mask != 0 {
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

func (m *Memory) allow(s *shard, key string, now int64) (Decision, uint64) {
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
	d := Decision{Allowed: true, Remaining: int((m.span - (next - now)) / m.interval)}
	if e != nil {
		e.tat = next
		heap.Fix(&s.heap, e.index)
		return d, s.calls
	}
	s.insert(key, next, nil)
	return d, s.calls
}

// allowSliding is allow for a Sliding rule: the log of the key's events in
// the window and its lifetime count decide (Rule.slidingWait).
func (m *Memory) allowSliding(s *shard, key string, now int64) (Decision, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.evictExpired(now, evictPerCall)
	e := s.keys[key]
	var events []int64
	total := 0
	if e != nil {
		events, total = m.inWindow(e.events, now), e.total
	}
	if wait := m.rule.slidingWait(events, total, now); wait != 0 {
		return Decision{RetryAfter: time.Duration(max(wait, 0))}, s.calls
	}
	if m.rule.Window > 0 {
		// Keep the log sorted even if the clock stepped back.
		events = slices.Insert(events, sort.Search(len(events), func(i int) bool { return events[i] > now }), now)
	}
	if m.rule.Lifetime > 0 {
		total++
	}
	d := Decision{Allowed: true, Remaining: m.rule.Remaining(len(events), total)}
	if e == nil {
		s.insert(key, 0, nil)
		e = s.keys[key]
	}
	e.events, e.total = events, total
	e.tat = m.slidingTAT(e)
	heap.Fix(&s.heap, e.index)
	return d, s.calls
}

// inWindow drops the events that left the window at now: those at or
// before now − Window.
func (m *Memory) inWindow(events []int64, now int64) []int64 {
	i := 0
	for i < len(events) && events[i] <= now-int64(m.rule.Window) {
		i++
	}
	return events[i:]
}

// slidingTAT is when a sliding key equals an unseen one: never while it
// has a lifetime count, else when its newest event leaves the window.
func (m *Memory) slidingTAT(e *entry) int64 {
	switch {
	case e.total > 0:
		return math.MaxInt64
	case len(e.events) == 0:
		return 0
	}
	return e.events[len(e.events)-1] + int64(m.rule.Window)
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
		// Only an event still in the window can be given back.
		if len(m.inWindow(e.events, m.now().UnixNano())) > 0 {
			e.events = e.events[:len(e.events)-1]
		}
		e.total = max(e.total-1, 0)
		if e.total == 0 && len(e.events) == 0 {
			s.remove(e)
			return nil
		}
		e.tat = m.slidingTAT(e)
	} else {
		e.tat -= m.interval
	}
	heap.Fix(&s.heap, e.index)
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
	heap.Remove(&s.heap, e.index)
	delete(s.keys, e.key)
}

// insert adds a new key; s.mu held. When the shard is full, the key
// nearest to a full refill (smallest TAT) is evicted first.
func (s *shard) insert(key string, tat int64, events []int64) {
	if len(s.keys) >= s.max {
		// Full: evict the key nearest to a full refill (smallest TAT).
		old := heap.Pop(&s.heap).(*entry)
		delete(s.keys, old.key)
		old.events = nil
		s.spare = old
	}
	e := s.spare
	if e != nil {
		s.spare = nil
		e.key, e.tat, e.events, e.total = key, tat, events, 0
	} else {
		e = &entry{key: key, tat: tat, events: events}
	}
	heap.Push(&s.heap, e)
	s.keys[key] = e
}

// evictExpired drops up to n keys whose TAT has passed: their state equals
// that of an unseen key, so forgetting them changes no decision.
func (s *shard) evictExpired(now int64, n int) {
	for ; n > 0 && len(s.heap) > 0 && s.heap[0].tat <= now; n-- {
		old := heap.Pop(&s.heap).(*entry)
		delete(s.keys, old.key)
		old.key, old.events = "", nil
		s.spare = old
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

// tatHeap is a container/heap of entries ordered by tat.
type tatHeap []*entry

func (h tatHeap) Len() int           { return len(h) }
func (h tatHeap) Less(i, j int) bool { return h[i].tat < h[j].tat }
func (h tatHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *tatHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *tatHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
