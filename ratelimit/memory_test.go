package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/ratelimit/ratelimittest"
)

func TestMemoryConformance(t *testing.T) {
	ratelimittest.RunLimiterTests(t, func(t *testing.T, rule ratelimit.Rule, now func() time.Time) ratelimit.Counter {
		m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: rule, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return m
	})
}

func TestNewMemoryRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  ratelimit.MemoryConfig
		want error
	}{
		{"zero rule", ratelimit.MemoryConfig{}, ratelimit.ErrInvalidRule},
		{"negative limit", ratelimit.MemoryConfig{Rule: ratelimit.Rule{Limit: -1, Window: time.Second}}, ratelimit.ErrInvalidRule},
		{"zero window", ratelimit.MemoryConfig{Rule: ratelimit.Rule{Limit: 1}}, ratelimit.ErrInvalidRule},
		{"negative MaxKeys", ratelimit.MemoryConfig{Rule: ratelimit.Rule{Limit: 1, Window: time.Second}, MaxKeys: -1}, ratelimit.ErrConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ratelimit.NewMemory(tc.cfg)
			if !errors.Is(err, tc.want) || m != nil {
				t.Fatalf("NewMemory(%+v) = %v, %v; want nil, %v", tc.cfg, m, err, tc.want)
			}
		})
	}
}

