package mfa

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
)

var errBackend = errors.New("backend down")

// failingStore makes one named method fail, to check that store errors reach
// the caller unchanged and are never mistaken for a success or a wrong code.
type failingStore struct {
	Store
	fail string
}

func (f *failingStore) err(name string) error {
	if f.fail == name {
		return errBackend
	}
	return nil
}

func (f *failingStore) UpdateDevices(ctx context.Context, u string, fn func(Devices) (Devices, error)) error {
	if err := f.err("UpdateDevices"); err != nil {
		return err
	}
	return f.Store.UpdateDevices(ctx, u, fn)
}

func (f *failingStore) GetDevice(ctx context.Context, u, d string) (DeviceRecord, error) {
	if err := f.err("GetDevice"); err != nil {
		return DeviceRecord{}, err
	}
	return f.Store.GetDevice(ctx, u, d)
}

func (f *failingStore) ListDevices(ctx context.Context, u string) ([]DeviceRecord, error) {
	if err := f.err("ListDevices"); err != nil {
		return nil, err
	}
	return f.Store.ListDevices(ctx, u)
}

func (f *failingStore) MarkStepUsed(ctx context.Context, u, d string, step uint64) error {
	if err := f.err("MarkStepUsed"); err != nil {
		return err
	}
	return f.Store.MarkStepUsed(ctx, u, d, step)
}

func (f *failingStore) ReserveAttempt(ctx context.Context, k string, now time.Time, w time.Duration, max, lifetimeMax int) (bool, time.Duration, error) {
	if err := f.err("ReserveAttempt"); err != nil {
		return false, 0, err
	}
	return f.Store.ReserveAttempt(ctx, k, now, w, max, lifetimeMax)
}

func (f *failingStore) ReleaseAttempt(ctx context.Context, k string, now time.Time) error {
	if err := f.err("ReleaseAttempt"); err != nil {
		return err
	}
	return f.Store.ReleaseAttempt(ctx, k, now)
}

func (f *failingStore) GetRecoverySet(ctx context.Context, u string) (RecoverySet, error) {
	if err := f.err("GetRecoverySet"); err != nil {
		return RecoverySet{}, err
	}
	return f.Store.GetRecoverySet(ctx, u)
}

func (f *failingStore) CreateRecoverySet(ctx context.Context, s RecoverySet) (RecoverySet, bool, error) {
	if err := f.err("CreateRecoverySet"); err != nil {
		return RecoverySet{}, false, err
	}
	return f.Store.CreateRecoverySet(ctx, s)
}

func (f *failingStore) ReplaceRecoverySet(ctx context.Context, s RecoverySet) error {
	if err := f.err("ReplaceRecoverySet"); err != nil {
		return err
	}
	return f.Store.ReplaceRecoverySet(ctx, s)
}

func (f *failingStore) ConsumeRecoveryCode(ctx context.Context, u string, d []byte) (int, error) {
	if err := f.err("ConsumeRecoveryCode"); err != nil {
		return 0, err
	}
	return f.Store.ConsumeRecoveryCode(ctx, u, d)
}

func (f *failingStore) SetAcknowledgement(ctx context.Context, u string, a authkit.BackupCodeAcknowledgement) error {
	if err := f.err("SetAcknowledgement"); err != nil {
		return err
	}
	return f.Store.SetAcknowledgement(ctx, u, a)
}

func (f *failingStore) CreateToken(ctx context.Context, t TokenRecord) error {
	if err := f.err("CreateToken"); err != nil {
		return err
	}
	return f.Store.CreateToken(ctx, t)
}

func (f *failingStore) UseToken(ctx context.Context, d []byte, u, s string, now time.Time) (TokenRecord, error) {
	if err := f.err("UseToken"); err != nil {
		return TokenRecord{}, err
	}
	return f.Store.UseToken(ctx, d, u, s, now)
}

