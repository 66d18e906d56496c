package verification_test

import (
	"testing"

	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

func TestMemoryStore(t *testing.T) {
	verificationtest.RunStoreTests(t, func(t *testing.T) verification.Store {
		return verification.NewMemoryStore()
	})
}
