package postgres_test

import (
	"testing"

	"github.com/authkit/authkit/session/keysync"
	"github.com/authkit/authkit/session/sessiontest"
	"github.com/authkit/authkit/store/postgres"
)

// The key set is one per store: each subtest gets its own schema.
func TestSessionKeyStore(t *testing.T) {
	sessiontest.RunKeyStoreTests(t, func(t *testing.T) keysync.Store {
		s, _ := newStore(t, postgres.Options{})
		return s.SessionKeys()
	})
}
