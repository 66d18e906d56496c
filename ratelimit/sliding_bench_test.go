package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/authkit/authkit/ratelimit"
)

// failureRule is mfa's default failure limit: 5 failures in any 5 minutes.
var failureRule = ratelimit.Rule{Sliding: true, Limit: 5, Window: 5 * time.Minute}

// BenchmarkSlidingReserveRefund: the success path of a failure limit, one
// Allow (the reserved slot) then one Refund (given back), over 1000 keys,
// one goroutine: what mfa's recovery-code check pays on the memory store.
func BenchmarkSlidingReserveRefund(b *testing.B) {
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: failureRule})
	if err != nil {
		b.Fatal(err)
	}
	ctx, keys := context.Background(), benchKeys(1000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := keys[i%len(keys)]
		if d, _ := m.Allow(ctx, k); !d.Allowed {
			b.Fatal("denied")
		}
		if err := m.Refund(ctx, k); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkSlidingAllowFailing: a failure (no refund) over 1000 keys,
// with a limit high enough that none is denied.
func BenchmarkSlidingAllowFailing(b *testing.B) {
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: ratelimit.Rule{Sliding: true, Limit: 1 << 30, Window: time.Millisecond}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, keys := context.Background(), benchKeys(1000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Allow(ctx, keys[i%len(keys)])
		i++
	}
}
