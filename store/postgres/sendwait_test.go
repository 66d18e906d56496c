package postgres_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/store/postgres"
	"github.com/authkit/authkit/verification"
)

// TestRecordSendMatchesSendWait compares the SQL port of the send rule
// (authkit_record_send) with verification.SendWait on random histories and
// limits: same wait, and a send recorded exactly when the wait is zero.
func TestRecordSendMatchesSendWait(t *testing.T) {
	s, pool := newStore(t, postgres.Options{})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	now := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	allowed, refused := 0, 0
	for i := range 400 {
		l := verification.SendLimits{
			Max:      rng.IntN(7), // 0 = no count limit
			Window:   time.Duration(1+rng.IntN(20)) * time.Minute,
			Cooldown: time.Duration(rng.IntN(4)) * 30 * time.Second,
		}
		// A history inside (now − Window, now], oldest first, in whole
		// seconds; sometimes with older sends the store must ignore.
		var hist, stored []time.Time
		for range rng.IntN(8) {
			back := time.Duration(rng.Int64N(int64(l.Window/time.Second))) * time.Second
			hist = append(hist, now.Add(-back))
		}
		slices.SortFunc(hist, func(a, b time.Time) int { return a.Compare(b) })
		hist = slices.Compact(hist)
		stored = hist
		if rng.IntN(3) == 0 {
			stored = append([]time.Time{now.Add(-l.Window - time.Minute), now.Add(-l.Window)}, hist...)
		}
		var micros []int64
		for _, h := range stored {
			micros = append(micros, h.UnixMicro())
		}
		dest := "diff:" + randomHex(t, 6)
		if len(micros) > 0 {
			if _, err := pool.Exec(ctx, `INSERT INTO authkit_verification_sends (destination, sent_at, purge_at) VALUES ($1, $2, 0)`, dest, micros); err != nil {
				t.Fatal(err)
			}
		}
		want := verification.SendWait(hist, now, l)
		err := s.Verifications().RecordSend(ctx, dest, now, l)
		var got time.Duration
		if err != nil {
			rl, ok := err.(*ratelimit.LimitedError)
			if !ok {
				t.Fatalf("case %d: RecordSend = %v", i, err)
			}
			got = rl.RetryAfter
		}
		if got != want {
			t.Fatalf("case %d: limits %+v, history %v at %v: SQL wait %v, SendWait %v", i, l, hist, now, got, want)
		}
		if want == 0 {
			allowed++
		} else {
			refused++
		}
		var after []int64
		if err := pool.QueryRow(ctx, `SELECT sent_at FROM authkit_verification_sends WHERE destination = $1`, dest).Scan(&after); err != nil {
			t.Fatal(err)
		}
		wantLen := len(micros)
		if want == 0 {
			wantLen = len(hist) + 1 // trimmed to the window, plus this send
		}
		if len(after) != wantLen {
			t.Fatalf("case %d: %d sends stored after a wait of %v, want %d", i, len(after), want, wantLen)
		}
	}
	if allowed < 50 || refused < 50 {
		t.Fatalf("%d allowed and %d refused cases: the random cases do not cover both outcomes", allowed, refused)
	}
}
