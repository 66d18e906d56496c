package ratelimit_test

import (
	"fmt"
	"sync"
	"time"

	"github.com/authkit/authkit/ratelimit"
)

// A store that guards records with a limit on wrong codes keeps the Log in
// the record, and decides under the record's own lock: the limit, the
// check and the count are one step.
func ExampleRule_Attempt() {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) // a fixed clock for the example
	rule := ratelimit.Rule{Sliding: true, Limit: 2, Window: 5 * time.Minute}
	var record struct {
		mu       sync.Mutex
		code     string
		failures ratelimit.Log
	}
	record.code = "123456"
	// check reports whether code is right, or why it was not checked.
	check := func(code string) (bool, error) {
		record.mu.Lock()
		defer record.mu.Unlock()
		right := false
		d, err := rule.Attempt(&record.failures, func() time.Time { return now }, func() bool {
			right = code == record.code // a real check compares digests
			return right
		})
		if err == nil && !d.Allowed {
			err = d.Err()
		}
		return right, err // an error fails closed
	}
	for _, code := range []string{"000000", "123456", "111111", "123456"} {
		fmt.Println(check(code))
	}
	now = now.Add(5 * time.Minute) // the failures leave the window
	fmt.Println(check("123456"))
	// Output:
	// false <nil>
	// true <nil>
	// false <nil>
	// false ratelimit: rate limit exceeded, retry after 5m0s
	// true <nil>
}
