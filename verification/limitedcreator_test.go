package verification_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/verification"
)

// limitedCreator is a MemoryStore that is a LimitedCreator answering
// with err, or with a refusal by limiter refused (RetryAfter 2h), or (for
// refused < 0) by storing the record without counting anything.
type limitedCreator struct {
	*verification.MemoryStore
	err     error
	refused int
	calls   int
	limits  int
}

func (s *limitedCreator) CreateLimited(ctx context.Context, rec verification.Record, key string, limits []ratelimit.Limiter) (int, ratelimit.Decision, error) {
	s.calls++
	s.limits = len(limits)
	switch {
	case s.err != nil:
		return 0, ratelimit.Decision{}, s.err
	case s.refused >= 0:
		return s.refused, ratelimit.Decision{RetryAfter: 2 * time.Hour}, nil
	}
	return -1, ratelimit.Decision{Allowed: true}, s.MemoryStore.Create(ctx, rec)
}

// TestStartLimitedCreator: Start on a Store that is a LimitedCreator asks
// it once, with the send limiter and the daily cap, and maps its answer:
// stored (and the limiters not asked again one by one), a refusal
// (ErrRateLimited with the refusing limiter's RetryAfter), a taken id
// (ErrDuplicate), a failure (ErrSendLimitUnavailable, cause kept), and
// errors.ErrUnsupported, on which it asks the limiters one by one and
// calls Create. Only a stored start sends a code.
func TestStartLimitedCreator(t *testing.T) {
	ctx := context.Background()
	down := errors.New("backend down")
	tests := []struct {
		name    string
		err     error
		refused int
		want    error // nil: started
		// again: a second start at once succeeds (nothing counted by the
		// Service's own limiters) or meets the cooldown.
		againLimited bool
	}{
		{"stored", nil, -1, nil, false},
		{"refused by the daily cap", nil, 1, verification.ErrRateLimited, false},
		{"duplicate", fmt.Errorf("taken: %w", verification.ErrDuplicate), -1, verification.ErrDuplicate, false},
		{"unavailable", down, -1, verification.ErrSendLimitUnavailable, false},
		{"unsupported", fmt.Errorf("foreign limiter: %w", errors.ErrUnsupported), -1, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lc := &limitedCreator{MemoryStore: verification.NewMemoryStore(), err: tt.err, refused: tt.refused}
			f := newFixture(t, func(c *verification.Config) { c.Store = lc })
			_, err := f.svc.Start(ctx, smsReq(t))
			if lc.calls != 1 || lc.limits != 2 {
				t.Fatalf("CreateLimited called %d times with %d limiters, want once with 2", lc.calls, lc.limits)
			}
			if tt.want == nil {
				if err != nil || lc.Len() != 1 || f.sent.Len() != 1 {
					t.Fatalf("Start = %v; %d stored, %d sent; want started", err, lc.Len(), f.sent.Len())
				}
			} else {
				if !errors.Is(err, tt.want) || lc.Len() != 0 || f.sent.Len() != 0 {
					t.Fatalf("Start = %v; %d stored, %d sent; want %v, nothing stored or sent", err, lc.Len(), f.sent.Len(), tt.want)
				}
				if tt.want != verification.ErrSendLimitUnavailable && errors.Is(err, verification.ErrSendLimitUnavailable) {
					t.Errorf("Start = %v, not a limit failure", err)
				}
				if tt.err != nil && !errors.Is(err, tt.err) {
					t.Errorf("Start = %v, want the cause %v kept", err, tt.err)
				}
				if errors.Is(tt.want, verification.ErrRateLimited) {
					var le *ratelimit.LimitedError
					if !errors.As(err, &le) || le.RetryAfter != 2*time.Hour {
						t.Errorf("Start = %#v, want a LimitedError with RetryAfter 2h", err)
					}
				}
				return
			}
			_, err = f.svc.Start(ctx, smsReq(t))
			if limited := errors.Is(err, verification.ErrRateLimited); limited != tt.againLimited || !limited && err != nil {
				t.Fatalf("second Start = %v, want rate limited %v", err, tt.againLimited)
			}
		})
	}
}
