package mfatest

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/mfa"
	"github.com/pquerna/otp/totp"
)

// lockoutFixture is an mfa.Service over the store under test with a
// settable clock and one user holding a confirmed TOTP device.
type lockoutFixture struct {
	svc    *mfa.Service
	user   string
	secret string
	mu     sync.Mutex
	now    time.Time
}

func (f *lockoutFixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *lockoutFixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// newLockoutFixture starts the clock mid-step after base, enrolls and
// confirms a device, and moves to the next step.
func newLockoutFixture(t *testing.T, s mfa.Store, maxFailures int) *lockoutFixture {
	t.Helper()
	f := &lockoutFixture{user: uniq(t, "user"), now: base.Add(10 * time.Second)}
	var k mfa.Key
	k.ID = "k1"
	copy(k.Secret[:], bytes.Repeat([]byte{7}, len(k.Secret)))
	sealer, err := mfa.NewAESGCMSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	f.svc, err = mfa.New(mfa.Config{Store: s, Sealer: sealer, HashKeys: [][]byte{bytes.Repeat([]byte("h"), 32)},
		Issuer: "ACME", Now: f.clock, MaxAttempts: maxFailures})
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.svc.EnrollTOTP(ctx, f.user, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	f.secret = e.Secret
	if _, err := f.svc.ConfirmTOTP(ctx, f.user, f.code(t)); err != nil {
		t.Fatal(err)
	}
	f.advance(30 * time.Second)
	return f
}

// code is the right code now; wrong one that matches no step within ±2.
func (f *lockoutFixture) code(t *testing.T) string {
	t.Helper()
	c, err := totp.GenerateCode(f.secret, f.clock())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *lockoutFixture) wrong(t *testing.T) string {
	t.Helper()
	used := map[string]bool{}
	for o := -2; o <= 2; o++ {
		c, err := totp.GenerateCode(f.secret, f.clock().Add(time.Duration(o)*30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		used[c] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333", "444444", "555555"} {
		if !used[c] {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// testServiceLifetimeLockout is the slow guessing attack NIST SP 800-63B-4
// §3.2.2 caps: an attacker who holds the first factor makes the most of
// every failure window (5 per 5 minutes), while the real user keeps
// signing in successfully in between. After 100 failures in all, TOTP is
// refused, the right code included, until ResetFailures; recovery codes
// still work.
func testServiceLifetimeLockout(t *testing.T, s mfa.Store) {
	f := newLockoutFixture(t, s, 0)
	failures := 0
	for failures < mfa.DefaultMaxLifetimeFailures {
		// The user signs in; this resets nothing.
		if _, err := f.svc.AuthenticateTOTP(ctx, f.user, "", f.code(t)); err != nil {
			t.Fatalf("user's sign-in after %d failures: %v", failures, err)
		}
		for i := 0; i < mfa.DefaultMaxAttempts; i++ {
			if _, err := f.svc.AuthenticateTOTP(ctx, f.user, "", f.wrong(t)); !errors.Is(err, mfa.ErrInvalidCode) {
				t.Fatalf("guess %d = %v, want ErrInvalidCode", failures, err)
			}
			failures++
		}
		f.advance(mfa.DefaultFailureWindow)
	}
	_, err := f.svc.AuthenticateTOTP(ctx, f.user, "", f.code(t))
	if !errors.Is(err, mfa.ErrLockedOut) || !errors.Is(err, mfa.ErrRateLimited) {
		t.Fatalf("right code after %d failures = %v, want ErrLockedOut (and ErrRateLimited)", failures, err)
	}
	f.advance(30 * 24 * time.Hour)
	if _, err := f.svc.AuthenticateTOTP(ctx, f.user, "", f.code(t)); !errors.Is(err, mfa.ErrLockedOut) {
		t.Fatalf("right code 30 days later = %v, want ErrLockedOut", err)
	}
	codes, err := f.svc.RegenerateRecoveryCodes(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AuthenticateRecovery(ctx, f.user, codes[0]); err != nil {
		t.Fatalf("recovery code while locked out: %v", err)
	}
	if err := f.svc.ResetFailures(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AuthenticateTOTP(ctx, f.user, "", f.code(t)); err != nil {
		t.Fatalf("right code after ResetFailures: %v", err)
	}
}

// testServiceLifetimeParallel: one failure below the cap, Parallelism
// wrong codes at once (with a window limit too large to matter) get one
// evaluation between them; the others are refused without being checked.
func testServiceLifetimeParallel(t *testing.T, s mfa.Store) {
	f := newLockoutFixture(t, s, 1000)
	wrong := f.wrong(t)
	for i := 0; i < mfa.DefaultMaxLifetimeFailures-1; i++ {
		if _, err := f.svc.AuthenticateTOTP(ctx, f.user, "", wrong); !errors.Is(err, mfa.ErrInvalidCode) {
			t.Fatalf("guess %d = %v", i, err)
		}
	}
	evaluated := parallel(t, mfa.ErrLockedOut, func(int) error {
		_, err := f.svc.AuthenticateTOTP(ctx, f.user, "", wrong)
		if errors.Is(err, mfa.ErrInvalidCode) {
			return nil
		}
		return err
	})
	if evaluated != 1 {
		t.Fatalf("%d parallel guesses one below the lifetime cap: %d evaluated, want 1", Parallelism, evaluated)
	}
}
