package mfa_test

import (
	"testing"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/mfa/mfatest"
)

func TestMemoryStore(t *testing.T) {
	mfatest.RunStoreTests(t, func(*testing.T) mfa.Store { return mfa.NewMemoryStore() })
}
