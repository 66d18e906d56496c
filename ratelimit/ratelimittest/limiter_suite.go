package ratelimittest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/clock"
	racer "github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/ratelimit"
)

// NewLimiter builds a fresh, empty limiter applying rule to every key and
// reading the time from now. Each call must return a limiter that shares no
// state with earlier ones (for a shared backend, use a fresh key prefix).
type NewLimiter func(t *testing.T, rule ratelimit.Rule, now func() time.Time) ratelimit.Counter

// start is the suite's clock origin: a whole second, so implementations
// that keep milliseconds see exact values.
var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// RunLimiterTests runs the conformance suite against limiters built by
// newLimiter. All durations used are whole milliseconds, so a backend
// working in milliseconds passes too.
func RunLimiterTests(t *testing.T, newLimiter NewLimiter) {
	t.Helper()
	build := func(t *testing.T, rule ratelimit.Rule) (ratelimit.Counter, *clock.Fake) {
		t.Helper()
		c := clock.NewFake(start)
		l := newLimiter(t, rule, c.Now)
		if l == nil {
			t.Fatal("newLimiter returned nil")
		}
		return l, c
	}
	runSlidingTests(t, build)
	t.Run("BurstUpToLimit", func(t *testing.T) {
		l, _ := build(t, ratelimit.Rule{Limit: 5, Window: time.Minute})
		for i := range 5 {
			d := allow(t, l, "k")
			if !d.Allowed || d.Remaining != 4-i || d.RetryAfter != 0 {
				t.Fatalf("event %d: got %+v, want allowed with Remaining %d", i+1, d, 4-i)
			}
			if d.Err() != nil {
				t.Fatalf("event %d: Err() = %v for an allowed decision", i+1, d.Err())
			}
		}
		d := allow(t, l, "k")
		if d.Allowed || d.Remaining != 0 {
			t.Fatalf("event 6: got %+v, want denied with Remaining 0", d)
		}
		if d.RetryAfter <= 0 || d.RetryAfter > time.Minute {
			t.Fatalf("event 6: RetryAfter %s not in (0, 1m]", d.RetryAfter)
		}
		var le *ratelimit.LimitedError
		if err := d.Err(); !errors.Is(err, ratelimit.ErrLimited) || !errors.As(err, &le) || le.RetryAfter != d.RetryAfter {
			t.Fatalf("Err() = %v, want a *LimitedError matching ErrLimited with RetryAfter %s", err, d.RetryAfter)
		}
	})
	t.Run("RetryAfterIsExact", func(t *testing.T) {
		for _, rule := range []ratelimit.Rule{
			{Limit: 1, Window: time.Second},
			{Limit: 3, Window: 30 * time.Second},
			{Limit: 10, Window: time.Hour},
		} {
			t.Run(rule.String(), func(t *testing.T) {
				l, c := build(t, rule)
				exhaust(t, l, "k", rule.Limit)
				d := allow(t, l, "k")
				if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > rule.Window {
					t.Fatalf("after %d events: got %+v, want denied with RetryAfter in (0, %s]", rule.Limit, d, rule.Window)
				}
				if d.RetryAfter > time.Millisecond {
					c.Advance(d.RetryAfter - time.Millisecond)
					if early := allow(t, l, "k"); early.Allowed {
						t.Fatalf("allowed 1ms before RetryAfter (%s)", d.RetryAfter)
					}
					c.Advance(time.Millisecond)
				} else {
					c.Advance(d.RetryAfter)
				}
				if got := allow(t, l, "k"); !got.Allowed {
					t.Fatalf("denied at exactly RetryAfter (%s): %+v", d.RetryAfter, got)
				}
			})
		}
	})
	t.Run("DenialsDoNotConsume", func(t *testing.T) {
		l, _ := build(t, ratelimit.Rule{Limit: 2, Window: 10 * time.Second})
		exhaust(t, l, "k", 2)
		first := allow(t, l, "k")
		for i := range 20 {
			d := allow(t, l, "k")
			if d.Allowed || d.RetryAfter != first.RetryAfter {
				t.Fatalf("denial %d at a fixed time: got %+v, want denied with RetryAfter %s", i+2, d, first.RetryAfter)
			}
		}
	})
	t.Run("WindowResetsFully", func(t *testing.T) {
		l, c := build(t, ratelimit.Rule{Limit: 4, Window: time.Minute})
		for round := range 3 {
			exhaust(t, l, "k", 4)
			if d := allow(t, l, "k"); d.Allowed {
				t.Fatalf("round %d: event 5 allowed", round)
			}
			c.Advance(time.Minute)
		}
	})
	t.Run("IndependentKeys", func(t *testing.T) {
		l, _ := build(t, ratelimit.Rule{Limit: 3, Window: time.Hour})
		exhaust(t, l, "a", 3)
		for _, k := range []string{"b", "", "a ", "A", "a\x00", "ключ", "+19172113333"} {
			d := allow(t, l, k)
			if !d.Allowed || d.Remaining != 2 {
				t.Fatalf("key %q after exhausting %q: got %+v, want allowed with Remaining 2", k, "a", d)
			}
		}
		if d := allow(t, l, "a"); d.Allowed {
			t.Fatal(`key "a" allowed a 4th event`)
		}
	})
	t.Run("SteadyRateOverManyWindows", func(t *testing.T) {
		// Requests arrive four times faster than the rule allows for ten
		// windows. Any correct limiter (sliding log, GCRA, token bucket)
		// allows between 10×Limit and 11×Limit of them.
		const limit, windows = 5, 10
		rule := ratelimit.Rule{Limit: limit, Window: 10 * time.Second}
		l, c := build(t, rule)
		step := rule.Window / (4 * limit)
		allowed := 0
		for range windows * 4 * limit {
			if allow(t, l, "k").Allowed {
				allowed++
			}
			c.Advance(step)
		}
		if allowed < windows*limit || allowed > (windows+1)*limit {
			t.Fatalf("allowed %d of %d over %d windows, want within [%d, %d]",
				allowed, windows*4*limit, windows, windows*limit, (windows+1)*limit)
		}
	})
	t.Run("ConcurrentOneKey", func(t *testing.T) {
		const limit, goroutines = 50, 200
		l, _ := build(t, ratelimit.Rule{Limit: limit, Window: time.Hour})
		var allowed atomic.Int64
		race(goroutines, func(int) {
			d, err := l.Allow(context.Background(), "hot")
			if err != nil {
				t.Error(err)
				return
			}
			if d.Allowed {
				allowed.Add(1)
			}
		})
		if got := allowed.Load(); got != limit {
			t.Fatalf("%d goroutines racing on one key: %d allowed, want exactly %d", goroutines, got, limit)
		}
	})
	t.Run("ConcurrentManyKeys", func(t *testing.T) {
		const limit, keys, perKey = 3, 32, 8
		l, _ := build(t, ratelimit.Rule{Limit: limit, Window: time.Hour})
		var allowed [keys]atomic.Int64
		race(keys*perKey, func(i int) {
			k := i % keys
			d, err := l.Allow(context.Background(), fmt.Sprintf("key-%d", k))
			if err != nil {
				t.Error(err)
				return
			}
			if d.Allowed {
				allowed[k].Add(1)
			}
		})
		for k := range allowed {
			if got := allowed[k].Load(); got != limit {
				t.Fatalf("key-%d: %d allowed of %d racing, want exactly %d", k, got, perKey, limit)
			}
		}
	})
	t.Run("CanceledContext", func(t *testing.T) {
		l, _ := build(t, ratelimit.Rule{Limit: 1, Window: time.Minute})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := l.Allow(ctx, "k"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Allow with a canceled context: err = %v, want context.Canceled", err)
		}
		// The canceled call must not have used up the key's only event.
		if d := allow(t, l, "k"); !d.Allowed {
			t.Fatalf("first live event after a canceled call denied: %+v", d)
		}
	})
}

