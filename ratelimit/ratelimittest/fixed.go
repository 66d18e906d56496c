package ratelimittest

import (
	"context"
	"sync"

	"github.com/authkit/authkit/ratelimit"
)

// Fixed is a [ratelimit.Limiter] that returns Decision and Err for every
// key and records the keys, for tests of code that consults a limiter. It
// is safe for concurrent use.
type Fixed struct {
	// Decision is returned by every Allow call.
	Decision ratelimit.Decision
	// Err, if set, is returned instead of a decision.
	Err error

	mu   sync.Mutex
	keys []string
}

// Allow records key and returns the canned answer.
func (f *Fixed) Allow(_ context.Context, key string) (ratelimit.Decision, error) {
	f.mu.Lock()
	f.keys = append(f.keys, key)
	f.mu.Unlock()
	if f.Err != nil {
		return ratelimit.Decision{}, f.Err
	}
	return f.Decision, nil
}

// Keys returns the keys asked about so far, in order.
func (f *Fixed) Keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.keys...)
}
