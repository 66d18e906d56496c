package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
)

var errInjected = errors.New("injected store fault")

// faultStore fails every call: before reaching the inner store (a refused
// connection) or after it (a reply lost on the way back).
type faultStore struct {
	inner account.Store
	after bool
}

func (f faultStore) FindOrCreate(ctx context.Context, u authkit.User, c account.Credential, now time.Time) (authkit.User, bool, error) {
	if f.after {
		f.inner.FindOrCreate(ctx, u, c, now)
	}
	return authkit.User{ID: "leaked"}, true, errInjected
}

func (f faultStore) Link(ctx context.Context, id string, c account.Credential, now time.Time) (authkit.User, error) {
	if f.after {
		f.inner.Link(ctx, id, c, now)
	}
	return authkit.User{ID: "leaked"}, errInjected
}

func (f faultStore) Unlink(ctx context.Context, id, cid string) (authkit.User, error) {
	if f.after {
		f.inner.Unlink(ctx, id, cid)
	}
	return authkit.User{ID: "leaked"}, errInjected
}

func (f faultStore) Get(ctx context.Context, id string) (authkit.User, error) {
	return authkit.User{ID: "leaked"}, errInjected
}

func (f faultStore) UpdateProfile(ctx context.Context, id string, p account.Profile) (authkit.User, error) {
	if f.after {
		f.inner.UpdateProfile(ctx, id, p)
	}
	return authkit.User{ID: "leaked"}, errInjected
}

func (f faultStore) Delete(ctx context.Context, id string) error {
	if f.after {
		f.inner.Delete(ctx, id)
	}
	return errInjected
}

// TestStoreFaultFailsClosed: a store error reaches the caller as an error
// with a zero user (never a half-made sign-in), a refused call changes
// nothing, and a lost reply leaves a state that a retry resolves to the
// same user rather than a second one.
func TestStoreFaultFailsClosed(t *testing.T) {
	ctx := context.Background()
	for _, after := range []bool{false, true} {
		inner := account.NewMemoryStore()
		good := newService(t, inner)
		owner, _, err := good.FindOrCreate(ctx, emailCred("owner@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		s := newService(t, faultStore{inner: inner, after: after}, func(c *account.Config) {
			c.OnDelete = []account.Purger{account.PurgerFunc(func(context.Context, string) error { return nil })}
		})
		calls := []struct {
			name string
			do   func() (authkit.User, error)
		}{
			{"FindOrCreate", func() (authkit.User, error) {
				u, _, err := s.FindOrCreate(ctx, emailCred("new@example.com"))
				return u, err
			}},
			{"Link", func() (authkit.User, error) { return s.Link(ctx, owner.ID, emailCred("link@example.com")) }},
			{"Unlink", func() (authkit.User, error) { return s.Unlink(ctx, owner.ID, owner.VerifiedCredentials[0].ID) }},
			{"Get", func() (authkit.User, error) { return s.Get(ctx, owner.ID) }},
			{"Update", func() (authkit.User, error) {
				n := "x"
				return s.Update(ctx, owner.ID, account.Profile{FirstName: &n})
			}},
			{"Delete", func() (authkit.User, error) { return authkit.User{}, s.Delete(ctx, owner.ID) }},
		}
		for _, c := range calls {
			u, err := c.do()
			if !errors.Is(err, errInjected) || u.ID != "" {
				t.Fatalf("after=%v %s = %+v, %v; want a zero user and the fault", after, c.name, u.ID, err)
			}
		}
		got, err := inner.Get(ctx, owner.ID)
		if err != nil {
			t.Fatalf("after=%v: the owner is gone: %v", after, err)
		}
		if !after {
			// Refused calls changed nothing.
			if len(got.VerifiedCredentials) != 1 || got.FirstName != "" {
				t.Fatalf("a refused call changed the user: %+v", got)
			}
			if _, created, err := good.FindOrCreate(ctx, emailCred("new@example.com")); err != nil || !created {
				t.Fatalf("a refused FindOrCreate created a user: created=%v, %v", created, err)
			}
			continue
		}
		// A lost reply: a retry finds the one user the lost call made.
		u1, created, err := good.FindOrCreate(ctx, emailCred("new@example.com"))
		if err != nil || created {
			t.Fatalf("retry after a lost reply: created=%v, %v; want the existing user", created, err)
		}
		u2, _, _ := good.FindOrCreate(ctx, emailCred("new@example.com"))
		if u1.ID != u2.ID {
			t.Fatal("retries gave two users")
		}
	}
}
