package ratelimit_test

import (
	"context"
	"testing"

	"github.com/authkit/authkit/ratelimit"
)

// BenchmarkSlidingAttemptSuccess: the success path of a failure limit
// through Attempt (no event recorded), over 1000 keys, one goroutine: what
// mfa's recovery-code check pays on the memory store, to compare with
// BenchmarkSlidingReserveRefund.
func BenchmarkSlidingAttemptSuccess(b *testing.B) {
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: failureRule})
	if err != nil {
		b.Fatal(err)
	}
	ctx, keys := context.Background(), benchKeys(1000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if d, _ := m.Attempt(ctx, keys[i%len(keys)], func() bool { return true }); !d.Allowed {
			b.Fatal("denied")
		}
		i++
	}
}
