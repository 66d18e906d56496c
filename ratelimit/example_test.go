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
