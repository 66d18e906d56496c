package redis

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/ratelimit"
)

// BenchmarkRecoveryAuthenticate is the store side of one successful
// recovery-code sign-in, both ways mfa.Service can do it, paired:
// "attempter" is AttemptRecoveryCode (one script), "limiter" the path of a
// store without mfa.RecoveryAttempter (reserve a failure slot, consume the
// code, refund the slot: three round trips). Each client is a user with
// a set big enough for every call to use a fresh right code, so run it
// with a count (-benchtime=2000x), not a duration.
func BenchmarkRecoveryAuthenticate(b *testing.B) {
	s := newTestStore(b)
	rule := ratelimit.Rule{Sliding: true, Limit: mfa.DefaultMaxAttempts, Window: mfa.DefaultFailureWindow}
	failures, err := s.Limiter(ratelimit.LimiterConfig{Name: mfa.RecoveryFailureLimiterName, Rule: rule})
	if err != nil {
		b.Fatal(err)
	}
	paths := []struct {
		name string
		fn   func(ctx context.Context, user string, digest []byte) error
	}{
		{"attempter", func(ctx context.Context, user string, digest []byte) error {
			_, d, err := s.MFA().AttemptRecoveryCode(ctx, user, [][]byte{digest}, rule, time.Now)
			if err == nil && !d.Allowed {
				return fmt.Errorf("refused: %+v", d)
			}
			return err
		}},
		{"limiter", func(ctx context.Context, user string, digest []byte) error {
			k := "recovery:" + user
			if d, err := failures.Allow(ctx, k); err != nil || !d.Allowed {
				return fmt.Errorf("reserve: %+v %v", d, err)
			}
			if _, err := s.MFA().ConsumeRecoveryCode(ctx, user, digest); err != nil {
				return err
			}
			return failures.Refund(ctx, k)
		}},
	}
	forClients(b, func(b *testing.B, clients int) {
		for _, p := range paths { // side by side, for paired figures
			b.Run("path="+p.name, func(b *testing.B) {
				// A client may make all b.N calls; each one's next code is
				// its own counter (a client's calls are sequential).
				users, digests := recoveryBenchSets(b, s, clients, b.N)
				used := make([]int, clients)
				measure(b, clients, func(ctx context.Context, w, _ int) error {
					used[w]++
					return p.fn(ctx, users[w], digests[w][used[w]-1])
				})
			})
		}
	})
}

// recoveryBenchSets stores one set of n codes for each of clients fresh
// users and returns the users and their codes' digests.
func recoveryBenchSets(b *testing.B, s *Store, clients, n int) ([]string, [][][]byte) {
	b.Helper()
	users := make([]string, clients)
	digests := make([][][]byte, clients)
	for w := range users {
		users[w] = fmt.Sprintf("recovery-user-%d-%d", benchRun.Add(1), w)
		set := mfa.RecoverySet{UserID: users[w], CreatedAt: time.Now().UTC()}
		for i := range n {
			d := fmt.Appendf(nil, "digest-%032d", i)
			digests[w] = append(digests[w], d)
			set.Codes = append(set.Codes, mfa.RecoveryCodeRecord{Digest: d, Sealed: make([]byte, 48)})
		}
		if err := s.MFA().ReplaceRecoverySet(context.Background(), set); err != nil {
			b.Fatal(err)
		}
	}
	return users, digests
}
