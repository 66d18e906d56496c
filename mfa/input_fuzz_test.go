package mfa

import (
	"errors"
	"testing"
)

// Arbitrary user input to the checking methods gets a typed error, never a
// panic, and never changes stored state beyond the attempt counters.
func FuzzUserInput(f *testing.F) {
	for _, s := range []string{"123456", "", "ABCD-EFGH-JKMN-PQRS", "\x00", "123 456", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		f.Add(s)
	}
	fx := newFixture(f, func(c *Config) { c.MaxAttempts = 1 << 30; c.Logger = nil })
	e := fx.enrolled(f, "u")
	if _, err := fx.svc.RecoveryCodes(bg, "u"); err != nil {
		f.Fatal(err)
	}
	before, _ := fx.store.GetDevice(bg, "u", e.DeviceID)
	right := codeAt(f, e.Secret, fx.clock.Now(), 0)
	f.Fuzz(func(t *testing.T, in string) {
		_, err := fx.svc.AuthenticateTOTP(bg, "u", "", in)
		if err == nil {
			if n, _ := normalizeTOTPCode(in); n != right {
				t.Fatalf("accepted %q", in)
			}
			before, _ = fx.store.GetDevice(bg, "u", e.DeviceID) // it found the live code
			return
		}
		if !errors.Is(err, ErrInvalidCode) {
			t.Fatalf("AuthenticateTOTP(%q) = %v", in, err)
		}
		if _, err := fx.svc.AuthenticateTOTP(bg, "u", in, "123456"); err != nil && !errors.Is(err, ErrDeviceNotFound) && !errors.Is(err, ErrInvalidCode) {
			t.Fatalf("AuthenticateTOTP(device %q) = %v", in, err)
		}
		if _, err := fx.svc.AuthenticateRecovery(bg, "u", in); !errors.Is(err, ErrInvalidRecoveryCode) {
			t.Fatalf("AuthenticateRecovery(%q) = %v", in, err)
		}
		if err := fx.svc.ConsumeToken(bg, "u", "", in); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("ConsumeToken(%q) = %v", in, err)
		}
		if err := fx.svc.DeleteDevice(bg, "u", e.DeviceID, "", in); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("DeleteDevice(token %q) = %v", in, err)
		}
		after, err := fx.store.GetDevice(bg, "u", e.DeviceID)
		if err != nil || after.LastStep != before.LastStep || !after.Default {
			t.Fatalf("device changed by bad input: %+v, %v", after, err)
		}
		set, _ := fx.store.GetRecoverySet(bg, "u")
		if len(set.Codes) != 10 {
			t.Fatalf("recovery set changed by bad input: %d codes", len(set.Codes))
		}
	})
}
