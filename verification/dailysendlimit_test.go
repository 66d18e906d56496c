package verification_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

// dailyRefill is how often the default daily cap gives one send back:
// 24 h / 20.
const dailyRefill = verification.DefaultDailySendWindow / verification.DefaultDailySendLimit

// TestDailySendLimit drives one destination to the default daily cap
// through the default window limits (5 per 10 min, doubling cooldown):
// every send is first tried too early and refused by the window limits,
// then retried exactly RetryAfter later. The window refusals must spend no
// daily sends; the 21st send in 24 h is refused with the cap's RetryAfter;
// other destinations are unaffected.
func TestDailySendLimit(t *testing.T) {
	ctx := context.Background()
	type sendFunc func(f *fixture, i int) error
	start := func(req func(i int) verification.StartRequest) sendFunc {
		return func(f *fixture, i int) error {
			_, err := f.svc.Start(ctx, req(i))
			return err
		}
	}
	// startThenResend starts one verification and resends it after.
	startThenResend := func(req verification.StartRequest) sendFunc {
		var id string
		return func(f *fixture, i int) error {
			if id == "" {
				st, err := f.svc.Start(ctx, req)
				id = st.ID
				return err
			}
			_, err := f.svc.Resend(ctx, id, verification.ResendRequest{})
			return err
		}
	}
	spellings := []string{"victim@gmail.com", "Victim+1@gmail.com", "v.i.c.t.i.m@googlemail.com", "victim+x@ｇｍａｉｌ.com", "VICTIM@gmail。com"}
	tests := []struct {
		name  string
		send  sendFunc
		other verification.StartRequest // a destination that must still get codes
	}{
		{"sms starts", start(func(int) verification.StartRequest { return smsReq(t) }), emailReq("a@example.com")},
		{"email start and resends", startThenResend(emailReq("a@example.com")), emailReq("b@example.com")},
		{"sms start and resends", startThenResend(smsReq(t)), verification.StartRequest{Channel: verification.ChannelSMS, Phone: mustPhone(t, "+19172113334")}},
		{"spellings of one mailbox", start(func(i int) verification.StartRequest { return emailReq(spellings[i%len(spellings)]) }), emailReq("victim2@gmail.com")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			first := f.clock.Now()
			for i := 0; i < verification.DefaultDailySendLimit; i++ {
				if i > 0 {
					// Too early: the window limits refuse, and that must
					// not count against the daily cap.
					err := tc.send(f, i)
					var rl *ratelimit.LimitedError
					if !errors.As(err, &rl) || rl.RetryAfter <= 0 || rl.RetryAfter > verification.DefaultSendWindow {
						t.Fatalf("send %d, too early: %v; want a window refusal", i+1, err)
					}
					f.clock.Advance(rl.RetryAfter)
				}
				if err := tc.send(f, i); err != nil {
					t.Fatalf("send %d at +%v: %v", i+1, f.clock.Now().Sub(first), err)
				}
			}
			// Clear the window limits entirely; the daily cap has not
			// given a send back yet (checked, so the 21st is within it).
			f.clock.Advance(verification.DefaultSendWindow)
			if el := f.clock.Now().Sub(first); el >= dailyRefill {
				t.Fatalf("20 sends took %v, not under %v: the test no longer isolates the cap", el, dailyRefill)
			}
			records := f.store.Len()
			err := tc.send(f, verification.DefaultDailySendLimit)
			var rl *ratelimit.LimitedError
			if !errors.Is(err, verification.ErrRateLimited) || !errors.As(err, &rl) {
				t.Fatalf("21st send = %v, want *ratelimit.LimitedError", err)
			}
			if want := first.Add(dailyRefill).Sub(f.clock.Now()); rl.RetryAfter != want {
				t.Fatalf("RetryAfter = %v, want %v (the cap's next refill)", rl.RetryAfter, want)
			}
			if f.sent.Len() != verification.DefaultDailySendLimit || f.store.Len() != records {
				t.Fatalf("refused send: %d sent, %d records (was %d)", f.sent.Len(), f.store.Len(), records)
			}
			// Other destinations are not affected.
			if _, err := f.svc.Start(ctx, tc.other); err != nil {
				t.Fatalf("other destination: %v", err)
			}
			// At RetryAfter one send is back (the window has cleared, and the
			// refused send's entry in it is older than the cooldown it set).
			f.clock.Advance(rl.RetryAfter)
			if err := tc.send(f, verification.DefaultDailySendLimit+1); err != nil {
				t.Fatalf("send after RetryAfter: %v", err)
			}
			f.clock.Advance(verification.DefaultSendWindow)
			if err := tc.send(f, verification.DefaultDailySendLimit+2); !errors.Is(err, verification.ErrRateLimited) {
				t.Fatalf("second send after the refill = %v, want ErrRateLimited", err)
			}
		})
	}
}