func TestStoreErrorsPropagate(t *testing.T) {
	type env struct {
		f      *fixture
		fs     *failingStore
		e      Enrollment
		codes  []string
		token  string
		second Enrollment
	}
	setup := func(t *testing.T) *env {
		f := newFixture(t, func(c *Config) { c.Store = &failingStore{Store: NewMemoryStore()} })
		fs := f.svc.store.(*failingStore)
		e := f.enrolled(t, "u")
		second, err := f.svc.EnrollTOTP(bg, "u", "second")
		if err != nil {
			t.Fatal(err)
		}
		codes, _ := f.svc.RecoveryCodes(bg, "u")
		tok, _, _ := f.svc.IssueToken(bg, "u", "", false)
		return &env{f: f, fs: fs, e: e, codes: codes, token: tok, second: second}
	}
	cases := []struct {
		method string
		call   func(v *env) error
	}{
		{"UpdateDevices", func(v *env) error { _, err := v.f.svc.EnrollTOTP(bg, "u", "x"); return err }},
		{"ListDevices", func(v *env) error { _, err := v.f.svc.ConfirmTOTP(bg, "u", "123456"); return err }},
		{"ListDevices", func(v *env) error { _, err := v.f.svc.AuthenticateTOTP(bg, "u", "", "123456"); return err }},
		{"ListDevices", func(v *env) error { _, err := v.f.svc.ListDevices(bg, "u"); return err }},
		{"ReserveAttempt", func(v *env) error { _, err := v.f.svc.ConfirmTOTP(bg, "u", "123456"); return err }},
		{"ReserveAttempt", func(v *env) error { _, err := v.f.svc.AuthenticateRecovery(bg, "u", v.codes[0]); return err }},
		{"UpdateDevices", func(v *env) error {
			_, err := v.f.svc.ConfirmTOTP(bg, "u", codeAt(t, v.second.Secret, v.f.clock.Now(), 0))
			return err
		}},
		{"GetDevice", func(v *env) error { _, err := v.f.svc.AuthenticateTOTP(bg, "u", v.e.DeviceID, "123456"); return err }},
		{"GetDevice", func(v *env) error { return v.f.svc.DeleteDevice(bg, "u", v.e.DeviceID, "", v.token) }},
		{"MarkStepUsed", func(v *env) error {
			_, err := v.f.svc.AuthenticateTOTP(bg, "u", "", codeAt(t, v.e.Secret, v.f.clock.Now(), 0))
			return err
		}},
		{"UseToken", func(v *env) error { return v.f.svc.DeleteDevice(bg, "u", v.e.DeviceID, "", v.token) }},
		{"UpdateDevices", func(v *env) error { return v.f.svc.RemoveDevice(bg, "u", v.e.DeviceID) }},
		{"UpdateDevices", func(v *env) error { return v.f.svc.SetDefaultDevice(bg, "u", v.e.DeviceID) }},
		{"UpdateDevices", func(v *env) error { return v.f.svc.DeleteDevice(bg, "u", v.e.DeviceID, "", v.token) }},
		{"GetRecoverySet", func(v *env) error { _, err := v.f.svc.RecoveryCodes(bg, "u"); return err }},
		{"GetRecoverySet", func(v *env) error { _, err := v.f.svc.RecoveryAcknowledgement(bg, "u"); return err }},
		{"CreateRecoverySet", func(v *env) error { _, err := v.f.svc.RecoveryCodes(bg, "fresh"); return err }},
		{"ReplaceRecoverySet", func(v *env) error { _, err := v.f.svc.RegenerateRecoveryCodes(bg, "u"); return err }},
		{"ConsumeRecoveryCode", func(v *env) error { _, err := v.f.svc.AuthenticateRecovery(bg, "u", v.codes[0]); return err }},
		{"SetAcknowledgement", func(v *env) error { return v.f.svc.AcknowledgeRecoveryCodes(bg, "u") }},
		{"CreateToken", func(v *env) error { _, _, err := v.f.svc.IssueToken(bg, "u", "", true); return err }},
	}
	for _, c := range cases {
		t.Run(c.method, func(t *testing.T) {
			v := setup(t)
			v.fs.fail = c.method
			if err := c.call(v); !errors.Is(err, errBackend) {
				t.Fatalf("with %s failing: %v, want the backend error", c.method, err)
			}
		})
	}
	// A failed release does not turn a success into a failure; it is logged.
	v := setup(t)
	v.fs.fail = "ReleaseAttempt"
	if _, err := v.f.svc.AuthenticateTOTP(bg, "u", "", codeAt(t, v.e.Secret, v.f.clock.Now(), 0)); err != nil {
		t.Fatalf("authentication with a failing release: %v", err)
	}
	if !strings.Contains(v.f.logs.String(), "release attempt slot") {
		t.Fatal("failed release not logged")
	}
}

func TestMemoryStoreCanceledContext(t *testing.T) {
	m := NewMemoryStore()
	ctx, cancel := context.WithCancel(bg)
	cancel()
	var errs []error
	errs = append(errs, m.UpdateDevices(ctx, "u", func(ds Devices) (Devices, error) { return ds.Add(DeviceRecord{ID: "d", UserID: "u"}, 10) }))
	_, err := m.GetDevice(ctx, "u", "d")
	errs = append(errs, err)
	_, err = m.ListDevices(ctx, "u")
	errs = append(errs, err)
	errs = append(errs, m.MarkStepUsed(ctx, "u", "d", 1))
	_, _, err = m.ReserveAttempt(ctx, "k", t0, time.Minute, 1, 0)
	errs = append(errs, err, m.ReleaseAttempt(ctx, "k", t0), m.ReplaceRecoverySet(ctx, RecoverySet{UserID: "u"}))
	_, _, err = m.CreateRecoverySet(ctx, RecoverySet{UserID: "u"})
	errs = append(errs, err)
	_, err = m.GetRecoverySet(ctx, "u")
	errs = append(errs, err)
	_, err = m.ConsumeRecoveryCode(ctx, "u", nil)
	errs = append(errs, err, m.SetAcknowledgement(ctx, "u", authkit.AcknowledgementComplete), m.CreateToken(ctx, TokenRecord{}))
	_, err = m.UseToken(ctx, nil, "u", "", t0)
	errs = append(errs, err)
	for i, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("call %d with a canceled context: %v", i, err)
		}
	}
}

// The memory store drops expired tokens and windows as it goes, so it does
// not grow without bound.
func TestMemoryStorePrunes(t *testing.T) {
	m := NewMemoryStore()
	for i := 0; i < 600; i++ {
		now := t0.Add(time.Duration(i) * time.Minute)
		d := []byte{byte(i), byte(i >> 8)}
		if err := m.CreateToken(bg, TokenRecord{Digest: d, UserID: "u", CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.ReserveAttempt(bg, "k"+string(d), now, time.Minute, 5, 0); err != nil {
			t.Fatal(err)
		}
	}
	m.mu.Lock()
	tokens, windows := len(m.tokens), len(m.attempts)
	m.mu.Unlock()
	if tokens > 300 || windows > 300 {
		t.Fatalf("%d tokens and %d windows kept of 600, most of them expired", tokens, windows)
	}
}

func TestTooManyAttemptsError(t *testing.T) {
	err := error(&TooManyAttemptsError{RetryAfter: 90 * time.Second})
	if !errors.Is(err, ErrRateLimited) || errors.Is(err, ErrInvalidCode) {
		t.Fatal("errors.Is mismatch")
	}
	if !strings.Contains(err.Error(), "1m30s") {
		t.Fatalf("Error() = %q", err.Error())
	}
}
