package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/store/postgres"
	"github.com/authkit/authkit/verification"
)

// Benchmarks of the hot atomic operations against the local server, with 1
// and 16 concurrent clients (goroutines sharing one pool of 16
// connections). Each reports latency percentiles (p50-µs, p99-µs) and round
// trips per operation (rt/op: writes on the connections, see countingConn),
// next to BenchmarkRawFloor, one prepared SELECT: the cost of a round trip.

var clientCounts = []int{1, 16}

// bench runs op b.N times split over clients goroutines; op gets the
// client's index and a per-client sequence number.
func bench(b *testing.B, writes *atomic.Int64, clients int, op func(ctx context.Context, client, seq int) error) {
	ctx := context.Background()
	for c := range clients { // warm up: prepare statements on the connections
		if err := op(ctx, c, -1-c); err != nil {
			b.Fatal(err)
		}
	}
	var (
		mu   sync.Mutex
		lats []time.Duration
		next atomic.Int64
		wg   sync.WaitGroup
	)
	b.ReportAllocs()
	b.ResetTimer()
	before := writes.Load()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for seq := 0; ; seq++ {
				if next.Add(1) > int64(b.N) {
					break
				}
				start := time.Now()
				if err := op(ctx, c, seq); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(writes.Load()-before)/float64(b.N), "rt/op")
	slices.Sort(lats)
	if len(lats) > 0 {
		pct := func(p float64) float64 {
			return float64(lats[int(math.Ceil(p*float64(len(lats))))-1].Microseconds())
		}
		b.ReportMetric(pct(0.50), "p50-µs")
		b.ReportMetric(pct(0.99), "p99-µs")
	}
}

// benchStore returns a migrated store in a fresh schema and its round-trip
// counter.
func benchStore(b *testing.B) (*postgres.Store, *atomic.Int64) {
	return newCountingStore(b, 16)
}

func BenchmarkRawFloor(b *testing.B) {
	for _, clients := range clientCounts {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			dsn := testDSN(b)
			pool, writes := newCountingPool(b, dsn, newSchema(b, dsn), 16)
			bench(b, writes, clients, func(ctx context.Context, _, _ int) error {
				var n int
				return pool.QueryRow(ctx, `SELECT $1::int`, 1).Scan(&n)
			})
		})
	}
}

// BenchmarkVerificationCheck: a wrong code submitted to a pending
// verification (the UPDATE … RETURNING path every check takes), one
// verification per client.
func BenchmarkVerificationCheck(b *testing.B) {
	for _, clients := range clientCounts {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			s, writes := benchStore(b)
			v := s.Verifications()
			now := time.Now()
			for c := range clients {
				id := fmt.Sprintf("bench-%d", c)
				if err := v.Create(context.Background(), verification.Record{ID: id, CodeHash: digestOf(id), Sends: 1,
					CreatedAt: now, SentAt: now, ExpiresAt: now.Add(time.Hour), PurgeAt: now.Add(time.Hour)}); err != nil {
					b.Fatal(err)
				}
			}
			wrong := [][]byte{digestOf("wrong")}
			bench(b, writes, clients, func(ctx context.Context, c, _ int) error {
				_, err := v.Attempt(ctx, fmt.Sprintf("bench-%d", c), wrong, now, math.MaxInt32)
				if err == verification.ErrWrongCode {
					return nil
				}
				return err
			})
		})
	}
}

// BenchmarkTOTPMarkStepUsed: the replay-proof step reservation of a TOTP
// sign-in, one device per client, always a new step.
func BenchmarkTOTPMarkStepUsed(b *testing.B) {
	for _, clients := range clientCounts {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			s, writes := benchStore(b)
			m := s.MFA()
			setupDevices(b, m, clients)
			var steps [16]atomic.Uint64
			bench(b, writes, clients, func(ctx context.Context, c, _ int) error {
				return m.MarkStepUsed(ctx, fmt.Sprintf("u-%d", c), fmt.Sprintf("d-%d", c), 1000+steps[c].Add(1))
			})
		})
	}
}

// BenchmarkTOTPAuthenticate: the three store calls of mfa.Service's TOTP
// sign-in: the failure limiter takes a slot, mark the step, refund the
// slot.
func BenchmarkTOTPAuthenticate(b *testing.B) {
	for _, clients := range clientCounts {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			s, writes := benchStore(b)
			m := s.MFA()
			setupDevices(b, m, clients)
			failures, err := s.Limiter(ratelimit.LimiterConfig{Name: "mfa-totp-failures",
				Rule: ratelimit.Rule{Sliding: true, Limit: 5, Window: 5 * time.Minute, Lifetime: 100}})
			if err != nil {
				b.Fatal(err)
			}
			var steps [16]atomic.Uint64
			bench(b, writes, clients, func(ctx context.Context, c, _ int) error {
				key := fmt.Sprintf("totp:u-%d", c)
				if d, err := failures.Allow(ctx, key); err != nil || !d.Allowed {
					return fmt.Errorf("reserve: %+v %v", d, err)
				}
				if err := m.MarkStepUsed(ctx, fmt.Sprintf("u-%d", c), fmt.Sprintf("d-%d", c), 1000+steps[c].Add(1)); err != nil {
					return err
				}
				return failures.Refund(ctx, key)
			})
		})
	}
}

