package sessiontest_test

import (
	"testing"

	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/keysync"
	"github.com/authkit/authkit/session/sessiontest"
)

// The suite passes against the in-memory store.
func TestRunStoreTestsMemory(t *testing.T) {
	sessiontest.RunStoreTests(t, func(t *testing.T) session.Store { return session.NewMemoryStore() })
}

// One shared store for every subtest works too (random ids).
func TestRunStoreTestsShared(t *testing.T) {
	s := session.NewMemoryStore()
	sessiontest.RunStoreTests(t, func(t *testing.T) session.Store { return s })
}

func TestRunKeyStoreTestsMemory(t *testing.T) {
	sessiontest.RunKeyStoreTests(t, func(t *testing.T) keysync.Store { return keysync.NewMemoryStore() })
}
