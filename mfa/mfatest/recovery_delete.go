package mfatest

import (
	"errors"
	"testing"

	"github.com/authkit/authkit/mfa"
)

// testServiceRecoveryFailuresKeptAcrossDelete: DeleteUser removes the
// user's recovery set but not the recovery failures counted against the
// user (mfa.UserStore: a reset must not hand an attacker a fresh budget),
// whether the store counts them in a limiter or in the recovery record
// (mfa.RecoveryAttempter); ResetFailures still clears them afterwards.
func testServiceRecoveryFailuresKeptAcrossDelete(t *testing.T, s mfa.Store) {
	const wrongCode = "0000-0000-0000-0000"
	f := newLockoutFixture(t, s, 0)
	if _, err := f.svc.RegenerateRecoveryCodes(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	for i := range mfa.DefaultMaxAttempts {
		if _, err := f.svc.AuthenticateRecovery(ctx, f.user, wrongCode); !errors.Is(err, mfa.ErrInvalidRecoveryCode) {
			t.Fatalf("wrong code %d: %v, want ErrInvalidRecoveryCode", i, err)
		}
	}
	if err := f.svc.DeleteUser(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	if st, err := f.svc.RecoveryStatus(ctx, f.user); err != nil || st != (mfa.RecoveryStatus{}) {
		t.Fatalf("recovery status after DeleteUser: %+v, %v; want none", st, err)
	}
	codes, err := f.svc.RegenerateRecoveryCodes(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AuthenticateRecovery(ctx, f.user, codes[0]); !errors.Is(err, mfa.ErrRateLimited) {
		t.Fatalf("right code of a new set after DeleteUser, failures at the limit: %v, want ErrRateLimited", err)
	}
	if st, err := f.svc.RecoveryStatus(ctx, f.user); err != nil || st.Count != len(codes) {
		t.Fatalf("recovery status after the refusal: %+v, %v; want %d codes", st, err, len(codes))
	}
	if err := f.svc.ResetFailures(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.AuthenticateRecovery(ctx, f.user, codes[0]); err != nil || n != len(codes)-1 {
		t.Fatalf("right code after ResetFailures: %d left, %v", n, err)
	}
}
