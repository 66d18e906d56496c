package sessiontest_test

import (
	"fmt"
	"testing"

	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/sessiontest"
)

// A store implementation runs the whole suite from one test function in
// its own _test.go file.
func ExampleRunStoreTests() {
	testMyStore := func(t *testing.T) {
		sessiontest.RunStoreTests(t, func(t *testing.T) session.Store {
			return session.NewMemoryStore() // your store here, cleaned up with t.Cleanup
		})
	}
	_ = testMyStore // func TestMyStore(t *testing.T) { … } in real code
	fmt.Println("concurrency cases run", sessiontest.Parallelism, "goroutines")
	// Output: concurrency cases run 32 goroutines
}
