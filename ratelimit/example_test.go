package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authkit/authkit/ratelimit"
)

func Example() {
	rule, err := ratelimit.Parse("3/m") // three per minute per key
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) // a fixed clock for the example
	limiter, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: rule, Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	for range 4 {
		d, err := limiter.Allow(context.Background(), "ip:203.0.113.7")
		if err != nil {
			panic(err) // fail closed
		}
		if err := d.Err(); errors.Is(err, ratelimit.ErrLimited) {
			fmt.Println("denied:", err)
			continue
		}
		fmt.Println("allowed, remaining", d.Remaining)
	}
	// Output:
	// allowed, remaining 2
	// allowed, remaining 1
	// allowed, remaining 0
	// denied: ratelimit: rate limit exceeded, retry after 20s
}

// A sliding window with a doubling cooldown, from a Backend (here the
// in-process one; store/postgres and store/redis take the same config):
// 5 codes per 10 minutes to one phone number, 30 s after the first, 60 s
// after the second, and so on.
func ExampleMemoryBackend() {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var backend ratelimit.MemoryBackend
	sends, err := backend.Limiter(ratelimit.LimiterConfig{
		Name: "sends",
		Rule: ratelimit.Rule{Sliding: true, Limit: 5, Window: 10 * time.Minute, Cooldown: 30 * time.Second},
		Now:  func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, at := range []time.Duration{0, 10 * time.Second, 30 * time.Second, 60 * time.Second} {
		now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).Add(at)
		d, _ := sends.Allow(ctx, "sms:+19172113333")
		fmt.Printf("+%v: allowed %v, retry after %v\n", at, d.Allowed, d.RetryAfter)
	}
	// Output:
	// +0s: allowed true, retry after 0s
	// +10s: allowed false, retry after 20s
	// +30s: allowed true, retry after 0s
	// +1m0s: allowed false, retry after 30s
}
