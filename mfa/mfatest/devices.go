package mfatest

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/mfa"
)

// testUpdateError: when fn fails, UpdateDevices returns its error as it is
// and changes nothing, even though fn changed its copy first.
func testUpdateError(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	a := device(t, u, base)
	mustCreate(t, s, a)
	want := mustConfirm(t, s, a, 3)
	errRule := errors.New("rule says no")
	err := s.UpdateDevices(ctx, u, func(ds mfa.Devices) (mfa.Devices, error) {
		if len(ds) != 1 {
			t.Errorf("fn got %d devices, want 1", len(ds))
		}
		for i := range ds {
			ds[i].Alias, ds[i].LastStep, ds[i].SealedSecret[0] = "changed", 99, 42
		}
		return append(ds, device(t, u, base)), errRule
	})
	if err != errRule {
		t.Fatalf("UpdateDevices = %v, want fn's error unchanged", err)
	}
	list, err := s.ListDevices(ctx, u)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListDevices after a failed update = %d devices, %v; want 1", len(list), err)
	}
	sameDevice(t, list[0], want)
	// A user without devices gets an empty list, and an update that keeps it
	// empty stores nothing.
	fresh := uniq(t, "user")
	if err := s.UpdateDevices(ctx, fresh, func(ds mfa.Devices) (mfa.Devices, error) {
		if ds == nil || len(ds) != 0 {
			t.Errorf("fn got %#v for a user without devices, want an empty non-nil list", ds)
		}
		return ds, nil
	}); err != nil {
		t.Fatal(err)
	}
	if list, err := s.ListDevices(ctx, fresh); err != nil || len(list) != 0 {
		t.Fatalf("ListDevices = %v, %v; want empty", list, err)
	}
}