func setupDevices(b *testing.B, m *postgres.MFAStore, n int) {
	now := time.Now()
	for c := range n {
		u, d := fmt.Sprintf("u-%d", c), fmt.Sprintf("d-%d", c)
		if err := createDevice(context.Background(), m, mfa.DeviceRecord{ID: d, UserID: u, SealedSecret: []byte{1}, CreatedAt: now}, 10); err != nil {
			b.Fatal(err)
		}
		if _, err := confirmDevice(context.Background(), m, u, d, 1, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStateConsume: consuming a saved OAuth state (each op its own,
// saved beforehand with COPY).
func BenchmarkStateConsume(b *testing.B) {
	for _, clients := range clientCounts {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			dsn := testDSN(b)
			pool, writes := newCountingPool(b, dsn, newSchema(b, dsn), 16)
			s, err := postgres.New(pool, postgres.Options{})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if _, err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			name := func(c, seq int) string { return fmt.Sprintf("st-%d-%d", c, seq) }
			// Every (client, seq) that can occur: warm-ups use seq < 0.
			perClient := b.N + 1
			rows := make([][]any, 0, clients*(perClient+1))
			for c := range clients {
				for seq := -1 - c; seq < perClient; seq++ {
					if seq < 0 && seq != -1-c {
						continue
					}
					rows = append(rows, []any{name(c, seq), "p", "r", now, now.Add(time.Hour)})
				}
			}
			if _, err := pool.CopyFrom(ctx, pgx.Identifier{"authkit_oauth_states"},
				[]string{"state", "provider", "redirect_url", "created_at", "expires_at"}, pgx.CopyFromRows(rows)); err != nil {
				b.Fatal(err)
			}
			st := s.OAuthStates()
			bench(b, writes, clients, func(ctx context.Context, c, seq int) error {
				_, err := st.Consume(ctx, name(c, seq), now)
				return err
			})
		})
	}
}

// BenchmarkJTIConsume: recording a fresh token id (the single-use elevated
// token check).
func BenchmarkJTIConsume(b *testing.B) {
	for _, clients := range clientCounts {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			s, writes := benchStore(b)
			ss := s.Sessions()
			now := time.Now()
			prefix := randomHex(b, 4)
			bench(b, writes, clients, func(ctx context.Context, c, seq int) error {
				return ss.ConsumeJTI(ctx, fmt.Sprintf("%s-%d-%d", prefix, c, seq), now.Add(time.Hour), now)
			})
		})
	}
}

// BenchmarkLimiterAllow: one allowed event per op, one key per client.
func BenchmarkLimiterAllow(b *testing.B) {
	for _, clients := range clientCounts {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			s, writes := benchStore(b)
			l, err := s.Limiter(ratelimit.LimiterConfig{Name: "bench", Rule: ratelimit.Rule{Limit: ratelimit.MaxLimit, Window: time.Hour}})
			if err != nil {
				b.Fatal(err)
			}
			bench(b, writes, clients, func(ctx context.Context, c, _ int) error {
				d, err := l.Allow(ctx, fmt.Sprintf("k-%d", c))
				if err == nil && !d.Allowed {
					return fmt.Errorf("denied")
				}
				return err
			})
		})
	}
}

// BenchmarkRecoveryAuthenticate: the store calls of mfa.Service's
// recovery-code sign-in with a right code, paired: path=limiter is the
// limiter path (the failure limiter takes a slot, consume, refund the
// slot), path=attempter the one call of mfa.RecoveryAttempter the Service
// now makes. Each client's 100-code set is replaced once its codes are
// used (one round trip per 100 operations, on both paths).
func BenchmarkRecoveryAuthenticate(b *testing.B) {
	const size = 100
	rule := ratelimit.Rule{Sliding: true, Limit: 5, Window: 5 * time.Minute}
	for _, clients := range clientCounts {
		for _, path := range []string{"limiter", "attempter"} {
			b.Run(fmt.Sprintf("clients=%d/path=%s", clients, path), func(b *testing.B) {
				s, writes := benchStore(b)
				m := s.MFA()
				failures, err := s.Limiter(ratelimit.LimiterConfig{Name: "mfa-recovery-failures", Rule: rule})
				if err != nil {
					b.Fatal(err)
				}
				sets := make([]mfa.RecoverySet, clients)
				for c := range clients {
					sets[c] = recoverySetOf(fmt.Sprintf("u-%d", c), size)
					if err := m.ReplaceRecoverySet(context.Background(), sets[c]); err != nil {
						b.Fatal(err)
					}
				}
				bench(b, writes, clients, func(ctx context.Context, c, seq int) error {
					user := sets[c].UserID
					code := digestOf("warm-up")
					if seq >= 0 {
						if seq > 0 && seq%size == 0 {
							if err := m.ReplaceRecoverySet(ctx, sets[c]); err != nil {
								return err
							}
						}
						code = sets[c].Codes[seq%size].Digest
					}
					if path == "attempter" {
						_, d, err := m.AttemptRecoveryCode(ctx, user, [][]byte{code}, rule, time.Now)
						if seq < 0 && errors.Is(err, mfa.ErrNotFound) {
							return nil
						} else if err == nil && !d.Allowed {
							return fmt.Errorf("refused: %+v", d)
						}
						return err
					}
					key := "recovery:" + user
					if d, err := failures.Allow(ctx, key); err != nil || !d.Allowed {
						return fmt.Errorf("reserve: %+v %v", d, err)
					}
					if _, err := m.ConsumeRecoveryCode(ctx, user, code); err != nil {
						if seq < 0 && errors.Is(err, mfa.ErrNotFound) {
							return nil
						}
						return err
					}
					return failures.Refund(ctx, key)
				})
			})
		}
	}
}
