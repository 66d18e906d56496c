package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/store/postgres"
)

// unreachableStore returns a Store whose pool points at a loopback port
// nobody listens on (pgxpool connects lazily, so this needs no server).
func unreachableStore(t *testing.T, opts postgres.Options) *postgres.Store {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), fmt.Sprintf("postgres://postgres@127.0.0.1:%d/authkit?sslmode=disable&connect_timeout=2", freePort(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s, err := postgres.New(pool, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewValidates(t *testing.T) {
	if _, err := postgres.New(nil, postgres.Options{}); !errors.Is(err, postgres.ErrConfig) {
		t.Fatalf("New(nil pool) = %v, want ErrConfig", err)
	}
	s := unreachableStore(t, postgres.Options{})
	if _, err := s.Limiter(ratelimit.LimiterConfig{Name: "", Rule: ratelimit.Rule{Limit: 1, Window: time.Second}}); !errors.Is(err, postgres.ErrConfig) {
		t.Fatalf("Limiter with no name = %v, want ErrConfig", err)
	}
	if _, err := s.Limiter(ratelimit.LimiterConfig{Name: "x", Rule: ratelimit.Rule{}}); !errors.Is(err, ratelimit.ErrInvalidRule) || !errors.Is(err, postgres.ErrConfig) {
		t.Fatalf("Limiter with a zero rule = %v, want ErrConfig wrapping ErrInvalidRule", err)
	}
	if _, err := s.Limiter(ratelimit.LimiterConfig{Name: "y", Rule: ratelimit.Rule{Limit: 1, Window: time.Second}}); err != nil {
		t.Fatalf("Limiter(y) = %v", err)
	}
	if _, err := s.Limiter(ratelimit.LimiterConfig{Name: "y", Rule: ratelimit.Rule{Limit: 2, Window: time.Second}}); !errors.Is(err, ratelimit.ErrConfig) || !errors.Is(err, postgres.ErrConfig) {
		t.Fatalf("Limiter(y) with another rule = %v, want ErrConfig wrapping ratelimit.ErrConfig", err)
	}
}

// TestInvalidArguments: values the schema cannot hold are refused before
// any I/O (the store here has no server), never stored truncated.
func TestInvalidArguments(t *testing.T) {
	s := unreachableStore(t, postgres.Options{})
	ctx := context.Background()
	m, ss := s.MFA(), s.Sessions()
	for name, err := range map[string]error{
		"MarkStepUsed(2^63)":   m.MarkStepUsed(ctx, "u", "d", math.MaxInt64+1),
		"ConsumeJTI(\"\")":     ss.ConsumeJTI(ctx, "", time.Now(), time.Now()),
		"session Create(\"\")": ss.Create(ctx, session.Record{}),
	} {
		if !errors.Is(err, postgres.ErrInvalidArgument) {
			t.Errorf("%s = %v, want ErrInvalidArgument", name, err)
		}
	}
}

// TestInvalidDeviceStep: a TOTP step the bigint column cannot hold is
// refused by UpdateDevices (once the devices are read: the rules run in Go
// in between), and nothing is stored truncated.
func TestInvalidDeviceStep(t *testing.T) {
	s, _ := newStore(t, postgres.Options{})
	ctx := context.Background()
	m := s.MFA()
	if err := createDevice(ctx, m, mfa.DeviceRecord{ID: "d", UserID: "u", SealedSecret: []byte{1}, CreatedAt: farPast}, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := confirmDevice(ctx, m, "u", "d", math.MaxUint64, time.Now()); !errors.Is(err, postgres.ErrInvalidArgument) {
		t.Errorf("ConfirmDevice(2^64-1) = %v, want ErrInvalidArgument", err)
	}
	d, err := m.GetDevice(ctx, "u", "d")
	if err != nil || d.Verified || d.LastStep != 0 {
		t.Fatalf("device after a refused step = %+v, %v; want unchanged", d, err)
	}
}

// TestUnreachableServer: with no server at all, every operation returns
// ErrUnavailable and grants nothing; a canceled context is reported as
// such.
func TestUnreachableServer(t *testing.T) {
	s := unreachableStore(t, postgres.Options{Timeout: 2 * time.Second})
	f := &fixture{s: s, now: time.Now(), verifID: "v", codeHash: digestOf("c"), userID: "u", deviceID: "d",
		recovery: digestOf("r"), token: digestOf("t"), state: "state-0123456789abcdef", session: "s", jti: "j"}
	expectUnavailable(t, f.ops(t), 3*time.Second, false)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, o := range f.ops(t) {
		granted, err := o.do(ctx)
		if !errors.Is(err, postgres.ErrUnavailable) || !errors.Is(err, context.Canceled) || granted {
			t.Errorf("%s with a canceled context: granted %v, err %v; want ErrUnavailable and context.Canceled", o.name, granted, err)
		}
	}
}
