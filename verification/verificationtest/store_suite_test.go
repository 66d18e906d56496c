package verificationtest_test

import (
	"testing"

	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

// The suite run on a single shared store, as a database-backed host would:
// ids and destinations must not collide across subtests.
func TestRunStoreTestsSharedStore(t *testing.T) {
	s := verification.NewMemoryStore()
	verificationtest.RunStoreTests(t, func(*testing.T) verification.Store { return s })
}
