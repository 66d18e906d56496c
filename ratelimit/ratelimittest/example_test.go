package ratelimittest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/ratelimit/ratelimittest"
)

// An implementation proves itself by running the suite from a test:
//
//	func TestRedisLimiter(t *testing.T) {
//		ratelimittest.RunLimiterTests(t, func(t *testing.T, rule ratelimit.Rule, now func() time.Time) ratelimit.Limiter {
//			return newRedisLimiter(t, rule, now) // fresh key prefix per call
//		})
//	}
//
// Code that consults a limiter can test its "limited" path with Fixed:
func Example() {
	limiter := &ratelimittest.Fixed{Decision: ratelimit.Decision{RetryAfter: 30 * time.Second}}

	sendCode := func(ctx context.Context, l ratelimit.Limiter, phone string) error {
		d, err := l.Allow(ctx, "send:"+phone)
		if err != nil {
			return err
		}
		return d.Err()
	}
	err := sendCode(context.Background(), limiter, "+19172113333")
	var limited *ratelimit.LimitedError
	fmt.Println(errors.Is(err, ratelimit.ErrLimited), errors.As(err, &limited) && limited.RetryAfter == 30*time.Second)
	fmt.Println(limiter.Keys())
	// Output:
	// true true
	// [send:+19172113333]
}
