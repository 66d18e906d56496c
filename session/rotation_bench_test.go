package session_test

import (
	"testing"

	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/sessiontest"
)

// BenchmarkSessionStore: mint, refresh with rotation and verify with the
// store check, on the memory store.
//
//	go test -run '^$' -bench SessionStore -benchmem -benchtime=200ms -count=3 ./session/
func BenchmarkSessionStore(b *testing.B) {
	sessiontest.RunBenchmarks(b, session.NewMemoryStore())
}
