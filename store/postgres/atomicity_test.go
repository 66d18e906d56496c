package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/store/postgres"
)

// Cases beyond the conformance suites for decisions that span rows, where a
// SQL store is easy to get wrong (research/peers.md §2): they run on two
// pools at once, as two server processes would.

func twoStores(t *testing.T) (*postgres.Store, *postgres.Store) {
	t.Helper()
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	var out [2]*postgres.Store
	for i := range out {
		s, err := postgres.New(newPool(t, dsn, schema, 8), postgres.Options{})
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

func together(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

// TestDeviceLimitConcurrent: 24 verified devices created at once for one user with a
// limit of 3 leave exactly 3.
func TestDeviceLimitConcurrent(t *testing.T) {
	a, b := twoStores(t)
	const n, limit = 24, 3
	for round := range 10 {
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
			t.Fatalf("round %d: %d concurrent creations with limit %d: %d succeeded, %d stored (%v)", round, n, limit, ok, len(list), err)
		}
	}
}

// TestRecoveryReplaceConcurrent: concurrent replacements of a user's
// recovery set never mix two sets, and every code of an old set stops
// working.
func TestRecoveryReplaceConcurrent(t *testing.T) {
	a, b := twoStores(t)
	ctx := context.Background()
	const n, size = 16, 10
	sets := make([]mfa.RecoverySet, n)
	for i := range sets {
		sets[i] = mfa.RecoverySet{UserID: "u", CreatedAt: farPast.Add(time.Duration(i) * time.Second), Acknowledgement: authkit.AcknowledgementPending}
		for j := range size {
			sets[i].Codes = append(sets[i].Codes, mfa.RecoveryCodeRecord{Digest: digestOf(fmt.Sprintf("%d/%d", i, j)), Sealed: []byte{byte(i), byte(j)}})
		}
	}
	together(n, func(i int) {
		s := []*postgres.Store{a, b}[i%2]
		if err := s.MFA().ReplaceRecoverySet(ctx, sets[i]); err != nil {
			t.Error(err)
		}
	})
	got, err := a.MFA().GetRecoverySet(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Codes) != size {
		t.Fatalf("after %d concurrent replacements the set holds %d codes, want %d", n, len(got.Codes), size)
	}
	winner := int(got.Codes[0].Sealed[0])
	for j, c := range got.Codes {
		if !bytes.Equal(c.Digest, sets[winner].Codes[j].Digest) {
			t.Fatalf("code %d comes from another set than code 0: sets were mixed", j)
		}
	}
	if !got.CreatedAt.Equal(sets[winner].CreatedAt) {
		t.Fatalf("CreatedAt %v is not that of the set whose codes are stored (%v)", got.CreatedAt, sets[winner].CreatedAt)
	}
	for i := range sets {
		if i == winner {
			continue
		}
		if _, err := b.MFA().ConsumeRecoveryCode(ctx, "u", sets[i].Codes[0].Digest); !errors.Is(err, mfa.ErrNotFound) {
			t.Fatalf("a code of replaced set %d: %v, want ErrNotFound", i, err)
		}
	}
}

// TestDeleteDefaultConcurrent: deleting devices while others are confirmed
// always leaves exactly one default among the verified devices.
func TestDeleteDefaultConcurrent(t *testing.T) {
	a, b := twoStores(t)
	ctx := context.Background()
	const n = 12
	for i := range n {
		d := mfa.DeviceRecord{ID: fmt.Sprintf("d-%02d", i), UserID: "u", SealedSecret: []byte{1}, CreatedAt: farPast.Add(time.Duration(i) * time.Second)}
		if err := createDevice(ctx, a.MFA(), d, 100); err != nil {
			t.Fatal(err)
		}
		if i < n/2 {
			if _, err := confirmDevice(ctx, a.MFA(), "u", d.ID, 1, farPast); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Delete the first verified devices (the default first) while the
	// unverified ones are confirmed.
	together(n, func(i int) {
		s := []*postgres.Store{a, b}[i%2]
		var err error
		if i < n/2-1 {
			err = deleteDevice(ctx, s.MFA(), "u", fmt.Sprintf("d-%02d", i))
		} else if i >= n/2 {
			_, err = confirmDevice(ctx, s.MFA(), "u", fmt.Sprintf("d-%02d", i), 1, farPast)
		}
		if err != nil {
			t.Error(err)
		}
	})
	list, err := a.MFA().ListDevices(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	defaults := 0
	for _, d := range list {
		if d.Default {
			defaults++
			if !d.Verified {
				t.Fatalf("unverified default %s", d.ID)
			}
		}
	}
	if len(list) != n-(n/2-1) || defaults != 1 {
		t.Fatalf("%d devices left with %d defaults; want %d devices and exactly 1 default", len(list), defaults, n-(n/2-1))
	}
}
