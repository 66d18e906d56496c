package ratelimit

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/clock"
)

// TestMemorySlidingArraysNotShared: however entries are evicted (expired,
// or the nearest to refilled when a full shard takes a new key), reset,
// kept as the spare and their arrays borrowed by unseen keys, no two
// held entries, nor an entry and the spare, share an event array, and the
// heap and the map agree.
func TestMemorySlidingArraysNotShared(t *testing.T) {
	rule := Rule{Sliding: true, Limit: 4, Window: time.Minute}
	c := clock.NewFake(time.Unix(1_700_000_000, 0))
	m, err := NewMemory(MemoryConfig{Rule: rule, Now: c.Now, MaxKeys: 8})
	if err != nil {
		t.Fatal(err)
	}
	s := &m.shards[0]
	rng := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	for i := range 20000 {
		c.Advance(time.Duration(rng.IntN(int(3 * time.Second))))
		key := "k" + strconv.Itoa(rng.IntN(32))
		switch op := rng.IntN(8); {
		case op == 0:
			_ = m.Reset(ctx, key)
		case op == 1:
			_ = m.Refund(ctx, key)
		case op < 4:
			_, _ = m.Allow(ctx, key)
		default:
			_, _ = m.Attempt(ctx, key, func() bool { return op < 5 })
		}
		arrays := map[*int64]string{}
		own := func(name string, events []int64) {
			if cap(events) == 0 {
				return
			}
			p := &events[:cap(events)][0]
			if other, ok := arrays[p]; ok {
				t.Fatalf("step %d: %s and %s share an event array", i, name, other)
			}
			arrays[p] = name
		}
		if len(s.keys) != len(s.heap) || len(s.keys) > s.max {
			t.Fatalf("step %d: %d keys, %d in the heap, max %d", i, len(s.keys), len(s.heap), s.max)
		}
		for k, e := range s.keys {
			if e.key != k || s.heap[e.index] != e {
				t.Fatalf("step %d: entry %q out of place", i, k)
			}
			own(k, e.log.events)
		}
		if s.spare != nil {
			if len(s.spare.log.events) != 0 || s.spare.key != "" {
				t.Fatalf("step %d: spare holds %q, %d events", i, s.spare.key, len(s.spare.log.events))
			}
			own("the spare", s.spare.log.events)
		}
	}
}
