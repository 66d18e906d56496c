package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/store/postgres"
	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

// TestCreateLimitedMatchesOneByOne: a Service on this store starts a
// verification in one round trip (VerificationStore.CreateLimited: the
// send limits and the insert in one statement) and decides every start as
// a Service on the memory store does, asking its limiters one by one: the
// same refusals, by the same limit, with the same RetryAfter.
func TestCreateLimitedMatchesOneByOne(t *testing.T) {
	s, writes := newCountingStore(t, 2)
	ctx := context.Background()
	base := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	clk := clock.NewFake(base)
	daily := ratelimit.Rule{Limit: 4, Window: 24 * time.Hour}
	newService := func(store verification.Store, dailyLimiter ratelimit.Limiter) *verification.Service {
		svc, err := verification.New(verification.Config{
			Store: store, Email: &verificationtest.Recorder{}, HashKeys: [][]byte{make([]byte, 32)},
			SendLimit: 3, SendWindow: 10 * time.Minute, Cooldown: 30 * time.Second,
			DailySendLimiter: dailyLimiter, Now: clk.Now,
		})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	pgDaily, err := s.Limiter(ratelimit.LimiterConfig{Name: "daily", Rule: daily, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	memDaily, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: daily, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	pgSvc := newService(s.Verifications(), pgDaily)
	memSvc := newService(verification.NewMemoryStore(), memDaily)

	type outcome struct {
		limited    bool
		retryAfter time.Duration
	}
	outcomeOf := func(err error) (outcome, error) {
		var le *ratelimit.LimitedError
		switch {
		case err == nil:
			return outcome{}, nil
		case errors.As(err, &le) && errors.Is(err, verification.ErrRateLimited):
			return outcome{true, le.RetryAfter}, nil
		}
		return outcome{}, err
	}
	// Offsets from base of each start to one address: cooldowns (30 s,
	// doubling), the window's count of 3, then the daily cap of 4 with
	// the window free again.
	steps := []time.Duration{0, 10 * time.Second, 30 * time.Second, 31 * time.Second, 90 * time.Second,
		3 * time.Minute, 4 * time.Minute, 12 * time.Minute, 13 * time.Minute, 30 * time.Minute, 7 * time.Hour}
	var allowed, refusedByWindow, refusedByDay int
	for i, off := range steps {
		clk.Set(base.Add(off))
		w0 := writes.Load()
		pgStarted, pgErr := pgSvc.Start(ctx, verification.StartRequest{Channel: verification.ChannelEmail, Email: "limited@example.com"})
		rt := writes.Load() - w0
		_, memErr := memSvc.Start(ctx, verification.StartRequest{Channel: verification.ChannelEmail, Email: "limited@example.com"})
		got, err := outcomeOf(pgErr)
		if err != nil {
			t.Fatalf("step %d (+%v): postgres: %v", i, off, err)
		}
		want, err := outcomeOf(memErr)
		if err != nil {
			t.Fatalf("step %d (+%v): memory: %v", i, off, err)
		}
		if got != want {
			t.Fatalf("step %d (+%v): postgres %+v, memory %+v", i, off, got, want)
		}
		if i > 0 && rt != 1 { // the first start prepares the statement
			t.Errorf("step %d: %d round trips, want 1", i, rt)
		}
		switch {
		case !got.limited:
			allowed++
			if _, err := s.Verifications().Get(ctx, pgStarted.ID); err != nil {
				t.Errorf("step %d: allowed start not stored: %v", i, err)
			}
		case got.retryAfter > time.Hour:
			refusedByDay++
		default:
			refusedByWindow++
		}
	}
	if allowed == 0 || refusedByWindow == 0 || refusedByDay == 0 {
		t.Errorf("allowed %d, refused by the window %d and by the daily cap %d: the steps miss a case", allowed, refusedByWindow, refusedByDay)
	}
}

// TestCreateLimitedEdges: limiters of another backend or store are
// refused with errors.ErrUnsupported having done nothing; a taken id is
// ErrDuplicate with the events counted; a refusal stores nothing.
func TestCreateLimitedEdges(t *testing.T) {
	s, _ := newStore(t, postgres.Options{})
	other, _ := newStore(t, postgres.Options{})
	ctx := context.Background()
	v := s.Verifications()
	rule := ratelimit.Rule{Limit: 2, Window: time.Hour}
	own, err := s.Limiter(ratelimit.LimiterConfig{Name: "edges", Rule: rule})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.Limiter(ratelimit.LimiterConfig{Name: "edges", Rule: rule})
	if err != nil {
		t.Fatal(err)
	}
	mem, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: rule})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	rec := func(id string) verification.Record {
		return verification.Record{ID: id, Channel: verification.ChannelEmail, Destination: "e@example.com",
			CodeHash: digestOf(id), Sends: 1, CreatedAt: now, SentAt: now, ExpiresAt: now.Add(time.Hour), PurgeAt: now.Add(2 * time.Hour)}
	}
	for _, tc := range []struct {
		name   string
		limits []ratelimit.Limiter
	}{
		{"memory limiter", []ratelimit.Limiter{own, mem}},
		{"another store's limiter", []ratelimit.Limiter{own, foreign}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := v.CreateLimited(ctx, rec("unsupported-"+tc.name), "k-unsupported", tc.limits)
			if !errors.Is(err, errors.ErrUnsupported) {
				t.Fatalf("CreateLimited = %v, want errors.ErrUnsupported", err)
			}
			if _, err := v.Get(ctx, "unsupported-"+tc.name); !errors.Is(err, verification.ErrNotFound) {
				t.Errorf("Get after ErrUnsupported = %v, want ErrNotFound", err)
			}
		})
	}
	// Nothing was counted above: the key still has its 2 events.
	for i, want := range []int{-1, -1, 0} {
		refused, d, err := v.CreateLimited(ctx, rec(fmt.Sprintf("counted-%d", i)), "k-unsupported", []ratelimit.Limiter{own})
		if err != nil || refused != want {
			t.Fatalf("CreateLimited %d = %d, %v, want %d", i, refused, err, want)
		}
		if want == 0 && (d.Allowed || d.RetryAfter <= 0) {
			t.Errorf("refusal's decision %+v, want a RetryAfter", d)
		}
		_, err = v.Get(ctx, fmt.Sprintf("counted-%d", i))
		if stored := err == nil; stored != (want < 0) {
			t.Errorf("CreateLimited %d: stored %v, want %v (%v)", i, stored, want < 0, err)
		}
	}
	if err := v.Create(ctx, rec("taken")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := v.CreateLimited(ctx, rec("taken"), "k-dup", []ratelimit.Limiter{own}); !errors.Is(err, verification.ErrDuplicate) {
		t.Fatalf("CreateLimited of a taken id = %v, want ErrDuplicate", err)
	}
	if d, err := own.Allow(ctx, "k-dup"); err != nil || !d.Allowed || d.Remaining != 0 {
		t.Errorf("Allow after a duplicate = %+v, %v: want the duplicate's event counted (allowed, 0 remaining)", d, err)
	}
	if _, _, err := v.CreateLimited(ctx, verification.Record{}, "k", nil); !errors.Is(err, postgres.ErrInvalidArgument) {
		t.Errorf("CreateLimited without an id = %v, want ErrInvalidArgument", err)
	}
}

// TestCreateLimitedConcurrent: 16 starts to one destination at once under
// a window of 5 and a cap of 2: exactly 2 are stored, 3 are refused by the
// cap and 11 by the window, whatever the interleaving and whatever the
// sessions' default isolation.
func TestCreateLimitedConcurrent(t *testing.T) {
	dsn := testDSN(t)
	for _, iso := range append([]string{"read committed"}, isolationLevels...) {
		t.Run(iso, func(t *testing.T) {
			s, err := postgres.New(isoPool(t, dsn, newSchema(t, dsn), iso, 16), postgres.Options{Timeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			testCreateLimitedConcurrent(t, s)
		})
	}
}

func testCreateLimitedConcurrent(t *testing.T, s *postgres.Store) {
	ctx := context.Background()
	v := s.Verifications()
	// One instant for every start: each reads its clock before it waits
	// for the key's lock, so with a real clock a later start could find
	// an earlier one's event in its future.
	now := time.Now().UTC().Truncate(time.Second)
	clock := func() time.Time { return now }
	window, err := s.Limiter(ratelimit.LimiterConfig{Name: "window", Rule: ratelimit.Rule{Sliding: true, Limit: 5, Window: time.Hour}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	capped, err := s.Limiter(ratelimit.LimiterConfig{Name: "cap", Rule: ratelimit.Rule{Limit: 2, Window: 24 * time.Hour}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	refusedBy := make([]int, n)
	errs := race.Run(n, func(i int) error {
		id := fmt.Sprintf("race-%d", i)
		var err error
		refusedBy[i], _, err = v.CreateLimited(ctx, verification.Record{ID: id, Channel: verification.ChannelEmail, Destination: "r@example.com",
			CodeHash: digestOf(id), Sends: 1, CreatedAt: now, SentAt: now, ExpiresAt: now.Add(time.Hour), PurgeAt: now.Add(2 * time.Hour)},
			"k-race", []ratelimit.Limiter{window, capped})
		return err
	})
	count := map[int]int{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("CreateLimited %d: %v", i, err)
		}
		count[refusedBy[i]]++
		_, err := v.Get(ctx, fmt.Sprintf("race-%d", i))
		if stored := err == nil; stored != (refusedBy[i] < 0) {
			t.Errorf("start %d refused by %d: stored %v", i, refusedBy[i], stored)
		}
	}
	if count[-1] != 2 || count[1] != 3 || count[0] != 11 {
		t.Errorf("stored %d, refused by the cap %d and by the window %d; want 2, 3, 11", count[-1], count[1], count[0])
	}
}

// TestAttemptOn: Attempt with the channel in its conditions, in one round
// trip: a record of the other channel is ErrNotFound and stays untouched,
// whatever the code; on its own channel AttemptOn decides as Attempt.
func TestAttemptOn(t *testing.T) {
	s, writes := newCountingStore(t, 1)
	ctx := context.Background()
	v := s.Verifications()
	now := time.Now().UTC().Truncate(time.Second)
	const id = "00000000-0000-4000-8000-0000000000a1"
	if err := v.Create(ctx, verification.Record{ID: id, Channel: verification.ChannelEmail, Destination: "on@example.com",
		CodeHash: digestOf(id), Sends: 1, CreatedAt: now, SentAt: now, ExpiresAt: now.Add(time.Hour), PurgeAt: now.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		ch   verification.Channel
		code []byte
		want error
	}{
		{verification.ChannelSMS, digestOf(id), verification.ErrNotFound},
		{verification.ChannelSMS, digestOf("x"), verification.ErrNotFound},
		{"", digestOf(id), verification.ErrNotFound},
		{verification.ChannelEmail, digestOf("x"), verification.ErrWrongCode},
		{verification.ChannelEmail, digestOf(id), nil},
		{verification.ChannelEmail, digestOf(id), verification.ErrAlreadyUsed},
		{verification.ChannelSMS, digestOf(id), verification.ErrNotFound},
	}
	for i, st := range steps {
		w0 := writes.Load()
		rec, err := v.AttemptOn(ctx, st.ch, id, [][]byte{st.code}, now, 5)
		if !errors.Is(err, st.want) || (st.want == nil) != (err == nil) {
			t.Fatalf("step %d: AttemptOn(%q) = %v, want %v", i, st.ch, err, st.want)
		}
		if rt := writes.Load() - w0; i > 0 && st.ch != "" && rt != 1 {
			t.Errorf("step %d: %d round trips, want 1", i, rt)
		}
		if err == nil && (rec.Channel != verification.ChannelEmail || rec.UsedAt.IsZero()) {
			t.Errorf("step %d: record %+v", i, rec)
		}
		if i == 2 { // the other channel changed nothing
			if rec, err := v.Get(ctx, id); err != nil || rec.Attempts != 0 || !rec.UsedAt.IsZero() {
				t.Fatalf("after other-channel attempts: %+v, %v", rec, err)
			}
		}
	}
	if rec, err := v.Get(ctx, id); err != nil || rec.Attempts != 1 {
		t.Errorf("attempts %d (%v), want the one wrong email code", rec.Attempts, err)
	}
}
