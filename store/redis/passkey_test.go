package redis

import (
	"testing"

	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/passkey/passkeytest"
)

func TestPasskeyConformance(t *testing.T) {
	passkeytest.RunStoreTests(t, func(t *testing.T) passkey.Store { return newTestStore(t).Passkeys() })
}

func TestPasskeyCeremonies(t *testing.T) {
	passkeytest.RunCeremonyTests(t, func(t *testing.T) passkey.Store { return newTestStore(t).Passkeys() })
}
