package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
)

// deleteAfterFind is an account store that runs hook between a sign-in's
// read of an existing user and the rest of the sign-in: the window in
// which a concurrent DELETE users may complete.
type deleteAfterFind struct {
	account.Store
	hook func(userID string)
}

func (d *deleteAfterFind) FindOrCreate(ctx context.Context, u authkit.User, c account.Credential, now time.Time) (authkit.User, bool, error) {
	got, created, err := d.Store.FindOrCreate(ctx, u, c, now)
	if err == nil && !created && d.hook != nil {
		d.hook(got.ID)
	}
	return got, created, err
}

// TestDeleteRacesSignIn: a user deleted after a sign-in found it, and
// before that sign-in minted its session, gets no session: the deletion's
// purgers ran before the session existed, so the sign-in must see the
// user gone and undo what it issued.
func TestDeleteRacesSignIn(t *testing.T) {
	var (
		e     *testEnv
		armed atomic.Bool
	)
	wrap := &deleteAfterFind{}
	wrap.hook = func(id string) {
		if armed.CompareAndSwap(true, false) {
			if err := e.srv.accounts.Delete(context.Background(), id); err != nil {
				t.Errorf("Delete: %v", err)
			}
		}
	}
	e = newTestEnv(t, func(t *testing.T, env string) *storeSet {
		st := newMemoryStores(env)
		wrap.Store = st.Accounts
		st.Accounts = wrap
		return st
	})
	const addr = "race@example.com"
	first := e.emailSignIn(addr)
	e.clock.Advance(time.Hour) // past the resend wait
	armed.Store(true)
	r := e.emailSignInWith(addr, nil)
	if armed.Load() {
		t.Fatal("the deletion did not run inside the sign-in")
	}
	if r.Status == 200 {
		var v verifyResponse
		r.JSON(t, &v)
		if d := e.do(req{Method: "GET", Path: "deviceRegistrations", Bearer: v.MinifiedJWT}); d.Status == 200 {
			t.Fatalf("a session minted for a deleted user works: %s", d.Body)
		}
	}
	expectStatus(t, r, 401)
	recs, err := e.srv.sessions.Sessions(context.Background(), first.User.ID)
	if err != nil || len(recs) != 0 {
		t.Fatalf("live sessions of the deleted user: %d, %v", len(recs), err)
	}
}
