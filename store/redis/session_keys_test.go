package redis

import (
	"testing"

	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/sessiontest"
)

// The key set is one per store: each subtest gets its own key prefix.
func TestSessionKeyStore(t *testing.T) {
	sessiontest.RunKeyStoreTests(t, func(t *testing.T) session.KeyStore { return newTestStore(t).SessionKeys() })
}
