package ratelimit_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/ratelimit"
)

// TestLogMatchesMemory: Rule.Attempt on a caller's Log decides exactly as
// Memory.Attempt does on a key, step by step, for random sequences of
// successes, failures and clock moves on every sliding rule shape.
func TestLogMatchesMemory(t *testing.T) {
	rules := []ratelimit.Rule{
		{Sliding: true, Limit: 3, Window: time.Minute},
		{Sliding: true, Limit: 1, Window: time.Second},
		{Sliding: true, Limit: 3, Window: time.Minute, Lifetime: 7},
		{Sliding: true, Limit: 4, Window: time.Minute, Cooldown: 5 * time.Second},
		{Sliding: true, Lifetime: 4},
	}
	for _, rule := range rules {
		t.Run(rule.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(rule.Limit)))
			c := clock.NewFake(time.Unix(1_700_000_000, 0))
			m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: rule, Now: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			var l ratelimit.Log
			for i := range 2000 {
				c.Advance(time.Duration(rng.IntN(int(20 * time.Second))))
				ok := rng.IntN(3) == 0
				ranLog, ranMem := false, false
				got, err := rule.Attempt(&l, c.Now, func() bool { ranLog = true; return ok })
				if err != nil {
					t.Fatal(err)
				}
				want, err := m.Attempt(context.Background(), "k", func() bool { ranMem = true; return ok })
				if err != nil {
					t.Fatal(err)
				}
				if got != want || ranLog != ranMem {
					t.Fatalf("step %d (success %v): Log %+v (ran %v), Memory %+v (ran %v)", i, ok, got, ranLog, want, ranMem)
				}
			}
		})
	}
}

// TestLogAttemptRefusesBadRules: only a valid Sliding rule decides; try
// never runs otherwise and the Log is unchanged.
func TestLogAttemptRefusesBadRules(t *testing.T) {
	for _, rule := range []ratelimit.Rule{
		{},
		{Limit: 3, Window: time.Minute},
		{Sliding: true, Limit: -1, Window: time.Minute},
		{Sliding: true, Limit: 3},
		{Sliding: true, Lifetime: 3, Window: time.Minute},
	} {
		var l ratelimit.Log
		ran := false
		_, err := rule.Attempt(&l, time.Now, func() bool { ran = true; return false })
		if !errors.Is(err, ratelimit.ErrInvalidRule) || ran {
			t.Fatalf("rule %+v: error %v, try ran %v; want ErrInvalidRule and no run", rule, err, ran)
		}
		// Still a log with no events: a success on it needs no clock.
		valid := ratelimit.Rule{Sliding: true, Limit: 1, Window: time.Minute}
		if _, err := valid.Attempt(&l, func() time.Time { t.Fatalf("rule %+v changed the log", rule); return time.Time{} }, func() bool { return true }); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLogAttemptClockReads: a success on an unseen key reads no clock; a
// failure reads it once.
func TestLogAttemptClockReads(t *testing.T) {
	rule := ratelimit.Rule{Sliding: true, Limit: 3, Window: time.Minute}
	reads := 0
	now := func() time.Time { reads++; return time.Unix(1_700_000_000, 0) }
	var l ratelimit.Log
	for range 5 {
		if d, err := rule.Attempt(&l, now, func() bool { return true }); err != nil || !d.Allowed {
			t.Fatalf("success: %+v, %v", d, err)
		}
	}
	if reads != 0 {
		t.Fatalf("successes on an unseen key read the clock %d times", reads)
	}
	if _, err := rule.Attempt(&l, now, func() bool { return false }); err != nil || reads != 1 {
		t.Fatalf("a failure: error %v, %d clock reads, want 1", err, reads)
	}
}

// TestLogEmpty: a Log is Empty while it holds no event and no lifetime
// count; a success on an unseen key leaves it so, a failure does not,
// and an expired event still counts until a decision drops it.
func TestLogEmpty(t *testing.T) {
	c := clock.NewFake(time.Unix(1_700_000_000, 0))
	for _, rule := range []ratelimit.Rule{
		{Sliding: true, Limit: 3, Window: time.Minute},
		{Sliding: true, Lifetime: 4},
	} {
		var l ratelimit.Log
		if !l.Empty() {
			t.Fatalf("%s: zero Log not Empty", rule)
		}
		if _, err := rule.Attempt(&l, c.Now, func() bool { return true }); err != nil || !l.Empty() {
			t.Fatalf("%s: after a success: Empty %v, error %v; want Empty", rule, l.Empty(), err)
		}
		if _, err := rule.Attempt(&l, c.Now, func() bool { return false }); err != nil || l.Empty() {
			t.Fatalf("%s: after a failure: Empty %v, error %v; want not Empty", rule, l.Empty(), err)
		}
		c.Advance(2 * time.Minute)
		if l.Empty() {
			t.Fatalf("%s: a Log with an expired event is Empty before any decision", rule)
		}
	}
}

// TestLogAttemptNilClock: a nil now is time.Now, not a panic.
func TestLogAttemptNilClock(t *testing.T) {
	rule := ratelimit.Rule{Sliding: true, Limit: 1, Window: time.Minute}
	var l ratelimit.Log
	if d, err := rule.Attempt(&l, nil, func() bool { return false }); err != nil || !d.Allowed {
		t.Fatalf("a failure with a nil clock: %+v, %v", d, err)
	}
	if d, err := rule.Attempt(&l, nil, func() bool { return true }); err != nil || d.Allowed || d.RetryAfter <= 0 {
		t.Fatalf("past the limit with a nil clock: %+v, %v; want refused with a wait", d, err)
	}
}
