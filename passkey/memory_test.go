package passkey_test

import (
	"testing"

	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/passkey/passkeytest"
)

func TestMemoryStore(t *testing.T) {
	passkeytest.RunStoreTests(t, func(*testing.T) passkey.Store { return passkey.NewMemoryStore() })
}

func TestCeremoniesOnMemoryStore(t *testing.T) {
	shared := passkey.NewMemoryStore()
	passkeytest.RunCeremonyTests(t, func(*testing.T) passkey.Store { return shared })
}
