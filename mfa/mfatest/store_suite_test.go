package mfatest_test

import (
	"testing"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/mfa/mfatest"
)

// The suite itself, against the reference implementation.
func TestRunStoreTestsMemory(t *testing.T) {
	mfatest.RunStoreTests(t, func(*testing.T) mfa.Store { return mfa.NewMemoryStore() })
}
