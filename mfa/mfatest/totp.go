package mfatest

import (
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/authkit/authkit/mfa"
)

// TOTPCode returns the code an authenticator app shows at time at for
// secret, the base32 secret of an mfa.Enrollment (padding and case do not
// matter): RFC 6238 with HMAC-SHA1, mfa.TOTPDigits digits and a step of
// mfa.TOTPPeriod seconds. A host's tests use it to confirm a device and to
// pass an MFA challenge. A secret that is not base32 fails tb.
//
// mfa.Service accepts a code once per time step and device (RFC 6238
// §5.2): to authenticate twice in a test, advance the clock by
// mfa.TOTPPeriod between the codes.
func TOTPCode(tb testing.TB, secret string, at time.Time) string {
	tb.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{
		Period: mfa.TOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		tb.Fatalf("mfatest.TOTPCode: %v", err)
	}
	return code
}