func TestMemoryEvictsIdleKeys(t *testing.T) {
	c := clock.NewFake(time.Unix(1_700_000_000, 0))
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: ratelimit.Rule{Limit: 10, Window: time.Minute}, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 1000 {
		if _, err := m.Allow(ctx, fmt.Sprintf("k%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := m.Len(); got != 1000 {
		t.Fatalf("Len = %d after 1000 distinct keys, want 1000", got)
	}
	// One event per key keeps its state for Window/Limit = 6 s.
	c.Advance(6 * time.Second)
	// Expired keys are dropped a few at a time by calls landing on their
	// shard; traffic over 64 live keys reaches every shard.
	for i := 0; m.Len() > 64; i++ {
		if i > 50000 {
			t.Fatalf("idle keys not evicted: Len = %d after %d further calls", m.Len(), i)
		}
		if _, err := m.Allow(ctx, fmt.Sprintf("live%d", i%64)); err != nil {
			t.Fatal(err)
		}
	}
	if d, _ := m.Allow(ctx, "k1"); !d.Allowed || d.Remaining != 9 {
		t.Fatalf("an evicted idle key must behave as new: got %+v", d)
	}
}

func TestMemoryKeepsKeysStillLimited(t *testing.T) {
	c := clock.NewFake(time.Unix(1_700_000_000, 0))
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: ratelimit.Rule{Limit: 2, Window: time.Minute}, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m.Allow(ctx, "victim")
	m.Allow(ctx, "victim")
	c.Advance(59 * time.Second)
	for i := range 100 {
		m.Allow(ctx, fmt.Sprintf("other%d", i))
	}
	if d, _ := m.Allow(ctx, "victim"); !d.Allowed {
		t.Fatalf("victim: one event should have refilled after 59 s of 30 s interval: %+v", d)
	}
	if d, _ := m.Allow(ctx, "victim"); d.Allowed {
		t.Fatalf("victim was forgotten while still limited: %+v", d)
	}
}

func TestMemoryMaxKeysEvictsNearestToRefilled(t *testing.T) {
	c := clock.NewFake(time.Unix(1_700_000_000, 0))
	const maxKeys = 8
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{
		Rule: ratelimit.Rule{Limit: 3, Window: time.Hour}, Now: c.Now, MaxKeys: maxKeys,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// "heavy" is exhausted, so its state lies furthest in the future.
	for range 3 {
		m.Allow(ctx, "heavy")
	}
	for i := range 100 {
		c.Advance(time.Millisecond)
		if _, err := m.Allow(ctx, fmt.Sprintf("flood%d", i)); err != nil {
			t.Fatal(err)
		}
		if got := m.Len(); got > maxKeys {
			t.Fatalf("Len = %d > MaxKeys %d", got, maxKeys)
		}
	}
	if d, _ := m.Allow(ctx, "heavy"); d.Allowed {
		t.Fatalf("the most limited key was evicted first: %+v", d)
	}
}

func TestMemoryDefaultMaxKeys(t *testing.T) {
	c := clock.NewFake(time.Unix(1_700_000_000, 0))
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: ratelimit.Rule{Limit: 1, Window: time.Hour}, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range ratelimit.DefaultMaxKeys + 5000 {
		m.Allow(ctx, fmt.Sprint(i))
	}
	if got := m.Len(); got > ratelimit.DefaultMaxKeys || got < ratelimit.DefaultMaxKeys*9/10 {
		t.Fatalf("Len = %d, want at most and near DefaultMaxKeys %d", got, ratelimit.DefaultMaxKeys)
	}
}

func TestMemoryUsesRealClockByDefault(t *testing.T) {
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: ratelimit.Rule{Limit: 1, Window: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := m.Allow(context.Background(), "k"); !d.Allowed {
		t.Fatal("first event denied")
	}
	if d, _ := m.Allow(context.Background(), "k"); d.Allowed || d.RetryAfter <= 59*time.Minute {
		t.Fatalf("second event: %+v, want denied for about an hour", d)
	}
}

func TestLimitedError(t *testing.T) {
	err := fmt.Errorf("send code: %w", ratelimit.Decision{RetryAfter: 30 * time.Second}.Err())
	if !errors.Is(err, ratelimit.ErrLimited) {
		t.Fatalf("%v does not match ErrLimited", err)
	}
	var le *ratelimit.LimitedError
	if !errors.As(err, &le) || le.RetryAfter != 30*time.Second {
		t.Fatalf("errors.As: %v, %+v", err, le)
	}
	if errors.Is(err, ratelimit.ErrInvalidRule) {
		t.Fatal("LimitedError matches an unrelated sentinel")
	}
	if got, want := le.Error(), "ratelimit: rate limit exceeded, retry after 30s"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if (ratelimit.Decision{Allowed: true}).Err() != nil {
		t.Fatal("allowed decision has an error")
	}
}

// A package's own sentinel rides in LimitedError.Err: errors.Is matches it
// and ErrLimited, errors.As reads RetryAfter, and the message is the
// sentinel's.
func TestLimitedErrorSentinel(t *testing.T) {
	errSends := errors.New("pkg: too many sends")
	err := fmt.Errorf("start: %w", ratelimit.Decision{RetryAfter: 90 * time.Second}.ErrAs(errSends))
	var le *ratelimit.LimitedError
	switch {
	case !errors.Is(err, errSends), !errors.Is(err, ratelimit.ErrLimited):
		t.Fatalf("%v does not match both sentinels", err)
	case !errors.As(err, &le) || le.RetryAfter != 90*time.Second || le.Err != errSends:
		t.Fatalf("errors.As: %+v", le)
	case errors.Is(err, ratelimit.ErrInvalidRule):
		t.Fatal("matches an unrelated sentinel")
	case le.Error() != "pkg: too many sends; retry after 1m30s":
		t.Fatalf("Error() = %q", le.Error())
	}
	if (ratelimit.Decision{Allowed: true}).ErrAs(errSends) != nil {
		t.Fatal("allowed decision has an error")
	}
}

func TestMemoryLongKeys(t *testing.T) {
	c := clock.NewFake(time.Unix(1_700_000_000, 0))
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: ratelimit.Rule{Limit: 1, Window: time.Hour}, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	long := strings.Repeat("k", 10_000)
	for _, k := range []string{long + "a", long + "b"} {
		if d, _ := m.Allow(ctx, k); !d.Allowed {
			t.Fatalf("first event for a distinct long key denied: %+v", d)
		}
		if d, _ := m.Allow(ctx, k); d.Allowed {
			t.Fatalf("long key not limited: %+v", d)
		}
	}
}