// keyLimiter records the keys it is asked about and allows or fails.
type keyLimiter struct {
	mu   sync.Mutex
	keys []string
	err  error
}

func (l *keyLimiter) Allow(_ context.Context, key string) (ratelimit.Decision, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = append(l.keys, key)
	if l.err != nil {
		return ratelimit.Decision{}, l.err
	}
	return ratelimit.Decision{Allowed: true}, nil
}

// A host's limiter gets the send-limit key: channel and E.164 number, or
// channel and folded mailbox. Refusals by the window limits never reach it.
func TestDailySendLimiterKey(t *testing.T) {
	ctx := context.Background()
	l := &keyLimiter{}
	f := newFixture(t, func(c *verification.Config) { c.DailySendLimiter = l })
	for _, req := range []verification.StartRequest{smsReq(t), emailReq("V.ictim+news@GoogleMail.com"), smsReq(t)} {
		_, _ = f.svc.Start(ctx, req) // the second SMS is refused by the cooldown
	}
	want := []string{"sms:+19172113333", "email:victim@gmail.com"}
	if fmt.Sprint(l.keys) != fmt.Sprint(want) {
		t.Fatalf("limiter keys = %q, want %q", l.keys, want)
	}
}

// A limiter that cannot decide refuses the send: typed error, cause kept,
// nothing stored or sent, and a resend leaves the current code in place.
func TestDailySendLimiterFailsClosed(t *testing.T) {
	ctx := context.Background()
	cause := errors.New("limiter backend down")
	l := &keyLimiter{}
	f := newFixture(t, func(c *verification.Config) {
		c.DailySendLimiter = l
		c.Cooldown = -1
	})
	st, err := f.svc.Start(ctx, smsReq(t))
	if err != nil {
		t.Fatal(err)
	}
	code := f.sent.Code(t, usNumber)
	l.mu.Lock()
	l.err = cause
	l.mu.Unlock()
	tests := []struct {
		name string
		send func() error
	}{
		{"start", func() error { _, err := f.svc.Start(ctx, smsReq(t)); return err }},
		{"resend", func() error { _, err := f.svc.Resend(ctx, st.ID, verification.ResendRequest{}); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.send()
			if !errors.Is(err, verification.ErrSendLimitUnavailable) || !errors.Is(err, cause) || errors.Is(err, verification.ErrRateLimited) {
				t.Fatalf("send with failing limiter = %v", err)
			}
			if f.sent.Len() != 1 || f.store.Len() != 1 {
				t.Fatalf("%d sent, %d records; want 1 and 1", f.sent.Len(), f.store.Len())
			}
		})
	}
	if _, err := f.svc.Check(ctx, st.ID, code); err != nil {
		t.Fatalf("the code sent before the failures: %v", err)
	}
}

// NoDailySendLimit (value or pointer) turns the cap off.
func TestDailySendLimitDisabled(t *testing.T) {
	for _, l := range []ratelimit.Limiter{verification.NoDailySendLimit{}, &verification.NoDailySendLimit{}} {
		t.Run(fmt.Sprintf("%T", l), func(t *testing.T) {
			f := newFixture(t, func(c *verification.Config) {
				c.DailySendLimiter = l
				c.SendLimit, c.Cooldown = -1, -1
			})
			for i := range 3 * verification.DefaultDailySendLimit {
				if _, err := f.svc.Start(context.Background(), smsReq(t)); err != nil {
					t.Fatalf("start %d: %v", i+1, err)
				}
			}
		})
	}
}

