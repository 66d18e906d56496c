package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/mfa/mfatest"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/ratelimit/ratelimittest"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/sessiontest"
	"github.com/authkit/authkit/store/postgres"
	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

// A host may run its database with default_transaction_isolation set to
// repeatable read (or set it per role). The store's multi-statement
// operations take a lock and then decide on what is committed; under
// repeatable read the transaction's snapshot would be taken before the lock
// is granted, so the store must not depend on the session's default.

// isoPool opens a pool on schema whose transactions default to iso.
func isoPool(t *testing.T, dsn, schema, iso string, maxConns int32) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	postgres.WithSchema(cfg, schema)
	cfg.ConnConfig.RuntimeParams["default_transaction_isolation"] = iso
	cfg.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

var isolationLevels = []string{"repeatable read", "serializable"}

// TestMigrateConcurrentIsolation: concurrent Migrate calls all succeed
// whatever the sessions' default isolation.
func TestMigrateConcurrentIsolation(t *testing.T) {
	dsn := testDSN(t)
	for _, iso := range isolationLevels {
		t.Run(iso, func(t *testing.T) {
			schema := newSchema(t, dsn)
			const procs = 4
			stores := make([]*postgres.Store, procs)
			for i := range stores {
				s, err := postgres.New(isoPool(t, dsn, schema, iso, 2), postgres.Options{Timeout: time.Minute})
				if err != nil {
					t.Fatal(err)
				}
				stores[i] = s
			}
			results := make([][]int, procs)
			errs := make([]error, procs)
			together(procs, func(i int) { results[i], errs[i] = stores[i].Migrate(context.Background()) })
			var all []int
			for i := range procs {
				if errs[i] != nil {
					t.Fatalf("Migrate %d under %s: %v", i, iso, errs[i])
				}
				all = append(all, results[i]...)
			}
			slices.Sort(all)
			if want := versions(); !slices.Equal(all, want) {
				t.Fatalf("versions applied: %v, want each of %v once", all, want)
			}
		})
	}
}

// isoStores returns two migrated stores (two "processes") on one fresh
// schema whose sessions default to iso.
func isoStores(t *testing.T, iso string) (*postgres.Store, *postgres.Store) {
	t.Helper()
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	var out [2]*postgres.Store
	for i := range out {
		s, err := postgres.New(isoPool(t, dsn, schema, iso, 8), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = s
	}
	if _, err := out[0].Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return out[0], out[1]
}

// TestDeviceLimitIsolation: the device limit holds under every isolation
// level a host may default to.
func TestDeviceLimitIsolation(t *testing.T) {
	for _, iso := range isolationLevels {
		t.Run(iso, func(t *testing.T) {
			a, b := isoStores(t, iso)
			const n, limit = 16, 2
			for round := range 5 {
				user := fmt.Sprintf("u-%d", round)
				errs := make([]error, n)
				together(n, func(i int) {
					s := []*postgres.Store{a, b}[i%2]
					errs[i] = createDevice(context.Background(), s.MFA(), mfa.DeviceRecord{ID: fmt.Sprintf("dev-%d-%d", round, i), UserID: user,
						Verified: true, SealedSecret: []byte{1}, CreatedAt: farPast}, limit)
				})
				ok := 0
				for _, err := range errs {
					switch {
					case err == nil:
						ok++
					case !errors.Is(err, mfa.ErrTooManyDevices):
						t.Fatalf("CreateDevice: %v", err)
					}
				}
				list, err := a.MFA().ListDevices(context.Background(), user)
				if ok != limit || err != nil || len(list) != limit {
					t.Fatalf("round %d under %s: %d concurrent creations with limit %d: %d succeeded, %d stored (%v)", round, iso, n, limit, ok, len(list), err)
				}
			}
		})
	}
}

// TestRecoveryRemainingIsolation: concurrent consumptions of distinct codes
// report distinct remaining counts (10 codes, 10 consumers: 0…9 each once),
// by ConsumeRecoveryCode and by AttemptRecoveryCode.
func TestRecoveryRemainingIsolation(t *testing.T) {
	rule := ratelimit.Rule{Sliding: true, Limit: 3, Window: time.Minute}
	consumers := []struct {
		name    string
		consume func(m *postgres.MFAStore, user string, digest []byte) (int, error)
	}{
		{"ConsumeRecoveryCode", func(m *postgres.MFAStore, user string, digest []byte) (int, error) {
			return m.ConsumeRecoveryCode(context.Background(), user, digest)
		}},
		{"AttemptRecoveryCode", func(m *postgres.MFAStore, user string, digest []byte) (int, error) {
			n, d, err := m.AttemptRecoveryCode(context.Background(), user, [][]byte{digestOf("other key"), digest}, rule, time.Now)
			if err == nil && !d.Allowed {
				return 0, errors.New("refused")
			}
			return n, err
		}},
	}
	for _, iso := range isolationLevels {
		for _, c := range consumers {
			t.Run(iso+"/"+c.name, func(t *testing.T) {
				testRecoveryRemainingIsolation(t, iso, c.consume)
			})
		}
	}
}

func testRecoveryRemainingIsolation(t *testing.T, iso string, consume func(m *postgres.MFAStore, user string, digest []byte) (int, error)) {
	a, b := isoStores(t, iso)
	ctx := context.Background()
	const size = 10
	for round := range 3 {
		user := fmt.Sprintf("u-%d", round)
		set := recoverySetOf(user, size)
		if err := a.MFA().ReplaceRecoverySet(ctx, set); err != nil {
			t.Fatal(err)
		}
		left := make([]int, size)
		errs := make([]error, size)
		together(size, func(i int) {
			s := []*postgres.Store{a, b}[i%2]
			left[i], errs[i] = consume(s.MFA(), user, set.Codes[i].Digest)
		})
		for _, err := range errs {
			if err != nil {
				t.Fatalf("consume: %v", err)
			}
		}
		slices.Sort(left)
		for i, n := range left {
			if n != i {
				t.Fatalf("round %d under %s: remaining counts %v, want 0…%d each once", round, iso, left, size-1)
			}
		}
	}
}

// TestSuitesIsolation runs every conformance suite (their concurrency cases
// included) with sessions defaulting to repeatable read: single statements
// that lose a race there fail with a serialization error, which the store
// retries.
func TestSuitesIsolation(t *testing.T) {
	dsn := testDSN(t)
	pool := isoPool(t, dsn, newSchema(t, dsn), "repeatable read", 8)
	a, err := postgres.New(pool, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Run("verification", func(t *testing.T) {
		verificationtest.RunStoreTests(t, func(t *testing.T) verification.Store { return onPool(t, pool).Verifications() })
	})
	t.Run("mfa", func(t *testing.T) {
		mfatest.RunStoreTests(t, func(t *testing.T) mfa.Store { return onPool(t, pool).MFA() })
	})
	t.Run("session", func(t *testing.T) {
		sessiontest.RunStoreTests(t, func(*testing.T) session.Store { return a.Sessions() })
	})
	t.Run("oauth", func(t *testing.T) {
		oauthtest.RunStoreTests(t, func(*testing.T) oauth.Store { return a.OAuthStates() })
	})
	t.Run("ratelimit", func(t *testing.T) {
		ratelimittest.RunLimiterTests(t, func(t *testing.T, rule ratelimit.Rule, now func() time.Time) ratelimit.Counter {
			s, err := postgres.New(pool, postgres.Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			l, err := s.Limiter(ratelimit.LimiterConfig{Name: "suite-" + randomHex(t, 8), Rule: rule})
			if err != nil {
				t.Fatal(err)
			}
			return l
		})
	})
}
