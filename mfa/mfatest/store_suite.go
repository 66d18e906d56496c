// Package mfatest holds test helpers for hosts of package mfa: the store
// conformance suite RunStoreTests, which every mfa.Store implementation
// (memory, Postgres, Redis, or a host's own) must pass, including the
// concurrency cases: a TOTP step or recovery code is accepted once,
// parallel wrong codes never get more evaluations than the limits allow,
// and parallel device updates lose nothing (the device cap and the one
// default device hold), and on a store that is also an
// mfa.RecoveryAttempter, its cases too; TOTPCode, the code an
// authenticator app would show, for a host's own tests; and AddDevice,
// ConfirmDevice and DeleteDevice, the Service's device rules run through a
// store, to set up store tests.
package mfatest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/internal/random"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/ratelimit/ratelimittest"
)

// Parallelism is the number of goroutines the concurrency cases start.
const Parallelism = 32

// base is a fixed instant with whole-microsecond precision, so that backends
// storing microseconds (Postgres) round-trip times exactly.
var base = time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)

// RunStoreTests runs the conformance suite against stores made by newStore.
// newStore is called once per subtest and may return a shared, non-empty
// store: every subtest uses fresh random ids. Expiry is tested by passing
// explicit times, so no clock is needed.
//
// What the suite assumes of a backend: user, device and session ids are
// UUID strings (a uuid or text column both work); attempt keys are
// "totp:<uuid>"; digests are 32 bytes; times round-trip with at least
// microsecond precision (they are compared with time.Time.Equal); LastStep
// values above 2^32 round-trip. The "Service/…" cases run an mfa.Service on
// the store, so that the lifetime cap on TOTP failures is shown to stop
// the slow-guessing attack end to end, concurrency included, and the
// device rules hold when enrollments race each other and a deletion.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) mfa.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s mfa.Store)
	}{
		{"Device/CreateGet", testDeviceCreateGet},
		{"Device/Limit", testDeviceLimit},
		{"Device/ListOrder", testDeviceListOrder},
		{"Device/Confirm", testDeviceConfirm},
		{"Device/MarkStepUsed", testMarkStepUsed},
		{"Device/DeletePromotesOldestVerified", testDeleteDefault},
		{"Device/ParallelMarkStepUsed", testParallelMarkStep},
		{"Device/ParallelConfirm", testParallelConfirm},
		{"Device/SetDefault", testSetDefault},
		{"Device/ParallelSetDefault", testParallelSetDefault},
		{"Device/UpdateError", testUpdateError},
		{"Device/UpdateParallel", testUpdateParallel},
		{"Device/UpdateWithMarkStep", testUpdateWithMarkStep},
		{"Service/DeviceCapParallel", testServiceDeviceCap},
		{"Service/DeleteDefaultWhileAdding", testServiceDeleteDefaultWhileAdding},
		{"Service/LifetimeLockout", testServiceLifetimeLockout},
		{"Service/LifetimeParallel", testServiceLifetimeParallel},
		{"Service/RecoveryGuessesParallel", testServiceRecoveryGuessesParallel},
		{"Service/RecoveryFailuresKeptAcrossDelete", testServiceRecoveryFailuresKeptAcrossDelete},
		{"Recovery/CreateGetConsume", testRecoveryBasics},
		{"Recovery/Replace", testRecoveryReplace},
		{"Recovery/Acknowledgement", testRecoveryAck},
		{"Recovery/ParallelAcknowledgeReplace", testRecoveryAckReplaceParallel},
		{"Recovery/ParallelAcknowledgeConsume", testRecoveryAckConsumeParallel},
		{"Recovery/ParallelConsume", testRecoveryParallelConsume},
		{"Recovery/ParallelCreate", testRecoveryParallelCreate},
		{"Token/Use", testTokenUse},
		{"Token/SessionBinding", testTokenSession},
		{"Token/Expiry", testTokenExpiry},
		{"Token/ParallelSingleUse", testTokenParallelSingle},
		{"Token/ParallelMultiUse", testTokenParallelMulti},
		{"User/Delete", testDeleteUser},
	}
	// Failures are counted by the store's ratelimit limiters: they pass the
	// limiter suite (the sliding window, Refund of a success, the lifetime
	// cap no time lowers, Reset, N racing attempts of which exactly the
	// allowed number pass).
	t.Run("Limiter", func(t *testing.T) {
		ratelimittest.RunBackendTests(t, func(t *testing.T) ratelimit.Backend { return newStore(t) })
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
	// The optional capability, on the stores that have it.
	if _, ok := newStore(t).(mfa.RecoveryAttempter); ok {
		for _, tc := range attemptTests {
			t.Run("RecoveryAttempter/"+tc.name, func(t *testing.T) {
				tc.fn(t, newStore(t).(mfa.RecoveryAttempter))
			})
		}
	}
}

var ctx = context.Background()

// uniq returns a fresh random UUID (the shape of user, device and session
// ids), so stores shared between subtests (a real database) do not see each
// other's data and backends may use uuid columns. The prefix only documents
// the use at the call site.
func uniq(t *testing.T, prefix string) string {
	t.Helper()
	_ = prefix
	id, err := random.UUID(nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func digest(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func device(t *testing.T, userID string, created time.Time) mfa.DeviceRecord {
	return mfa.DeviceRecord{
		ID:           uniq(t, "dev"),
		UserID:       userID,
		Type:         mfa.DeviceTypeTOTP,
		Alias:        "phone",
		SealedSecret: []byte{1, 2, 3, 0, 255},
		CreatedAt:    created,
	}
}

// createDevice, confirmDevice and deleteDevice are the exported helpers
// with the suite's context.
func createDevice(s mfa.Store, d mfa.DeviceRecord, maxDevices int) error {
	return AddDevice(ctx, s, d, maxDevices)
}

func confirmDevice(s mfa.Store, userID, deviceID string, step uint64, now time.Time) (mfa.DeviceRecord, error) {
	return ConfirmDevice(ctx, s, userID, deviceID, step, now)
}

func deleteDevice(s mfa.Store, userID, deviceID string) error {
	return DeleteDevice(ctx, s, userID, deviceID)
}

// setDefault runs the Devices.SetDefault rule through the store's updater.
func setDefault(s mfa.Store, userID, deviceID string) error {
	return s.UpdateDevices(ctx, userID, func(ds mfa.Devices) (mfa.Devices, error) { return ds.SetDefault(deviceID) })
}

func mustCreate(t *testing.T, s mfa.Store, d mfa.DeviceRecord) {
	t.Helper()
	if err := createDevice(s, d, 100); err != nil {
		t.Fatalf("create device: %v", err)
	}
}

func mustConfirm(t *testing.T, s mfa.Store, d mfa.DeviceRecord, step uint64) mfa.DeviceRecord {
	t.Helper()
	got, err := confirmDevice(s, d.UserID, d.ID, step, base.Add(time.Minute))
	if err != nil {
		t.Fatalf("confirm device: %v", err)
	}
	return got
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func sameDevice(t *testing.T, got, want mfa.DeviceRecord) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.Type != want.Type ||
		got.Alias != want.Alias || !bytes.Equal(got.SealedSecret, want.SealedSecret) ||
		got.Verified != want.Verified || got.Default != want.Default ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.VerifiedAt.Equal(want.VerifiedAt) ||
		got.LastStep != want.LastStep {
		t.Fatalf("device mismatch:\n got %+v\nwant %+v", got, want)
	}
}

func testDeviceCreateGet(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	d := device(t, u, base)
	mustCreate(t, s, d)
	got, err := s.GetDevice(ctx, u, d.ID)
	if err != nil {
		t.Fatalf("GetDevice: %v", err)
	}
	sameDevice(t, got, d)
	_, err = s.GetDevice(ctx, uniq(t, "other"), d.ID)
	wantErr(t, "GetDevice by another user", err, mfa.ErrNotFound)
	_, err = s.GetDevice(ctx, u, uniq(t, "missing"))
	wantErr(t, "GetDevice missing", err, mfa.ErrNotFound)
	dup := device(t, u, base)
	dup.ID = d.ID
	wantErr(t, "create device with a duplicate id", createDevice(s, dup, 100), mfa.ErrDuplicate)
	// A caller mutating what it got back must not change the store.
	got.SealedSecret[0] = 99
	again, err := s.GetDevice(ctx, u, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameDevice(t, again, d)
}

// testDeviceLimit: at the cap, a new device replaces the oldest unverified
// one; with every device verified it is refused, changing nothing.
func testDeviceLimit(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	first, second := device(t, u, base), device(t, u, base.Add(time.Second))
	mustCreate(t, s, second) // created first, but younger
	mustCreate(t, s, first)
	third := device(t, u, base.Add(2*time.Second))
	if err := createDevice(s, third, 2); err != nil {
		t.Fatalf("third device with max 2: %v", err)
	}
	ids := func(u string) []string {
		list, err := s.ListDevices(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range list {
			out = append(out, d.ID)
		}
		return out
	}
	if got := ids(u); len(got) != 2 || got[0] != second.ID || got[1] != third.ID {
		t.Fatalf("devices after the third = %v, want [%s %s] (the oldest unverified gave way)", got, second.ID, third.ID)
	}
	mustConfirm(t, s, second, 1)
	mustConfirm(t, s, third, 1)
	wantErr(t, "device beyond max 2 verified ones", createDevice(s, device(t, u, base.Add(3*time.Second)), 2), mfa.ErrTooManyDevices)
	if err := createDevice(s, device(t, uniq(t, "other"), base), 2); err != nil {
		t.Fatalf("another user's device: %v", err)
	}
	if got := ids(u); len(got) != 2 || got[0] != second.ID || got[1] != third.ID {
		t.Fatalf("devices after a refused one = %v, want [%s %s]", got, second.ID, third.ID)
	}
}

func testDeviceListOrder(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	list, err := s.ListDevices(ctx, u)
	if err != nil || len(list) != 0 {
		t.Fatalf("ListDevices of a new user = %v, %v; want empty", list, err)
	}
	var want []string
	for i := 0; i < 3; i++ {
		// Created newest first to show the order is by CreatedAt, not insertion.
		d := device(t, u, base.Add(time.Duration(3-i)*time.Second))
		mustCreate(t, s, d)
		want = append([]string{d.ID}, want...)
	}
	mustCreate(t, s, device(t, uniq(t, "other"), base))
	list, err = s.ListDevices(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(want) {
		t.Fatalf("ListDevices returned %d devices, want %d", len(list), len(want))
	}
	for i := range want {
		if list[i].ID != want[i] {
			t.Fatalf("ListDevices[%d] = %s, want %s (oldest first)", i, list[i].ID, want[i])
		}
	}
}

func testDeviceConfirm(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	a := device(t, u, base)
	b := device(t, u, base.Add(time.Second))
	mustCreate(t, s, a)
	mustCreate(t, s, b)

	_, err := confirmDevice(s, u, a.ID, 0, base)
	wantErr(t, "confirm device with step 0 (not > LastStep 0)", err, mfa.ErrStepUsed)
	_, err = confirmDevice(s, uniq(t, "other"), a.ID, 5, base)
	wantErr(t, "confirm device by another user", err, mfa.ErrNotFound)
	_, err = confirmDevice(s, u, uniq(t, "missing"), 5, base)
	wantErr(t, "confirm device missing", err, mfa.ErrNotFound)

	when := base.Add(time.Minute)
	got, err := confirmDevice(s, u, a.ID, 5, when)
	if err != nil {
		t.Fatalf("confirm device: %v", err)
	}
	want := a
	want.Verified, want.VerifiedAt, want.LastStep, want.Default = true, when, 5, true
	sameDevice(t, got, want)
	stored, err := s.GetDevice(ctx, u, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameDevice(t, stored, want)

	_, err = confirmDevice(s, u, a.ID, 6, when)
	wantErr(t, "confirm device twice", err, mfa.ErrAlreadyConfirmed)

	second := mustConfirm(t, s, b, 7)
	if second.Default {
		t.Fatal("second confirmed device became default; the first one is")
	}
}

func testMarkStepUsed(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	d := device(t, u, base)
	mustCreate(t, s, d)
	wantErr(t, "MarkStepUsed on an unverified device", s.MarkStepUsed(ctx, u, d.ID, 10), mfa.ErrNotFound)
	mustConfirm(t, s, d, 10)
	wantErr(t, "MarkStepUsed same step as confirm", s.MarkStepUsed(ctx, u, d.ID, 10), mfa.ErrStepUsed)
	if err := s.MarkStepUsed(ctx, u, d.ID, 11); err != nil {
		t.Fatalf("MarkStepUsed 11: %v", err)
	}
	wantErr(t, "MarkStepUsed replay", s.MarkStepUsed(ctx, u, d.ID, 11), mfa.ErrStepUsed)
	wantErr(t, "MarkStepUsed earlier step", s.MarkStepUsed(ctx, u, d.ID, 9), mfa.ErrStepUsed)
	if err := s.MarkStepUsed(ctx, u, d.ID, 20); err != nil {
		t.Fatalf("MarkStepUsed 20: %v", err)
	}
	wantErr(t, "MarkStepUsed 19 after 20", s.MarkStepUsed(ctx, u, d.ID, 19), mfa.ErrStepUsed)
	wantErr(t, "MarkStepUsed by another user", s.MarkStepUsed(ctx, uniq(t, "other"), d.ID, 30), mfa.ErrNotFound)
	wantErr(t, "MarkStepUsed missing", s.MarkStepUsed(ctx, u, uniq(t, "missing"), 30), mfa.ErrNotFound)
	got, err := s.GetDevice(ctx, u, d.ID)
	if err != nil || got.LastStep != 20 {
		t.Fatalf("LastStep = %d, %v; want 20", got.LastStep, err)
	}
	// Steps past 2^32 (year 2106 and beyond at 30 s) must round-trip.
	big := uint64(1) << 40
	if err := s.MarkStepUsed(ctx, u, d.ID, big); err != nil {
		t.Fatalf("MarkStepUsed 2^40: %v", err)
	}
	wantErr(t, "MarkStepUsed 2^40 again", s.MarkStepUsed(ctx, u, d.ID, big), mfa.ErrStepUsed)
}

func testDeleteDefault(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	a := device(t, u, base)                                    // verified, default
	b := device(t, u, base.Add(1*time.Second))                 // never verified
	c := device(t, u, base.Add(2*time.Second))                 // verified
	d := device(t, u, base.Add(3*time.Second))                 // verified
	other := device(t, uniq(t, "other"), base.Add(-time.Hour)) // another user's, verified
	for _, x := range []mfa.DeviceRecord{a, b, c, d, other} {
		mustCreate(t, s, x)
	}
	// Confirm d before c: promotion goes by CreatedAt, not by confirmation.
	mustConfirm(t, s, a, 1)
	mustConfirm(t, s, d, 1)
	mustConfirm(t, s, c, 1)
	mustConfirm(t, s, other, 1)

	wantErr(t, "delete device by another user", deleteDevice(s, other.UserID, a.ID), mfa.ErrNotFound)
	wantErr(t, "delete device missing", deleteDevice(s, u, uniq(t, "missing")), mfa.ErrNotFound)

	// Deleting a non-default device leaves the default alone.
	if err := deleteDevice(s, u, d.ID); err != nil {
		t.Fatal(err)
	}
	defaults := func() []string {
		list, err := s.ListDevices(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, x := range list {
			if x.Default {
				ids = append(ids, x.ID)
			}
		}
		return ids
	}
	if got := defaults(); len(got) != 1 || got[0] != a.ID {
		t.Fatalf("defaults after deleting a non-default = %v, want [%s]", got, a.ID)
	}
	if err := deleteDevice(s, u, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := defaults(); len(got) != 1 || got[0] != c.ID {
		t.Fatalf("defaults after deleting the default = %v, want oldest verified [%s]", got, c.ID)
	}
	_, err := s.GetDevice(ctx, u, a.ID)
	wantErr(t, "GetDevice after delete", err, mfa.ErrNotFound)
	// The other user's device was untouched.
	o, err := s.GetDevice(ctx, other.UserID, other.ID)
	if err != nil || !o.Default {
		t.Fatalf("other user's device = %+v, %v; want still default", o, err)
	}
	// Deleting the last verified device leaves only the unverified one, not default.
	if err := deleteDevice(s, u, c.ID); err != nil {
		t.Fatal(err)
	}
	if got := defaults(); len(got) != 0 {
		t.Fatalf("defaults = %v, want none (only an unverified device left)", got)
	}
}

// defaultsOf returns the ids of the user's default devices.
func defaultsOf(t *testing.T, s mfa.Store, userID string) []string {
	t.Helper()
	list, err := s.ListDevices(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, x := range list {
		if x.Default {
			ids = append(ids, x.ID)
		}
	}
	return ids
}

func testSetDefault(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	a := device(t, u, base)                                    // verified, default
	b := device(t, u, base.Add(time.Second))                   // verified
	c := device(t, u, base.Add(2*time.Second))                 // never verified
	other := device(t, uniq(t, "other"), base.Add(-time.Hour)) // another user's, verified
	for _, x := range []mfa.DeviceRecord{a, b, c, other} {
		mustCreate(t, s, x)
	}
	mustConfirm(t, s, a, 1)
	mustConfirm(t, s, b, 1)
	mustConfirm(t, s, other, 1)

	for _, tc := range []struct {
		name, user, dev string
	}{
		{"unverified", u, c.ID},
		{"missing", u, uniq(t, "missing")},
		{"another user's device", u, other.ID},
		{"by another user", other.UserID, b.ID},
	} {
		wantErr(t, "set default "+tc.name, setDefault(s, tc.user, tc.dev), mfa.ErrNotFound)
		if got := defaultsOf(t, s, u); len(got) != 1 || got[0] != a.ID {
			t.Fatalf("after refused default change (%s): defaults = %v, want [%s]", tc.name, got, a.ID)
		}
	}
	for _, want := range []string{b.ID, b.ID, a.ID} { // idempotent, and back
		if err := setDefault(s, u, want); err != nil {
			t.Fatal(err)
		}
		if got := defaultsOf(t, s, u); len(got) != 1 || got[0] != want {
			t.Fatalf("defaults = %v, want [%s]", got, want)
		}
	}
	if got := defaultsOf(t, s, other.UserID); len(got) != 1 || got[0] != other.ID {
		t.Fatalf("other user's defaults = %v, want [%s]", got, other.ID)
	}
	// Deleting the new default still promotes the oldest verified device.
	if err := setDefault(s, u, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := deleteDevice(s, u, b.ID); err != nil {
		t.Fatal(err)
	}
	if got := defaultsOf(t, s, u); len(got) != 1 || got[0] != a.ID {
		t.Fatalf("defaults after deleting the chosen default = %v, want [%s]", got, a.ID)
	}
}

func testParallelSetDefault(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	var devs []mfa.DeviceRecord
	for i := 0; i < Parallelism; i++ {
		x := device(t, u, base.Add(time.Duration(i)*time.Second))
		mustCreate(t, s, x)
		mustConfirm(t, s, x, 1)
		devs = append(devs, x)
	}
	parallel(t, nil, func(i int) error { return setDefault(s, u, devs[i].ID) })
	if got := defaultsOf(t, s, u); len(got) != 1 {
		t.Fatalf("%d parallel default changes: defaults = %v, want exactly one", Parallelism, got)
	}
}

// parallel runs fn Parallelism times at once and counts nil results; any
// error other than allowed fails the test.
func parallel(t *testing.T, allowed error, fn func(i int) error) int {
	t.Helper()
	wins := 0
	var other []error
	for _, err := range race.Run(Parallelism, fn) {
		switch {
		case err == nil:
			wins++
		case allowed != nil && errors.Is(err, allowed):
		default:
			other = append(other, err)
		}
	}
	if len(other) > 0 {
		t.Fatalf("unexpected errors: %v", other)
	}
	return wins
}

func testParallelMarkStep(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	d := device(t, u, base)
	mustCreate(t, s, d)
	mustConfirm(t, s, d, 100)
	wins := parallel(t, mfa.ErrStepUsed, func(int) error { return s.MarkStepUsed(ctx, u, d.ID, 101) })
	if wins != 1 {
		t.Fatalf("%d parallel MarkStepUsed of one step: %d succeeded, want exactly 1", Parallelism, wins)
	}
	// Different steps racing: the store must end at the largest accepted one
	// and never accept a step after a larger one.
	_ = parallel(t, mfa.ErrStepUsed, func(i int) error { return s.MarkStepUsed(ctx, u, d.ID, uint64(200+i)) })
	got, err := s.GetDevice(ctx, u, d.ID)
	if err != nil || got.LastStep != uint64(200+Parallelism-1) {
		t.Fatalf("LastStep after racing steps = %d, %v; want %d", got.LastStep, err, 200+Parallelism-1)
	}
}

func testParallelConfirm(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	d := device(t, u, base)
	mustCreate(t, s, d)
	wins := parallel(t, mfa.ErrAlreadyConfirmed, func(int) error {
		_, err := confirmDevice(s, u, d.ID, 50, base)
		return err
	})
	if wins != 1 {
		t.Fatalf("%d parallel confirmations: %d succeeded, want exactly 1", Parallelism, wins)
	}
	// Two devices confirmed at once: exactly one becomes the default.
	u2 := uniq(t, "user")
	var devs []mfa.DeviceRecord
	for i := 0; i < Parallelism; i++ {
		x := device(t, u2, base.Add(time.Duration(i)*time.Second))
		mustCreate(t, s, x)
		devs = append(devs, x)
	}
	parallel(t, nil, func(i int) error {
		_, err := confirmDevice(s, u2, devs[i].ID, 1, base)
		return err
	})
	list, err := s.ListDevices(ctx, u2)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range list {
		if x.Default {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d devices confirmed in parallel: %d defaults, want exactly 1", Parallelism, n)
	}
}

var errRefused = errors.New("refused")

func recoverySet(t *testing.T, userID string, n int) mfa.RecoverySet {
	set := mfa.RecoverySet{UserID: userID, CreatedAt: base, Acknowledgement: authkit.AcknowledgementPending}
	for i := 0; i < n; i++ {
		set.Codes = append(set.Codes, mfa.RecoveryCodeRecord{
			Digest: digest(uniq(t, "code")),
			Sealed: []byte(fmt.Sprintf("sealed-%d", i)),
		})
	}
	return set
}

func sameSet(t *testing.T, got, want mfa.RecoverySet) {
	t.Helper()
	ok := got.UserID == want.UserID && got.CreatedAt.Equal(want.CreatedAt) &&
		got.Acknowledgement == want.Acknowledgement && len(got.Codes) == len(want.Codes)
	for i := 0; ok && i < len(got.Codes); i++ {
		ok = bytes.Equal(got.Codes[i].Digest, want.Codes[i].Digest) &&
			bytes.Equal(got.Codes[i].Sealed, want.Codes[i].Sealed)
	}
	if !ok {
		t.Fatalf("recovery set mismatch:\n got %+v\nwant %+v", got, want)
	}
}

func testRecoveryBasics(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	_, err := s.GetRecoverySet(ctx, u)
	wantErr(t, "GetRecoverySet of a new user", err, mfa.ErrNotFound)
	_, err = s.ConsumeRecoveryCode(ctx, u, digest("x"))
	wantErr(t, "ConsumeRecoveryCode with no set", err, mfa.ErrNotFound)

	set := recoverySet(t, u, 10)
	cur, created, err := s.CreateRecoverySet(ctx, set)
	if err != nil || !created {
		t.Fatalf("CreateRecoverySet = %v, %v; want created", created, err)
	}
	sameSet(t, cur, set)
	cur, created, err = s.CreateRecoverySet(ctx, recoverySet(t, u, 10))
	if err != nil || created {
		t.Fatalf("second CreateRecoverySet = %v, %v; want existing", created, err)
	}
	sameSet(t, cur, set)

	n, err := s.ConsumeRecoveryCode(ctx, u, set.Codes[3].Digest)
	if err != nil || n != 9 {
		t.Fatalf("ConsumeRecoveryCode = %d, %v; want 9 remaining", n, err)
	}
	_, err = s.ConsumeRecoveryCode(ctx, u, set.Codes[3].Digest)
	wantErr(t, "ConsumeRecoveryCode twice", err, mfa.ErrNotFound)
	_, err = s.ConsumeRecoveryCode(ctx, uniq(t, "other"), set.Codes[4].Digest)
	wantErr(t, "ConsumeRecoveryCode by another user", err, mfa.ErrNotFound)
	_, err = s.ConsumeRecoveryCode(ctx, u, digest("wrong"))
	wantErr(t, "ConsumeRecoveryCode unknown digest", err, mfa.ErrNotFound)

	got, err := s.GetRecoverySet(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	want := set
	want.Codes = append(append([]mfa.RecoveryCodeRecord{}, set.Codes[:3]...), set.Codes[4:]...)
	sameSet(t, got, want)

	for i, c := range want.Codes {
		n, err := s.ConsumeRecoveryCode(ctx, u, c.Digest)
		if err != nil || n != len(want.Codes)-1-i {
			t.Fatalf("ConsumeRecoveryCode #%d = %d, %v", i, n, err)
		}
	}
	got, err = s.GetRecoverySet(ctx, u)
	if err != nil || len(got.Codes) != 0 {
		t.Fatalf("GetRecoverySet after using all = %d codes, %v; want an empty set", len(got.Codes), err)
	}
}

func testRecoveryReplace(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	old := recoverySet(t, u, 10)
	if _, _, err := s.CreateRecoverySet(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAcknowledgement(ctx, u, authkit.AcknowledgementComplete); err != nil {
		t.Fatal(err)
	}
	next := recoverySet(t, u, 10)
	next.CreatedAt = base.Add(time.Hour)
	if err := s.ReplaceRecoverySet(ctx, next); err != nil {
		t.Fatal(err)
	}
	for _, c := range old.Codes {
		_, err := s.ConsumeRecoveryCode(ctx, u, c.Digest)
		wantErr(t, "old code after replace", err, mfa.ErrNotFound)
	}
	got, err := s.GetRecoverySet(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, got, next)
	if n, err := s.ConsumeRecoveryCode(ctx, u, next.Codes[0].Digest); err != nil || n != 9 {
		t.Fatalf("new code = %d, %v", n, err)
	}
	// Replace also works with no previous set.
	u2 := uniq(t, "user")
	fresh := recoverySet(t, u2, 10)
	if err := s.ReplaceRecoverySet(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetRecoverySet(ctx, u2)
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, got, fresh)
}

func testRecoveryAck(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	wantErr(t, "SetAcknowledgement with no set", s.SetAcknowledgement(ctx, u, authkit.AcknowledgementComplete), mfa.ErrNotFound)
	set := recoverySet(t, u, 10)
	if _, _, err := s.CreateRecoverySet(ctx, set); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAcknowledgement(ctx, u, authkit.AcknowledgementComplete); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRecoverySet(ctx, u)
	if err != nil || got.Acknowledgement != authkit.AcknowledgementComplete {
		t.Fatalf("Acknowledgement = %q, %v; want complete", got.Acknowledgement, err)
	}
	set.Acknowledgement = authkit.AcknowledgementComplete
	sameSet(t, got, set) // nothing else changed
}

func testRecoveryParallelConsume(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	set := recoverySet(t, u, 10)
	if _, _, err := s.CreateRecoverySet(ctx, set); err != nil {
		t.Fatal(err)
	}
	wins := parallel(t, mfa.ErrNotFound, func(int) error {
		_, err := s.ConsumeRecoveryCode(ctx, u, set.Codes[5].Digest)
		return err
	})
	if wins != 1 {
		t.Fatalf("%d parallel uses of one recovery code: %d succeeded, want exactly 1", Parallelism, wins)
	}
	// Different codes at once: each succeeds once and the counts are consistent.
	var mu sync.Mutex
	seen := map[int]bool{}
	wins = parallel(t, mfa.ErrNotFound, func(i int) error {
		n, err := s.ConsumeRecoveryCode(ctx, u, set.Codes[i%10].Digest)
		if err == nil {
			mu.Lock()
			defer mu.Unlock()
			if seen[n] {
				return fmt.Errorf("remaining count %d reported twice", n)
			}
			seen[n] = true
		}
		return err
	})
	if wins != 9 {
		t.Fatalf("parallel uses of the 9 other codes: %d succeeded, want 9", wins)
	}
}

func testRecoveryParallelCreate(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	sets := make([]mfa.RecoverySet, Parallelism)
	for i := range sets {
		sets[i] = recoverySet(t, u, 10)
	}
	var mu sync.Mutex
	var results []mfa.RecoverySet
	wins := parallel(t, errRefused, func(i int) error {
		cur, created, err := s.CreateRecoverySet(ctx, sets[i])
		if err != nil {
			return err
		}
		mu.Lock()
		results = append(results, cur)
		mu.Unlock()
		if !created {
			return errRefused
		}
		return nil
	})
	if wins != 1 {
		t.Fatalf("%d parallel CreateRecoverySet: %d created, want exactly 1", Parallelism, wins)
	}
	for _, r := range results[1:] {
		sameSet(t, r, results[0]) // everyone sees the one set
	}
}

func token(t *testing.T, userID, sessionID string, single bool, exp time.Time) mfa.TokenRecord {
	return mfa.TokenRecord{
		Digest:    digest(uniq(t, "tok")),
		UserID:    userID,
		SessionID: sessionID,
		SingleUse: single,
		CreatedAt: exp.Add(-5 * time.Minute),
		ExpiresAt: exp,
	}
}

func sameToken(t *testing.T, got, want mfa.TokenRecord) {
	t.Helper()
	if !bytes.Equal(got.Digest, want.Digest) || got.UserID != want.UserID || got.SessionID != want.SessionID ||
		got.SingleUse != want.SingleUse || !got.CreatedAt.Equal(want.CreatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Fatalf("token mismatch:\n got %+v\nwant %+v", got, want)
	}
}

func testTokenUse(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	exp := base.Add(5 * time.Minute)
	single := token(t, u, "", true, exp)
	multi := token(t, u, "", false, exp)
	for _, x := range []mfa.TokenRecord{single, multi} {
		if err := s.CreateToken(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, "CreateToken duplicate", s.CreateToken(ctx, single), mfa.ErrDuplicate)

	_, err := s.UseToken(ctx, single.Digest, uniq(t, "other"), "", base)
	wantErr(t, "UseToken by another user", err, mfa.ErrNotFound)
	_, err = s.UseToken(ctx, digest("unknown"), u, "", base)
	wantErr(t, "UseToken unknown", err, mfa.ErrNotFound)

	// A wrong-user attempt did not burn the single-use token.
	got, err := s.UseToken(ctx, single.Digest, u, "", base)
	if err != nil {
		t.Fatalf("UseToken single-use: %v", err)
	}
	sameToken(t, got, single)
	_, err = s.UseToken(ctx, single.Digest, u, "", base)
	wantErr(t, "single-use token used twice", err, mfa.ErrNotFound)

	for i := 0; i < 3; i++ {
		got, err := s.UseToken(ctx, multi.Digest, u, "", base.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatalf("multi-use token use %d: %v", i, err)
		}
		sameToken(t, got, multi)
	}
}

func testTokenSession(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	s1, s2 := uniq(t, "session"), uniq(t, "session")
	exp := base.Add(10 * time.Minute)
	bound := token(t, u, s1, false, exp)
	free := token(t, u, "", false, exp)
	for _, x := range []mfa.TokenRecord{bound, free} {
		if err := s.CreateToken(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.UseToken(ctx, bound.Digest, u, s2, base)
	wantErr(t, "bound token from another session", err, mfa.ErrNotFound)
	_, err = s.UseToken(ctx, bound.Digest, u, "", base)
	wantErr(t, "bound token without a session", err, mfa.ErrNotFound)
	if _, err := s.UseToken(ctx, bound.Digest, u, s1, base); err != nil {
		t.Fatalf("bound token from its session: %v", err)
	}
	for _, sid := range []string{"", s1, s2} {
		if _, err := s.UseToken(ctx, free.Digest, u, sid, base); err != nil {
			t.Fatalf("unbound token from session %q: %v", sid, err)
		}
	}
	// A single-use bound token is not burned by a wrong-session attempt.
	sb := token(t, u, s1, true, exp)
	if err := s.CreateToken(ctx, sb); err != nil {
		t.Fatal(err)
	}
	_, err = s.UseToken(ctx, sb.Digest, u, s2, base)
	wantErr(t, "single-use bound token from another session", err, mfa.ErrNotFound)
	if _, err := s.UseToken(ctx, sb.Digest, u, s1, base); err != nil {
		t.Fatalf("single-use bound token from its session: %v", err)
	}
}

func testTokenExpiry(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	exp := base.Add(5 * time.Minute)
	multi := token(t, u, "", false, exp)
	single := token(t, u, "", true, exp)
	for _, x := range []mfa.TokenRecord{multi, single} {
		if err := s.CreateToken(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.UseToken(ctx, multi.Digest, u, "", exp.Add(-time.Microsecond)); err != nil {
		t.Fatalf("token just before expiry: %v", err)
	}
	_, err := s.UseToken(ctx, multi.Digest, u, "", exp)
	wantErr(t, "token at ExpiresAt", err, mfa.ErrNotFound)
	_, err = s.UseToken(ctx, single.Digest, u, "", exp.Add(time.Hour))
	wantErr(t, "single-use token after expiry", err, mfa.ErrNotFound)
}

func testTokenParallelSingle(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	sid := uniq(t, "session")
	tok := token(t, u, sid, true, base.Add(5*time.Minute))
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	wins := parallel(t, mfa.ErrNotFound, func(int) error {
		_, err := s.UseToken(ctx, tok.Digest, u, sid, base)
		return err
	})
	if wins != 1 {
		t.Fatalf("%d parallel uses of a single-use token: %d succeeded, want exactly 1", Parallelism, wins)
	}
}

func testTokenParallelMulti(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	tok := token(t, u, "", false, base.Add(10*time.Minute))
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	wins := parallel(t, nil, func(int) error {
		_, err := s.UseToken(ctx, tok.Digest, u, "", base)
		return err
	})
	if wins != Parallelism {
		t.Fatalf("%d parallel uses of a multi-use token: %d succeeded, want all", Parallelism, wins)
	}
}
