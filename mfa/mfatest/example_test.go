package mfatest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/authkit/authkit/mfa/mfatest"
)

// A host checks its own store by calling RunStoreTests from a test:
//
//	func TestStore(t *testing.T) {
//		mfatest.RunStoreTests(t, func(t *testing.T) mfa.Store { return newMyStore(t) })
//	}
//
// The concurrency cases start Parallelism goroutines at once.
func Example() {
	fmt.Println("goroutines per concurrency case:", mfatest.Parallelism)
	// Output: goroutines per concurrency case: 32
}

// A host test computes the code the user's authenticator app would show,
// from the secret of the enrollment it just made.
func ExampleTOTPCode() {
	t := &testing.T{}                            // in a real test, the test's own *testing.T
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // RFC 6238 Appendix B seed
	fmt.Println(mfatest.TOTPCode(t, secret, time.Unix(59, 0)))
	// Output: 287082
}
