package ratelimit_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/ratelimit"
)

// TestMemoryKeysMatchLogs: many keys on one shard, so that entries are
// evicted once expired, reset, kept as the shard's spare and their event
// arrays borrowed by unseen keys, decide each as a Log of its own would:
// no key ever sees another's events. MaxKeys holds every key, so no key
// is evicted before it expires.
func TestMemoryKeysMatchLogs(t *testing.T) {
	const keys = 24
	for _, rule := range []ratelimit.Rule{
		{Sliding: true, Limit: 3, Window: time.Minute},
		{Sliding: true, Limit: 2, Window: 10 * time.Second, Cooldown: time.Second},
		{Sliding: true, Limit: 4, Window: time.Minute, Lifetime: 9},
	} {
		t.Run(rule.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(rule.Limit)))
			c := clock.NewFake(time.Unix(1_700_000_000, 0))
			m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: rule, Now: c.Now, MaxKeys: keys})
			if err != nil {
				t.Fatal(err)
			}
			logs := make([]ratelimit.Log, keys)
			ctx := context.Background()
			for i := range 20000 {
				c.Advance(time.Duration(rng.IntN(int(4 * time.Second))))
				k := rng.IntN(keys)
				key := "k" + strconv.Itoa(k)
				var got, want ratelimit.Decision
				switch op := rng.IntN(10); {
				case op == 0:
					if err := m.Reset(ctx, key); err != nil {
						t.Fatal(err)
					}
					logs[k] = ratelimit.Log{}
					continue
				case op < 4: // Allow counts what it allows, as a failed attempt
					got, err = m.Allow(ctx, key)
					if err != nil {
						t.Fatal(err)
					}
					want, _ = rule.Attempt(&logs[k], c.Now, func() bool { return false })
				default:
					ok := op < 6
					got, err = m.Attempt(ctx, key, func() bool { return ok })
					if err != nil {
						t.Fatal(err)
					}
					want, _ = rule.Attempt(&logs[k], c.Now, func() bool { return ok })
				}
				if got != want {
					t.Fatalf("step %d, key %d: Memory %+v, own Log %+v", i, k, got, want)
				}
			}
		})
	}
}