func allow(t *testing.T, l ratelimit.Limiter, key string) ratelimit.Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), key)
	if err != nil {
		t.Fatalf("Allow(%q): %v", key, err)
	}
	return d
}

func exhaust(t *testing.T, l ratelimit.Limiter, key string, n int) {
	t.Helper()
	for i := range n {
		if d := allow(t, l, key); !d.Allowed {
			t.Fatalf("Allow(%q) event %d of %d denied: %+v", key, i+1, n, d)
		}
	}
}

// race runs f(0..n-1) in n goroutines released at the same moment.
func race(n int, f func(i int)) {
	racer.Run(n, func(i int) error { f(i); return nil })
}

// RunBackendTests runs RunLimiterTests on the limiters of a Backend (a
// store that hands out limiters, such as verification.Store or mfa.Store):
// each limiter gets a fresh Name and the suite's clock. It also checks that
// a Name keeps the Rule it was first given (another Rule is ErrConfig).
func RunBackendTests(t *testing.T, newBackend func(t *testing.T) ratelimit.Backend) {
	t.Helper()
	var n atomic.Int64
	prefix := fmt.Sprintf("suite-%d-", time.Now().UnixNano())
	nextName := func() string { return fmt.Sprintf("%s%d", prefix, n.Add(1)) }
	RunLimiterTests(t, func(t *testing.T, rule ratelimit.Rule, now func() time.Time) ratelimit.Counter {
		l, err := newBackend(t).Limiter(ratelimit.LimiterConfig{Name: nextName(), Rule: rule, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
	t.Run("NameKeepsItsRule", func(t *testing.T) {
		testNameKeepsItsRule(t, newBackend(t), nextName())
	})
}

// testNameKeepsItsRule: one name is one set of keys, so a backend refuses
// the name with another rule (ErrConfig) and changes nothing, while the
// same rule again is accepted and shares the keys.
func testNameKeepsItsRule(t *testing.T, b ratelimit.Backend, name string) {
	c := clock.NewFake(start)
	rule := ratelimit.Rule{Limit: 2, Window: time.Minute}
	first, err := b.Limiter(ratelimit.LimiterConfig{Name: name, Rule: rule, Now: c.Now})
	if err != nil {
		t.Fatalf("first Limiter = %v", err)
	}
	others := map[string]ratelimit.Rule{
		"another limit":   {Limit: 3, Window: time.Minute},
		"another window":  {Limit: 2, Window: time.Hour},
		"sliding":         {Sliding: true, Limit: 2, Window: time.Minute},
		"with a cooldown": {Sliding: true, Limit: 2, Window: time.Minute, Cooldown: time.Second},
	}
	for what, other := range others {
		if _, err := b.Limiter(ratelimit.LimiterConfig{Name: name, Rule: other, Now: c.Now}); !errors.Is(err, ratelimit.ErrConfig) {
			t.Errorf("Limiter(%q, %s) after %s = %v, want ErrConfig", name, what, rule, err)
		}
	}
	if _, err := b.Limiter(ratelimit.LimiterConfig{Name: "", Rule: rule}); !errors.Is(err, ratelimit.ErrConfig) {
		t.Errorf("Limiter with an empty Name = %v, want ErrConfig", err)
	}
	again, err := b.Limiter(ratelimit.LimiterConfig{Name: name, Rule: rule, Now: c.Now})
	if err != nil {
		t.Fatalf("Limiter with the same name and rule again = %v, want nil", err)
	}
	// The refusals changed nothing: the two limiters share the first
	// rule's two events per minute.
	if d := allow(t, first, "k"); !d.Allowed || d.Remaining != 1 {
		t.Fatalf("first limiter, event 1: %+v, want allowed with Remaining 1", d)
	}
	if d := allow(t, again, "k"); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("second limiter, event 2: %+v, want allowed with Remaining 0 (one set of keys)", d)
	}
	if d := allow(t, first, "k"); d.Allowed {
		t.Fatalf("first limiter, event 3: %+v, want denied", d)
	}
}
