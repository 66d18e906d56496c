package mfatest_test

import (
	"fmt"

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
