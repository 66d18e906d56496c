package ratelimittest

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/ratelimit"
)

// sendRule is verification's default send limit: 5 per 10 minutes, 30 s
// cooldown doubling with each send in the window.
var sendRule = ratelimit.Rule{Sliding: true, Limit: 5, Window: 10 * time.Minute, Cooldown: 30 * time.Second}

// runSlidingTests checks Sliding rules, Refund and Reset.
func runSlidingTests(t *testing.T, build func(*testing.T, ratelimit.Rule) (ratelimit.Counter, *clock.Fake)) {
	// wait asks at start+at and returns 0 if allowed, else RetryAfter
	// (which must then be > 0 for a windowed rule).
	wait := func(t *testing.T, l ratelimit.Limiter, c *clock.Fake, key string, at time.Duration) time.Duration {
		t.Helper()
		c.Set(start.Add(at))
		d := allow(t, l, key)
		if d.Allowed {
			return 0
		}
		if d.RetryAfter <= 0 {
			t.Fatalf("denied at +%v with RetryAfter %v, want > 0", at, d.RetryAfter)
		}
		return d.RetryAfter
	}
	t.Run("Sliding/CooldownDoubles", func(t *testing.T) {
		l, c := build(t, sendRule)
		steps := []struct {
			at   time.Duration // since start
			wait time.Duration // 0 = allowed
		}{
			{0, 0},                              // 1st event
			{1 * time.Second, 29 * time.Second}, // cooldown 30 s
			{29 * time.Second, 1 * time.Second},
			{30 * time.Second, 0}, // 2nd; next cooldown 60 s
			{60 * time.Second, 30 * time.Second},
			{89 * time.Second, 1 * time.Second},
			{90 * time.Second, 0}, // 3rd; next 120 s
			{200 * time.Second, 10 * time.Second},
			{210 * time.Second, 0}, // 4th; next 240 s
			{449 * time.Second, 1 * time.Second},
			{450 * time.Second, 0}, // 5th; the window holds 5 events
			// The 6th needs fewer than 5 in the window and the cooldown
			// for the count left in it: at 630 s the events at 0 and 30 s
			// have left, 3 remain, and 450 + 120 ≤ 630.
			{451 * time.Second, 179 * time.Second},
			{629 * time.Second, 1 * time.Second},
			{630 * time.Second, 0}, // window now 90, 210, 450, 630
			// At 690 s the event at 90 leaves: 3 remain, cooldown 120 s after 630.
			{631 * time.Second, 119 * time.Second},
			{749 * time.Second, 1 * time.Second},
			{750 * time.Second, 0},
		}
		for _, st := range steps {
			if got := wait(t, l, c, "dest", st.at); got != st.wait {
				t.Fatalf("event at +%v: wait %v, want %v", st.at, got, st.wait)
			}
		}
	})
	t.Run("Sliding/WindowSlides", func(t *testing.T) {
		// With no cooldown, only the count matters: 5 events, then the 6th
		// waits until the oldest is Window old.
		l, c := build(t, ratelimit.Rule{Sliding: true, Limit: 5, Window: 10 * time.Minute})
		for i := range 5 {
			c.Set(start.Add(time.Duration(i) * time.Minute))
			if d := allow(t, l, "k"); !d.Allowed || d.Remaining != 4-i {
				t.Fatalf("event %d: %+v, want allowed with Remaining %d", i+1, d, 4-i)
			}
		}
		if w := wait(t, l, c, "k", 5*time.Minute); w != 5*time.Minute {
			t.Fatalf("6th event: wait %v, want 5m", w)
		}
		// Denials do not count: at exactly +10m the first event has left
		// the window (t > now − Window), so one event is allowed …
		if w := wait(t, l, c, "k", 10*time.Minute); w != 0 {
			t.Fatalf("event after the window slid: wait %v", w)
		}
		// … and then the next waits for the second (at +1m) to leave.
		if w := wait(t, l, c, "k", 10*time.Minute); w != time.Minute {
			t.Fatalf("event: wait %v, want 1m", w)
		}
		// Long after, the log is empty again.
		for i := range 5 {
			if w := wait(t, l, c, "k", time.Hour+time.Duration(i)*time.Second); w != 0 {
				t.Fatalf("event %d an hour later: wait %v", i+1, w)
			}
		}
	})
	t.Run("Sliding/NoBurstAcrossWindows", func(t *testing.T) {
		// At most Limit events in any span of Window: 3 at +0..2s, and at
		// +5m (the first has left) exactly one more.
		l, c := build(t, ratelimit.Rule{Sliding: true, Limit: 3, Window: 5 * time.Minute})
		for i := range 3 {
			if w := wait(t, l, c, "k", time.Duration(i)*time.Second); w != 0 {
				t.Fatalf("event %d: wait %v", i+1, w)
			}
		}
		for _, st := range []struct{ at, wait time.Duration }{
			{time.Minute, 4 * time.Minute},
			{5*time.Minute - time.Second, time.Second},
			{5 * time.Minute, 0},
			{5 * time.Minute, time.Second},
		} {
			if w := wait(t, l, c, "k", st.at); w != st.wait {
				t.Fatalf("event at +%v: wait %v, want %v", st.at, w, st.wait)
			}
		}
	})
	t.Run("Sliding/PerKey", func(t *testing.T) {
		l, c := build(t, sendRule)
		for _, k := range []string{"a", "b"} {
			if w := wait(t, l, c, k, 0); w != 0 {
				t.Fatalf("first event for %q: wait %v; limits must be per key", k, w)
			}
		}
		if w := wait(t, l, c, "a", time.Second); w == 0 {
			t.Fatal("second event for a within the cooldown was allowed")
		}
	})
	t.Run("Sliding/Concurrent", func(t *testing.T) {
		for _, tc := range []struct {
			rule ratelimit.Rule
			want int64
		}{{sendRule, 1}, {ratelimit.Rule{Sliding: true, Limit: 5, Window: 5 * time.Minute}, 5}} {
			l, _ := build(t, tc.rule)
			var allowed, refused atomic.Int64
			race(32, func(int) {
				d, err := l.Allow(context.Background(), "hot")
				switch {
				case err != nil:
					t.Error(err)
				case d.Allowed:
					allowed.Add(1)
				case tc.rule.Cooldown == 0 && d.RetryAfter != tc.rule.Window:
					t.Errorf("RetryAfter %v, want %v", d.RetryAfter, tc.rule.Window)
				default:
					refused.Add(1)
				}
			})
			if allowed.Load() != tc.want || refused.Load() != 32-tc.want {
				t.Fatalf("%s: 32 racing: %d allowed, %d refused; want exactly %d allowed", tc.rule, allowed.Load(), refused.Load(), tc.want)
			}
		}
	})
	t.Run("Refund", func(t *testing.T) {
		for _, rule := range []ratelimit.Rule{{Limit: 2, Window: time.Minute}, {Sliding: true, Limit: 2, Window: time.Minute}} {
			l, c := build(t, rule)
			ctx := context.Background()
			if err := l.Refund(ctx, "k"); err != nil {
				t.Fatalf("%s: Refund of an unknown key: %v", rule, err)
			}
			exhaust(t, l, "k", 2)
			c.Advance(time.Second)
			if err := l.Refund(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if d := allow(t, l, "k"); !d.Allowed {
				t.Fatalf("%s: event after a refund denied: %+v", rule, d)
			}
			if d := allow(t, l, "k"); d.Allowed {
				t.Fatalf("%s: key full again, yet allowed: %+v", rule, d)
			}
			// Refunding more than was allowed never creates extra events.
			for range 4 {
				if err := l.Refund(ctx, "k2"); err != nil {
					t.Fatal(err)
				}
			}
			exhaust(t, l, "k2", 2)
			if d := allow(t, l, "k2"); d.Allowed {
				t.Fatalf("%s: over-refunded key allowed a third event", rule)
			}
		}
		// A sliding log refunded to empty starts afresh: the window counts
		// from the next event.
		l, c := build(t, ratelimit.Rule{Sliding: true, Limit: 1, Window: time.Minute})
		exhaust(t, l, "k", 1)
		if err := l.Refund(context.Background(), "k"); err != nil {
			t.Fatal(err)
		}
		if w := wait(t, l, c, "k", 30*time.Second); w != 0 {
			t.Fatalf("event after refund: wait %v", w)
		}
		if w := wait(t, l, c, "k", 30*time.Second); w != time.Minute {
			t.Fatalf("after a refund to empty, wait %v, want 1m (restarted)", w)
		}
		// A refund after the event left the window takes nothing from a
		// later view of the window.
		exhaust(t, l, "k3", 1)
		c.Set(start.Add(30*time.Second + time.Minute))
		if err := l.Refund(context.Background(), "k3"); err != nil {
			t.Fatal(err)
		}
		if w := wait(t, l, c, "k3", time.Minute+29*time.Second); w == 0 {
			t.Fatal("a refund after the window ended freed an event in it")
		}
	})
	t.Run("Lifetime", func(t *testing.T) {
		// A Lifetime cap alone: a count no time lowers; only Refund and
		// Reset do.
		l, c := build(t, ratelimit.Rule{Sliding: true, Lifetime: 3})
		ctx := context.Background()
		exhaust(t, l, "k", 2)
		// An event given back (a success) counts nothing.
		exhaust(t, l, "k", 1)
		if err := l.Refund(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		exhaust(t, l, "k", 1)
		for _, at := range []time.Duration{0, 1000 * time.Hour} {
			c.Set(start.Add(at))
			if d := allow(t, l, "k"); d.Allowed || d.RetryAfter != 0 {
				t.Fatalf("at the cap, +%v: %+v; want denied with no RetryAfter", at, d)
			}
		}
		// A refund long after still gives back its event, once.
		if err := l.Refund(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		exhaust(t, l, "k", 1)
		if d := allow(t, l, "k"); d.Allowed {
			t.Fatal("allowed past the cap")
		}
		if d := allow(t, l, "other"); !d.Allowed {
			t.Fatalf("another key: %+v", d)
		}
		if err := l.Reset(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		exhaust(t, l, "k", 3)
		if err := l.Reset(ctx, "unknown"); err != nil {
			t.Fatalf("Reset of an unknown key: %v", err)
		}
		// Racing at the cap never takes more than it allows.
		var allowed atomic.Int64
		race(32, func(int) {
			if d, err := l.Allow(context.Background(), "hot"); err != nil {
				t.Error(err)
			} else if d.Allowed {
				allowed.Add(1)
			}
		})
		if allowed.Load() != 3 {
			t.Fatalf("32 racing at a lifetime cap of 3: %d allowed", allowed.Load())
		}
	})
	t.Run("LifetimeWithWindow", func(t *testing.T) {
		// The lifetime count spans windows, is not lowered by a success (an
		// event refunded), stops every event at the cap even with room in
		// the window, and is cleared only by Reset.
		const limit, life, window = 3, 5, time.Minute
		l, c := build(t, ratelimit.Rule{Sliding: true, Limit: limit, Window: window, Lifetime: life})
		ctx := context.Background()
		exhaust(t, l, "k", limit) // three failures fill the first window
		if w := wait(t, l, c, "k", time.Second); w != window-time.Second {
			t.Fatalf("full window: wait %v, want %v", w, window-time.Second)
		}
		c.Set(start.Add(window))
		exhaust(t, l, "k", 1) // a success in the next window …
		if err := l.Refund(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		exhaust(t, l, "k", 2) // … and two failures reach the cap of 5
		for _, at := range []time.Duration{window, 1000 * time.Hour} {
			c.Set(start.Add(at))
			if d := allow(t, l, "k"); d.Allowed || d.RetryAfter != 0 {
				t.Fatalf("at the lifetime cap, +%v: %+v; want denied with no RetryAfter", at, d)
			}
		}
		// A refund after its window ended still gives back its lifetime
		// event: three refunds, three more events (in a fresh window).
		for range 3 {
			if err := l.Refund(ctx, "k"); err != nil {
				t.Fatal(err)
			}
		}
		exhaust(t, l, "k", 3)
		if d := allow(t, l, "k"); d.Allowed || d.RetryAfter != 0 {
			t.Fatalf("back at the lifetime cap: %+v; want denied with no RetryAfter", d)
		}
		// Refunds never take the count below 0.
		for range 3 {
			if err := l.Refund(ctx, "fresh"); err != nil {
				t.Fatal(err)
			}
		}
		l3, _ := build(t, ratelimit.Rule{Sliding: true, Limit: 10, Window: window, Lifetime: 1})
		for range 3 {
			if err := l3.Refund(ctx, "k"); err != nil {
				t.Fatal(err)
			}
		}
		exhaust(t, l3, "k", 1)
		if d := allow(t, l3, "k"); d.Allowed {
			t.Fatalf("over-refunded lifetime count allowed a second event: %+v", d)
		}
		if err := l.Reset(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		exhaust(t, l, "k", limit)
		// Racing: never more than the window allows, nor than the cap.
		l2, _ := build(t, ratelimit.Rule{Sliding: true, Limit: 1000, Window: time.Hour, Lifetime: 3})
		var allowed atomic.Int64
		race(32, func(int) {
			d, err := l2.Allow(context.Background(), "hot")
			switch {
			case err != nil:
				t.Error(err)
			case d.Allowed:
				allowed.Add(1)
			case d.RetryAfter != 0:
				t.Errorf("refused by the window, not the lifetime cap: %+v", d)
			}
		})
		if allowed.Load() != 3 {
			t.Fatalf("32 racing at a lifetime cap of 3: %d allowed", allowed.Load())
		}
	})
	t.Run("Reset", func(t *testing.T) {
		for _, rule := range []ratelimit.Rule{{Limit: 2, Window: time.Hour}, sendRule} {
			l, _ := build(t, rule)
			exhaust(t, l, "k", 1)
			if err := l.Reset(context.Background(), "k"); err != nil {
				t.Fatal(err)
			}
			if d := allow(t, l, "k"); !d.Allowed {
				t.Fatalf("%s: event after Reset denied: %+v", rule, d)
			}
		}
	})
	t.Run("MatchesMemory", func(t *testing.T) {
		// Random rules and event times: every decision equals the
		// in-memory limiter's, which is the rule's reference.
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range 16 {
			rule := ratelimit.Rule{Limit: 1 + rng.IntN(5), Window: time.Duration(1+rng.IntN(20)) * time.Second}
			if i%3 != 0 {
				rule.Sliding = true
				rule.Cooldown = time.Duration(rng.IntN(4)) * 500 * time.Millisecond
				if rule.Cooldown > 0 && i%2 == 0 {
					rule.Limit = 0
				}
				if i%4 == 1 {
					rule.Lifetime = 4 + rng.IntN(10)
				}
			}
			l, c := build(t, rule)
			ref, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: rule, Now: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			for j := range 40 {
				c.Advance(time.Duration(rng.IntN(3000)) * time.Millisecond)
				ctx := context.Background()
				if rng.IntN(8) == 0 {
					if err := errors.Join(l.Refund(ctx, "k"), ref.Refund(ctx, "k")); err != nil {
						t.Fatal(err)
					}
					continue
				}
				got, want := allow(t, l, "k"), allow(t, ref, "k")
				if got != want {
					t.Fatalf("%s, step %d at +%v: %+v, memory %+v", rule, j, c.Now().Sub(start), got, want)
				}
			}
		}
	})
}
