package accounttest_test

import (
	"fmt"

	"github.com/authkit/authkit/account/accounttest"
)

// A host checks its own store, for example one over its users table, by
// calling RunStoreTests from a test:
//
//	func TestAccountStore(t *testing.T) {
//		accounttest.RunStoreTests(t, func(t *testing.T) account.Store { return newMyStore(t) })
//	}
//
// The concurrency cases start Parallelism goroutines at once.
func Example() {
	fmt.Println("goroutines per concurrency case:", accounttest.Parallelism)
	// Output: goroutines per concurrency case: 24
}
