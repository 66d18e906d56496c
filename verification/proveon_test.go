package verification_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/verification"
)

// oneStepStore is a MemoryStore that is a ChannelAttempter, checking the
// channel before the attempt (under the store's lock in a real backend),
// and counting how ProveOn reaches it.
type oneStepStore struct {
	*verification.MemoryStore
	gets, attemptsOn atomic.Int32
}

func (s *oneStepStore) Get(ctx context.Context, id string) (verification.Record, error) {
	s.gets.Add(1)
	return s.MemoryStore.Get(ctx, id)
}

func (s *oneStepStore) AttemptOn(ctx context.Context, ch verification.Channel, id string, cands [][]byte, now time.Time, maxAttempts int) (verification.Record, error) {
	s.attemptsOn.Add(1)
	if rec, err := s.MemoryStore.Get(ctx, id); err == nil && rec.Channel != ch {
		return verification.Record{}, verification.ErrNotFound
	}
	return s.MemoryStore.Attempt(ctx, id, cands, now, maxAttempts)
}

// TestProveOn: on either kind of Store, a submission on the other
// channel's route is ErrNotFound and leaves the verification untouched
// (no attempt counted, still usable); on its own channel ProveOn is Prove.
// A ChannelAttempter is asked in one step, without a read first.
func TestProveOn(t *testing.T) {
	for _, oneStep := range []bool{false, true} {
		name := map[bool]string{false: "read then attempt", true: "ChannelAttempter"}[oneStep]
		t.Run(name, func(t *testing.T) {
			var st *oneStepStore
			f := newFixture(t, func(c *verification.Config) {
				if oneStep {
					st = &oneStepStore{MemoryStore: verification.NewMemoryStore()}
					c.Store = st
				}
			})
			store := f.cfg.Store
			ctx := context.Background()
			started, err := f.svc.Start(ctx, emailReq("on@example.com"))
			if err != nil {
				t.Fatal(err)
			}
			m, _ := f.sent.Last("on@example.com")
			for _, tc := range []struct {
				ch   verification.Channel
				code string
			}{
				{verification.ChannelSMS, m.Code},
				{verification.ChannelSMS, wrongCode(m.Code)},
				{"fax", m.Code},
			} {
				if _, err := f.svc.ProveOn(ctx, tc.ch, started.ID, tc.code); !errors.Is(err, verification.ErrNotFound) {
					t.Fatalf("ProveOn(%q) of an email verification = %v, want ErrNotFound", tc.ch, err)
				}
			}
			if rec, err := store.Get(ctx, started.ID); err != nil || rec.Attempts != 0 || !rec.UsedAt.IsZero() {
				t.Fatalf("after other-channel submissions: %+v, %v; want untouched", rec, err)
			}
			if _, err := f.svc.ProveOn(ctx, verification.ChannelEmail, started.ID, wrongCode(m.Code)); !errors.Is(err, verification.ErrWrongCode) {
				t.Fatalf("ProveOn(email, wrong code) = %v, want ErrWrongCode", err)
			}
			p, err := f.svc.ProveOn(ctx, verification.ChannelEmail, started.ID, m.Code)
			if err != nil || p.Credential().Email != "on@example.com" || !p.Canonical() {
				t.Fatalf("ProveOn(email) = %+v, %v", p, err)
			}
			if _, err := f.svc.ProveOn(ctx, verification.ChannelEmail, started.ID, m.Code); !errors.Is(err, verification.ErrAlreadyUsed) {
				t.Fatalf("ProveOn replayed = %v, want ErrAlreadyUsed", err)
			}
			if oneStep {
				gets := st.gets.Load()
				if on := st.attemptsOn.Load(); on != 5 || gets != 1 { // "fax" reaches no store; the one Get is the test's
					t.Errorf("ChannelAttempter: %d AttemptOn and %d Get calls, want 5 and 1", on, gets)
				}
			}
		})
	}
}
