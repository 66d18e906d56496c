package mfatest_test

import (
	"encoding/base32"
	"runtime"
	"testing"
	"time"

	"github.com/authkit/authkit/mfa/mfatest"
)

// TestTOTPCodeRFC6238 checks TOTPCode against the HMAC-SHA1 test vectors of
// RFC 6238 Appendix B. The RFC prints 8-digit codes; a 6-digit code is the
// same truncated value modulo 10^6 (RFC 4226 §5.3), i.e. its last 6 digits.
func TestTOTPCodeRFC6238(t *testing.T) {
	seed := []byte("12345678901234567890")
	padded := base32.StdEncoding.EncodeToString(seed)
	unpadded := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(seed)
	tests := []struct {
		unix  int64
		eight string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, tc := range tests {
		want := tc.eight[2:]
		for _, secret := range []string{padded, unpadded} {
			if got := mfatest.TOTPCode(t, secret, time.Unix(tc.unix, 0)); got != want {
				t.Errorf("TOTPCode(%q, %d) = %q, want %q", secret, tc.unix, got, want)
			}
		}
	}
}

// TestTOTPCodeBadSecret: a secret that is not base32 fails the test
// instead of returning a code.
func TestTOTPCodeBadSecret(t *testing.T) {
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() { // Fatalf ends the goroutine it runs on
		defer close(done)
		mfatest.TOTPCode(rec, "not base32 !", time.Unix(59, 0))
	}()
	<-done
	if !rec.failed {
		t.Fatal("TOTPCode with a malformed secret did not fail the test")
	}
}

type recordingTB struct {
	testing.TB
	failed bool
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Fatalf(string, ...any) {
	r.failed = true
	runtime.Goexit()
}
