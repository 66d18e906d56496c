package mfatest

import (
	"errors"
	"testing"

	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/mfa"
)

// testServiceRecoveryGuessesParallel races wrong recovery codes, alone and
// mixed with right ones, through an mfa.Service on the store: however the
// failure limiter and the store interleave them, no more than MaxAttempts
// wrong codes are evaluated in a FailureWindow, a right code is used at
// most once, and a success never takes a failure slot for good.
func testServiceRecoveryGuessesParallel(t *testing.T, s mfa.Store) {
	const wrongCode = "0000-0000-0000-0000"
	f := newLockoutFixture(t, s, 0)
	outcomes := func(errs []error) (ok, wrong, limited int) {
		t.Helper()
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, mfa.ErrInvalidRecoveryCode):
				wrong++
			case errors.Is(err, mfa.ErrRateLimited):
				limited++
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		return ok, wrong, limited
	}

	// Wrong codes only: exactly MaxAttempts are evaluated.
	if _, err := f.svc.RegenerateRecoveryCodes(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	ok, wrong, limited := outcomes(race.Run(Parallelism, func(int) error {
		_, err := f.svc.AuthenticateRecovery(ctx, f.user, wrongCode)
		return err
	}))
	if ok != 0 || wrong != mfa.DefaultMaxAttempts || limited != Parallelism-mfa.DefaultMaxAttempts {
		t.Fatalf("%d racing wrong codes: %d accepted, %d evaluated, %d limited; want 0, %d, %d",
			Parallelism, ok, wrong, limited, mfa.DefaultMaxAttempts, Parallelism-mfa.DefaultMaxAttempts)
	}

	// A fresh window, right and wrong codes racing: never more than
	// MaxAttempts failures; each right code is used at most once.
	f.advance(mfa.DefaultFailureWindow)
	codes, err := f.svc.RegenerateRecoveryCodes(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	right := len(codes)
	rightOK := make([]bool, right)
	errs := race.Run(Parallelism, func(i int) error {
		if i < right {
			_, err := f.svc.AuthenticateRecovery(ctx, f.user, codes[i])
			rightOK[i] = err == nil
			return err
		}
		_, err := f.svc.AuthenticateRecovery(ctx, f.user, wrongCode)
		return err
	})
	ok, wrong, _ = outcomes(errs)
	if wrong > mfa.DefaultMaxAttempts || ok > right {
		t.Fatalf("right and wrong codes racing: %d wrong codes evaluated (max %d), %d accepted (max %d)", wrong, mfa.DefaultMaxAttempts, ok, right)
	}
	for i, err := range errs[right:] {
		if err == nil {
			t.Fatalf("wrong code %d accepted", i)
		}
	}
	st, err := f.svc.RecoveryStatus(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	if st.Count != right-ok {
		t.Fatalf("%d codes accepted, %d of %d left", ok, st.Count, right)
	}
	// The successes took no slot: once the window has passed, the codes
	// refused meanwhile still work, and only the failures of the new
	// window count.
	f.advance(mfa.DefaultFailureWindow)
	for i, c := range codes {
		if rightOK[i] {
			continue
		}
		if _, err := f.svc.AuthenticateRecovery(ctx, f.user, c); err != nil {
			t.Fatalf("unused code %d after the window: %v", i, err)
		}
	}
	for i := range mfa.DefaultMaxAttempts {
		if _, err := f.svc.AuthenticateRecovery(ctx, f.user, wrongCode); !errors.Is(err, mfa.ErrInvalidRecoveryCode) {
			t.Fatalf("wrong code %d after %d successes: %v, want ErrInvalidRecoveryCode", i, right, err)
		}
	}
	if _, err := f.svc.AuthenticateRecovery(ctx, f.user, wrongCode); !errors.Is(err, mfa.ErrRateLimited) {
		t.Fatalf("wrong code past MaxAttempts: %v, want ErrRateLimited", err)
	}
}
