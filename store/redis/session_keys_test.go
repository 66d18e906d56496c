package redis

import (
	"testing"

	"github.com/authkit/authkit/session/keysync"
	"github.com/authkit/authkit/session/sessiontest"
)

// The key set is one per store: each subtest gets its own key prefix.
func TestSessionKeyStore(t *testing.T) {
	sessiontest.RunKeyStoreTests(t, func(t *testing.T) keysync.Store { return newTestStore(t).SessionKeys() })
}
