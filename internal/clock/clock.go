// Package clock provides a settable clock for tests. Production code takes a
// `Now func() time.Time` in its Config (nil means time.Now); tests pass
// (*Fake).Now so that expiry and cooldowns can be exercised without sleeping.
package clock

import (
	"sync"
	"time"
)

// Fake is a manually advanced clock, safe for concurrent use.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a Fake clock set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the clock's current time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the clock forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// Set sets the clock to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.now = t
	f.mu.Unlock()
}

// Or returns now if it is non-nil, otherwise time.Now. It lets a Config
// field `Now func() time.Time` default safely.
func Or(now func() time.Time) func() time.Time {
	if now != nil {
		return now
	}
	return time.Now
}