// testUpdateParallel: Parallelism updaters each adding a device to one user
// lose none of them (each saw the others' committed devices).
func testUpdateParallel(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	devs := make([]mfa.DeviceRecord, Parallelism)
	for i := range devs {
		devs[i] = device(t, u, base.Add(time.Duration(i)*time.Second))
	}
	parallel(t, nil, func(i int) error { return createDevice(s, devs[i], 2*Parallelism) })
	list, err := s.ListDevices(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != Parallelism {
		t.Fatalf("%d parallel additions left %d devices, want %d (an update was lost)", Parallelism, len(list), Parallelism)
	}
	for i, d := range list {
		sameDevice(t, d, devs[i])
	}
}

// testUpdateWithMarkStep: updates that rewrite a device race MarkStepUsed on
// it; no accepted step is lost (an update never writes back an older
// LastStep) and the one-default rule holds.
func testUpdateWithMarkStep(t *testing.T, s mfa.Store) {
	u := uniq(t, "user")
	a, b := device(t, u, base), device(t, u, base.Add(time.Second))
	mustCreate(t, s, a)
	mustCreate(t, s, b)
	mustConfirm(t, s, a, 100)
	mustConfirm(t, s, b, 100)
	var mu sync.Mutex
	var best uint64
	parallel(t, mfa.ErrStepUsed, func(i int) error {
		if i%2 == 1 { // the updaters move the default back and forth
			id := a.ID
			if i%4 == 1 {
				id = b.ID
			}
			return setDefault(s, u, id)
		}
		step := uint64(101 + i)
		err := s.MarkStepUsed(ctx, u, a.ID, step)
		if err == nil {
			mu.Lock()
			best = max(best, step)
			mu.Unlock()
		}
		return err
	})
	got, err := s.GetDevice(ctx, u, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if best == 0 || got.LastStep != best {
		t.Fatalf("LastStep = %d after racing updates, want the largest accepted step %d", got.LastStep, best)
	}
	if d := defaultsOf(t, s, u); len(d) != 1 {
		t.Fatalf("defaults = %v, want exactly one", d)
	}
}

// deviceFixture is an mfa.Service over the store under test with a
// settable clock, to race the device rules end to end.
type deviceFixture struct {
	svc  *mfa.Service
	user string
	mu   sync.Mutex
	now  time.Time
}

func (f *deviceFixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func newDeviceFixture(t *testing.T, s mfa.Store, maxDevices int) *deviceFixture {
	t.Helper()
	f := &deviceFixture{user: uniq(t, "user"), now: base.Add(10 * time.Second)}
	k := mfa.Key{ID: "k1"}
	copy(k.Secret[:], bytes.Repeat([]byte{7}, len(k.Secret)))
	sealer, err := mfa.NewAESGCMSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	f.svc, err = mfa.New(mfa.Config{Store: s, Sealer: sealer, HashKeys: [][]byte{bytes.Repeat([]byte("h"), 32)},
		Issuer: "ACME", Now: f.clock, MaxDevices: maxDevices, MaxAttempts: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// verified enrolls and confirms a device, then moves the clock one step on
// (so that the next device is younger and the next code fresh).
func (f *deviceFixture) verified(t *testing.T) mfa.Device {
	t.Helper()
	e, err := f.svc.EnrollTOTP(ctx, f.user, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.svc.ConfirmTOTPDevice(ctx, f.user, e.DeviceID, TOTPCode(t, e.Secret, f.clock()))
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.now = f.now.Add(mfa.TOTPPeriod * time.Second)
	f.mu.Unlock()
	return d
}

func (f *deviceFixture) list(t *testing.T) []mfa.Device {
	t.Helper()
	list, err := f.svc.ListDevices(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// testServiceDeviceCap races Parallelism enrollments past the device cap:
// the user never holds more than MaxDevices devices, the oldest unverified
// ones give way, verified devices never do, and with every slot verified
// each enrollment is refused.
func testServiceDeviceCap(t *testing.T, s mfa.Store) {
	const maxDevices = 3
	f := newDeviceFixture(t, s, maxDevices)
	keep := f.verified(t)
	parallel(t, nil, func(int) error {
		_, err := f.svc.EnrollTOTP(ctx, f.user, "ada@example.com")
		return err
	})
	list := f.list(t)
	if len(list) != maxDevices {
		t.Fatalf("%d parallel enrollments with MaxDevices %d: %d devices", Parallelism, maxDevices, len(list))
	}
	if list[0].ID != keep.ID || !list[0].Verified || !list[0].Default {
		t.Fatalf("the verified default device gave way: %+v", list)
	}
	// Fill every slot with a verified device: the unverified ones go.
	f.verified(t)
	f.verified(t)
	list = f.list(t)
	for _, d := range list {
		if !d.Verified {
			t.Fatalf("unverified device %s left at the cap after verified enrollments: %+v", d.ID, list)
		}
	}
	if len(list) != maxDevices {
		t.Fatalf("%d devices, want %d", len(list), maxDevices)
	}
	wins := parallel(t, mfa.ErrTooManyDevices, func(int) error {
		_, err := f.svc.EnrollTOTP(ctx, f.user, "ada@example.com")
		return err
	})
	if wins != 0 || len(f.list(t)) != maxDevices {
		t.Fatalf("with %d verified devices: %d enrollments accepted, %d devices", maxDevices, wins, len(f.list(t)))
	}
}

// testServiceDeleteDefaultWhileAdding removes the default device while
// other devices are enrolled and one is confirmed at the same time: the
// oldest remaining verified device ends up the only default, whatever the
// order.
func testServiceDeleteDefaultWhileAdding(t *testing.T, s mfa.Store) {
	f := newDeviceFixture(t, s, 2*Parallelism)
	def := f.verified(t)
	next := f.verified(t)
	pending, err := f.svc.EnrollTOTP(ctx, f.user, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	code := TOTPCode(t, pending.Secret, f.clock())
	parallel(t, nil, func(i int) error {
		switch i {
		case 0:
			return f.svc.RemoveDevice(ctx, f.user, def.ID)
		case 1:
			_, err := f.svc.ConfirmTOTPDevice(ctx, f.user, pending.DeviceID, code)
			return err
		}
		_, err := f.svc.EnrollTOTP(ctx, f.user, "ada@example.com")
		return err
	})
	list := f.list(t)
	var defaults []string
	for _, d := range list {
		if d.ID == def.ID {
			t.Fatal("the removed device is still there")
		}
		if d.Default {
			defaults = append(defaults, d.ID)
		}
	}
	if len(defaults) != 1 || defaults[0] != next.ID {
		t.Fatalf("defaults = %v, want only the oldest verified device [%s]", defaults, next.ID)
	}
	if want := 3 - 1 + (Parallelism - 2); len(list) != want {
		t.Fatalf("%d devices, want %d", len(list), want)
	}
}
