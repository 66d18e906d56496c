package redis

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/verification"
)

// Benchmarks of the hot atomic operations against the shared server on
// loopback, each next to BenchmarkRawFloor (a PING: one bare round trip).
// Every sub-benchmark runs with 1 and 16 concurrent clients and reports
// p50/p99 latency and throughput (ops/s). Round trips per operation are
// checked by TestKeyLayout (one per atomic operation once its script is
// loaded; counted as go-redis process and pipeline calls).

var benchClients = []int{1, 16}

// benchRun numbers benchmark runs: with -count, a sub-benchmark runs again
// on the same store, so records need names unique per run.
var benchRun atomic.Int64

// measure runs op b.N times over clients goroutines and reports latency
// percentiles and throughput. op gets its goroutine's number w (so each
// client can own a record) and a distinct index i per call.
func measure(b *testing.B, clients int, op func(ctx context.Context, w, i int) error) {
	b.Helper()
	ctx := context.Background()
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := op(ctx, w, i); err != nil {
					failed.Store(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
}

func forClients(b *testing.B, fn func(b *testing.B, clients int)) {
	for _, c := range benchClients {
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) { fn(b, c) })
	}
}

// BenchmarkRawFloor is one PING round trip: the floor under every
// operation below.
func BenchmarkRawFloor(b *testing.B) {
	c := testClient(b)
	forClients(b, func(b *testing.B, clients int) {
		measure(b, clients, func(ctx context.Context, _, _ int) error { return c.Ping(ctx).Err() })
	})
}

// BenchmarkVerificationAttempt is a code check (Store.Attempt): a wrong
// code against a record whose attempt limit is never reached, so every
// call runs the full script (compare, count, return the record).
func BenchmarkVerificationAttempt(b *testing.B) {
	s := newTestStore(b)
	now := time.Now().UTC()
	forClients(b, func(b *testing.B, clients int) {
		ids := make([]string, clients)
		for i := range ids {
			ids[i] = fmt.Sprintf("bench-%d-%d", benchRun.Add(1), i)
			r := verification.Record{ID: ids[i], Channel: verification.ChannelSMS, Destination: "+19172113333",
				CodeHash: make([]byte, 32), Sends: 1, CreatedAt: now, SentAt: now, ExpiresAt: now.Add(time.Hour), PurgeAt: now.Add(time.Hour)}
			if err := s.Verifications().Create(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		}
		cand := [][]byte{make([]byte, 32), make([]byte, 32)}
		cand[0][0], cand[1][0] = 1, 2
		measure(b, clients, func(ctx context.Context, w, _ int) error {
			_, err := s.Verifications().Attempt(ctx, ids[w], cand, now, 1<<30)
			if err == verification.ErrWrongCode {
				return nil
			}
			return err
		})
	})
}

// BenchmarkTOTPMarkStepUsed is the TOTP replay guard alone: one script.
func BenchmarkTOTPMarkStepUsed(b *testing.B) {
	s := newTestStore(b)
	forClients(b, func(b *testing.B, clients int) {
		users, steps := totpDevices(b, s, clients)
		measure(b, clients, func(ctx context.Context, w, _ int) error {
			return s.MFA().MarkStepUsed(ctx, users[w], "device", steps[w].Add(1))
		})
	})
}

// BenchmarkTOTPAuthenticate is the store side of one successful TOTP
// sign-in as mfa.Service does it: ReserveAttempt, MarkStepUsed,
// ReleaseAttempt (three round trips).
func BenchmarkTOTPAuthenticate(b *testing.B) {
	s := newTestStore(b)
	now := time.Now().UTC()
	forClients(b, func(b *testing.B, clients int) {
		users, steps := totpDevices(b, s, clients)
		measure(b, clients, func(ctx context.Context, w, _ int) error {
			u := users[w]
			ok, _, err := s.MFA().ReserveAttempt(ctx, "totp:"+u, now, 5*time.Minute, 5, 100)
			if err != nil || !ok {
				return fmt.Errorf("reserve: %v %v", ok, err)
			}
			if err := s.MFA().MarkStepUsed(ctx, u, "device", steps[w].Add(1)); err != nil {
				return err
			}
			return s.MFA().ReleaseAttempt(ctx, "totp:"+u, now)
		})
	})
}

// totpDevices makes one confirmed device per client (a client per user, so
// steps only ever increase).
func totpDevices(b *testing.B, s *Store, clients int) ([]string, []*atomic.Uint64) {
	users := make([]string, clients)
	steps := make([]*atomic.Uint64, clients)
	now := time.Now().UTC()
	for i := range users {
		users[i] = fmt.Sprintf("user-%d-%d", benchRun.Add(1), i)
		steps[i] = new(atomic.Uint64)
		steps[i].Store(1)
		d := mfa.DeviceRecord{ID: "device", UserID: users[i], Type: mfa.DeviceTypeTOTP, SealedSecret: make([]byte, 48), CreatedAt: now}
		if err := createDevice(context.Background(), s.MFA(), d, 5); err != nil {
			b.Fatal(err)
		}
		if _, err := confirmDevice(context.Background(), s.MFA(), users[i], "device", 1, now); err != nil {
			b.Fatal(err)
		}
	}
	return users, steps
}

// BenchmarkStateConsume consumes a fresh OAuth state per call (saved
// beforehand, outside the timing).
func BenchmarkStateConsume(b *testing.B) {
	s := newTestStore(b)
	now := time.Now().UTC()
	forClients(b, func(b *testing.B, clients int) {
		prefix := fmt.Sprintf("st-%d-", benchRun.Add(1))
		var wg sync.WaitGroup
		for w := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < b.N; i += 16 {
					rec := oauth.State{State: prefix + fmt.Sprint(i), Provider: "github",
						RedirectURL:  "https://api.example.com/providers/github/redirect",
						CodeVerifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
						CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
					if err := s.OAuthStates().Create(context.Background(), rec, now); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		measure(b, clients, func(ctx context.Context, _, i int) error {
			_, err := s.OAuthStates().Consume(ctx, prefix+fmt.Sprint(i), now)
			return err
		})
	})
}

// BenchmarkJTIConsume records a fresh single-use token id per call.
func BenchmarkJTIConsume(b *testing.B) {
	s := newTestStore(b)
	now := time.Now().UTC()
	forClients(b, func(b *testing.B, clients int) {
		prefix := fmt.Sprintf("jti-%d-", benchRun.Add(1))
		measure(b, clients, func(ctx context.Context, _, i int) error {
			return s.Sessions().ConsumeJTI(ctx, prefix+fmt.Sprint(i), now.Add(5*time.Minute), now)
		})
	})
}
