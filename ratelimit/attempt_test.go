package ratelimit_test

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/ratelimit"
)

var attemptRules = []ratelimit.Rule{
	{Limit: 3, Window: time.Minute},
	{Sliding: true, Limit: 3, Window: time.Minute},
	{Sliding: true, Limit: 3, Window: time.Minute, Lifetime: 5},
	{Sliding: true, Limit: 3, Window: time.Minute, Cooldown: time.Second},
}

// TestAttemptCountsOnlyFailures: successes never take an event; failures
// do, up to the rule; a denied attempt does not run.
func TestAttemptCountsOnlyFailures(t *testing.T) {
	for _, rule := range attemptRules {
		t.Run(rule.String(), func(t *testing.T) {
			c := clock.NewFake(time.Unix(1_700_000_000, 0))
			m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: rule, Now: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			runs := 0
			attempt := func(ok bool) ratelimit.Decision {
				t.Helper()
				d, err := m.Attempt(ctx, "k", func() bool { runs++; return ok })
				if err != nil {
					t.Fatal(err)
				}
				return d
			}
			for i := range 10 {
				if d := attempt(true); !d.Allowed {
					t.Fatalf("success %d denied: %+v", i, d)
				}
			}
			if m.Len() != 0 {
				t.Fatalf("successes left %d keys held", m.Len())
			}
			failures := 0
			for i := range 10 {
				c.Advance(time.Second) // past any cooldown
				if d := attempt(false); d.Allowed {
					failures++
				} else if i < 3 && rule.Cooldown == 0 {
					t.Fatalf("failure %d denied: %+v", i, d)
				}
			}
			if failures != 3 {
				t.Fatalf("%d failures allowed in the window, want 3", failures)
			}
			before := runs
			if d := attempt(true); d.Allowed || d.RetryAfter <= 0 {
				t.Fatalf("attempt at the limit: %+v, want denied with a RetryAfter", d)
			}
			if runs != before {
				t.Fatal("a denied attempt ran")
			}
			// Allow sees the same failures.
			if d, _ := m.Allow(ctx, "k"); d.Allowed {
				t.Fatalf("Allow after 3 failures: %+v", d)
			}
		})
	}
}

// TestAttemptCanceled: a done context runs nothing and records nothing.
func TestAttemptCanceled(t *testing.T) {
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: ratelimit.Rule{Sliding: true, Limit: 1, Window: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Attempt(ctx, "k", func() bool { t.Fatal("ran"); return false }); err == nil {
		t.Fatal("no error for a canceled context")
	}
	if m.Len() != 0 {
		t.Fatal("a canceled attempt was recorded")
	}
}

// TestAttemptParallel: N failing attempts racing on one key run exactly
// as often as the rule allows events, also with successes mixed in.
func TestAttemptParallel(t *testing.T) {
	for _, rule := range attemptRules {
		t.Run(rule.String(), func(t *testing.T) {
			m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: rule})
			if err != nil {
				t.Fatal(err)
			}
			// Racing successes all run: none takes a slot.
			var succeeded atomic.Int64
			race.Run(64, func(int) error {
				d, err := m.Attempt(context.Background(), "hot", func() bool { succeeded.Add(1); return true })
				if err == nil && !d.Allowed {
					t.Errorf("a success was denied: %+v", d)
				}
				return err
			})
			if succeeded.Load() != 64 {
				t.Fatalf("64 racing successes: %d ran", succeeded.Load())
			}
			// Half failing: exactly the allowed number of failures run.
			var failed atomic.Int64
			race.Run(64, func(i int) error {
				_, err := m.Attempt(context.Background(), "hot", func() bool {
					if i%2 == 0 {
						return true
					}
					failed.Add(1)
					return false
				})
				return err
			})
			want := int64(3)
			if rule.Cooldown > 0 {
				want = 1
			}
			if failed.Load() != want {
				t.Fatalf("64 racing (half failing): %d failures ran, want exactly %d", failed.Load(), want)
			}
		})
	}
}

// TestAttemptMatchesAllowRefund: on random sequences, an attempt decides
// as Allow does, and a success leaves the key as Allow then Refund would.
func TestAttemptMatchesAllowRefund(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 24 {
		rule := ratelimit.Rule{Limit: 1 + rng.IntN(5), Window: time.Duration(1+rng.IntN(20)) * time.Second}
		if i%3 != 0 {
			rule.Sliding = true
			rule.Cooldown = time.Duration(rng.IntN(4)) * 500 * time.Millisecond
			if i%4 == 1 {
				rule.Lifetime = 4 + rng.IntN(10)
			}
		}
		c := clock.NewFake(time.Unix(1_700_000_000, 0))
		a, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: rule, Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: rule, Now: c.Now})
		ctx := context.Background()
		for j := range 60 {
			c.Advance(time.Duration(rng.IntN(3000)) * time.Millisecond)
			ok := rng.IntN(3) == 0
			got, err := a.Attempt(ctx, "k", func() bool { return ok })
			if err != nil {
				t.Fatal(err)
			}
			want, _ := ref.Allow(ctx, "k")
			if want.Allowed && ok {
				if err := ref.Refund(ctx, "k"); err != nil {
					t.Fatal(err)
				}
			}
			if got.Allowed != want.Allowed || got.RetryAfter != want.RetryAfter {
				t.Fatalf("%s, step %d (success %v): Attempt %+v, Allow %+v", rule, j, ok, got, want)
			}
		}
	}
}
