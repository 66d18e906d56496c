package ratelimit_test

import (
	"context"
	"fmt"
	"time"

	"github.com/authkit/authkit/ratelimit"
)

// Attempt limits only failures: three wrong codes fill the window, right
// codes never count, and at the limit nothing is checked at all.
func ExampleMemory_Attempt() {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) // a fixed clock for the example
	limiter, err := ratelimit.NewMemory(ratelimit.MemoryConfig{
		Rule: ratelimit.Rule{Sliding: true, Limit: 3, Window: 5 * time.Minute},
		Now:  func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	check := func(code string) {
		right := false
		d, err := limiter.Attempt(context.Background(), "user-1", func() bool {
			right = code == "123456" // a real check compares digests in constant time
			return right
		})
		switch {
		case err != nil:
			panic(err) // fail closed
		case !d.Allowed:
			fmt.Println(code, "not checked:", d.Err())
		default:
			fmt.Println(code, "right:", right)
		}
	}
	for _, code := range []string{"123456", "000000", "123456", "111111", "222222", "123456"} {
		check(code)
	}
	// Output:
	// 123456 right: true
	// 000000 right: false
	// 123456 right: true
	// 111111 right: false
	// 222222 right: false
	// 123456 not checked: ratelimit: rate limit exceeded, retry after 5m0s
}
