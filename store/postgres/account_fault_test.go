package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit/store/postgres"
)

// TestAccountFaultFailsClosed: account operations that block on another
// transaction's locks and hit the caller's deadline return ErrUnavailable
// and change nothing: no user is created, no credential linked or
// unlinked, no user deleted.
func TestAccountFaultFailsClosed(t *testing.T) {
	s, pool := newStore(t, postgres.Options{})
	a := s.Accounts()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	owner, _, err := a.FindOrCreate(ctx, acctUser(now), acctCred("owner"), now)
	if err != nil {
		t.Fatal(err)
	}
	owner, err = a.Link(ctx, owner.ID, acctCred("second"), now)
	if err != nil {
		t.Fatal(err)
	}
	contested := acctCred("contested")

	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	// The owner's row is locked, and a concurrent first sign-in with the
	// contested key is in flight.
	if _, err := holder.Exec(ctx, `SELECT 1 FROM authkit_users WHERE id = $1 FOR UPDATE`, owner.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(ctx, `INSERT INTO authkit_users (id, first_visit, last_visit) VALUES ('holder', now(), now())`); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(ctx, `INSERT INTO authkit_user_credentials (id, user_id, key, sign_in_enabled, data) VALUES ('h', 'holder', $1, true, '{}')`, contested.Key); err != nil {
		t.Fatal(err)
	}
	ops := []struct {
		name string
		fn   func(ctx context.Context) error
	}{
		{"FindOrCreate", func(ctx context.Context) error {
			_, _, err := a.FindOrCreate(ctx, acctUser(now), contested, now)
			return err
		}},
		{"Link", func(ctx context.Context) error { _, err := a.Link(ctx, owner.ID, acctCred("third"), now); return err }},
		{"Unlink", func(ctx context.Context) error {
			_, err := a.Unlink(ctx, owner.ID, owner.VerifiedCredentials[1].ID)
			return err
		}},
		{"Delete", func(ctx context.Context) error { return a.Delete(ctx, owner.ID) }},
	}
	for _, o := range ops {
		ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		err := o.fn(ctx)
		cancel()
		if !errors.Is(err, postgres.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s while blocked: %v; want ErrUnavailable and the deadline", o.name, err)
		}
	}
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := a.Get(ctx, owner.ID)
	if err != nil || len(got.VerifiedCredentials) != 2 {
		t.Fatalf("after the faults the owner is %+v, %v; want it unchanged with 2 credentials", got.VerifiedCredentials, err)
	}
	if _, created, err := a.FindOrCreate(ctx, acctUser(now), contested, now); err != nil || !created {
		t.Fatalf("the contested key after the faults: created=%v, %v; want a new user", created, err)
	}
}
