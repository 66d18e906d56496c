package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/store/postgres"
)

// deadlockTracer counts the statements PostgreSQL aborted as deadlocked.
// A batch counts once, at its end. The store re-runs those, so results stay right; the count shows the
// lock order, each deadlock being a deadlock_timeout stall.
type deadlockTracer struct{ n atomic.Int64 }

func (d *deadlockTracer) note(err error) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "40P01" {
		d.n.Add(1)
	}
}

func (d *deadlockTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}
func (d *deadlockTracer) TraceQueryEnd(_ context.Context, _ *pgx.Conn, e pgx.TraceQueryEndData) {
	d.note(e.Err)
}
func (d *deadlockTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (d *deadlockTracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, e pgx.TraceBatchQueryData) {
	d.note(e.Err)
}
func (d *deadlockTracer) TraceBatchEnd(_ context.Context, _ *pgx.Conn, e pgx.TraceBatchEndData) {
	d.note(e.Err)
}

// TestAccountLockOrder: every operation that locks a user and one of its
// credentials takes the credential first, so a sign-in, a link, an
// unlink and a delete racing on one credential never deadlock.
func TestAccountLockOrder(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	tr := &deadlockTracer{}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	postgres.WithSchema(cfg, schema)
	cfg.ConnConfig.Tracer = tr
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s := migrated(t, pool, postgres.Options{})
	ctx := context.Background()
	a := s.Accounts()
	now := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	cred := func(addr string) account.Credential {
		c, k, err := account.Key(authkit.VerifiedCredential{Format: authkit.FormatEmail, Email: addr})
		if err != nil {
			t.Fatal(err)
		}
		c.ID = randomHex(t, 16)
		return account.Credential{Key: k, VerifiedCredential: c}
	}
	again := func(c account.Credential) account.Credential { c.ID = randomHex(t, 16); return c }
	type op func(u authkit.User, x account.Credential) error
	var (
		unlinkX op = func(u authkit.User, x account.Credential) error {
			_, err := a.Unlink(ctx, u.ID, u.VerifiedCredentials[0].ID)
			return err
		}
		signInX op = func(_ authkit.User, x account.Credential) error {
			_, _, err := a.FindOrCreate(ctx, authkit.User{ID: randomHex(t, 16)}, again(x), now)
			return err
		}
		relinkX op = func(u authkit.User, x account.Credential) error {
			_, err := a.Link(ctx, u.ID, again(x), now)
			if errors.Is(err, account.ErrNotFound) || errors.Is(err, account.ErrCredentialTaken) {
				return nil
			}
			return err
		}
		deleteU op = func(u authkit.User, _ account.Credential) error { return a.Delete(ctx, u.ID) }
	)
	pairs := []struct {
		name string
		a, b op
	}{
		{"Unlink/FindOrCreate", unlinkX, signInX},
		{"Unlink/Link", unlinkX, relinkX},
		{"Delete/FindOrCreate", deleteU, signInX},
		{"Delete/Unlink", deleteU, unlinkX},
		{"Delete/Link", deleteU, relinkX},
	}
	for _, p := range pairs {
		for round := range 25 {
			x := cred(fmt.Sprintf("x-%s@example.com", randomHex(t, 8)))
			u, _, err := a.FindOrCreate(ctx, authkit.User{ID: randomHex(t, 16)}, x, now)
			if err != nil {
				t.Fatal(err)
			}
			if u, err = a.Link(ctx, u.ID, cred(fmt.Sprintf("y-%s@example.com", randomHex(t, 8))), now); err != nil {
				t.Fatal(err)
			}
			errs := race.Run(2, func(i int) error {
				if i == 0 {
					return p.a(u, x)
				}
				return p.b(u, x)
			})
			for i, err := range errs {
				// An unlink after the delete finds no user; nothing else fails.
				if err != nil && !errors.Is(err, account.ErrNotFound) {
					t.Fatalf("%s round %d op %d: %v", p.name, round, i, err)
				}
			}
		}
	}
	if n := tr.n.Load(); n != 0 {
		t.Fatalf("%d deadlocks: a lock order differs between account operations", n)
	}
}
