package accounttest_test

import (
	"testing"

	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/account/accounttest"
)

// The suite against the reference implementation, so that a change to the
// suite is checked here first.
func TestRunStoreTests(t *testing.T) {
	accounttest.RunStoreTests(t, func(*testing.T) account.Store { return account.NewMemoryStore() })
}