// Of N concurrent starts to one destination, with the window limits off,
// exactly DefaultDailySendLimit are sent.
func TestDailySendLimitConcurrent(t *testing.T) {
	const n = 64
	f := newFixture(t, func(c *verification.Config) { c.SendLimit, c.Cooldown = -1, -1 })
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, limited := 0, 0
	for range n {
		wg.Go(func() {
			_, err := f.svc.Start(context.Background(), emailReq("victim@example.com"))
			mu.Lock()
			defer mu.Unlock()
			var rl *ratelimit.LimitedError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &rl) && rl.RetryAfter > 0:
				limited++
			default:
				t.Errorf("Start: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != verification.DefaultDailySendLimit || limited != n-ok || f.sent.Len() != ok || f.store.Len() != ok {
		t.Fatalf("%d allowed, %d limited, %d sent, %d stored; want %d allowed", ok, limited, f.sent.Len(), f.store.Len(), verification.DefaultDailySendLimit)
	}
}

func ExampleConfig_dailySendLimiter() {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC) // a fixed clock for the example
	svc, err := verification.New(verification.Config{
		Store:    verification.NewMemoryStore(),
		Email:    &verificationtest.Recorder{},
		HashKeys: [][]byte{bytes.Repeat([]byte("k"), 32)},
		// One process: nil means an in-memory cap of 20 sends a day. With
		// several instances, pass a shared limiter instead, such as
		// pg.Limiter(ratelimit.LimiterConfig{Name: "verification-daily-sends", Rule: verification.DefaultDailySendRule()}).
		DailySendLimiter: nil,
		SendLimit:        -1, // the 10-minute limits off, to reach the cap at once
		Cooldown:         -1,
		Now:              func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	for i := 1; i <= 21; i++ {
		if _, err := svc.Start(ctx, verification.StartRequest{Channel: verification.ChannelEmail, Email: "jane@example.com"}); err != nil {
			fmt.Printf("send %d: %v\n", i, err)
		}
	}
	// Output:
	// send 21: verification: too many sends to this destination; retry after 1h12m0s
}

// failingSends is a MemoryStore whose send limiter (SendLimiterName)
// cannot decide once fail is set.
type failingSends struct {
	*verification.MemoryStore
	fail *error
}

func (s failingSends) Limiter(cfg ratelimit.LimiterConfig) (ratelimit.Counter, error) {
	c, err := s.MemoryStore.Limiter(cfg)
	if err != nil || cfg.Name != verification.SendLimiterName {
		return c, err
	}
	return failingCounter{Counter: c, fail: s.fail}, nil
}

type failingCounter struct {
	ratelimit.Counter
	fail *error
}

func (c failingCounter) Allow(ctx context.Context, key string) (ratelimit.Decision, error) {
	if *c.fail != nil {
		return ratelimit.Decision{}, *c.fail
	}
	return c.Counter.Allow(ctx, key)
}

// The store's send limiter failing refuses the send the same way as the
// daily cap failing (and as the one-statement path of a store that
// implements LimitedCreator): ErrSendLimitUnavailable, cause kept.
func TestSendLimiterFailsClosed(t *testing.T) {
	ctx := context.Background()
	var fail error
	store := failingSends{MemoryStore: verification.NewMemoryStore(), fail: &fail}
	f := newFixture(t, func(c *verification.Config) {
		c.Store = store
		c.DailySendLimiter = verification.NoDailySendLimit{}
	})
	st, err := f.svc.Start(ctx, smsReq(t))
	if err != nil {
		t.Fatal(err)
	}
	fail = errors.New("send limiter backend down")
	for name, send := range map[string]func() error{
		"start":  func() error { _, err := f.svc.Start(ctx, smsReq(t)); return err },
		"resend": func() error { _, err := f.svc.Resend(ctx, st.ID, verification.ResendRequest{}); return err },
	} {
		err := send()
		if !errors.Is(err, verification.ErrSendLimitUnavailable) || !errors.Is(err, fail) || errors.Is(err, verification.ErrRateLimited) {
			t.Fatalf("%s with failing send limiter = %v", name, err)
		}
	}
	if f.sent.Len() != 1 || store.Len() != 1 {
		t.Fatalf("%d sent, %d records; want 1 and 1", f.sent.Len(), store.Len())
	}
}
