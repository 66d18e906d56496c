package postgres_test

import (
	"testing"

	"github.com/authkit/authkit/session/sessiontest"
	"github.com/authkit/authkit/store/postgres"
)

// BenchmarkSessionStore: mint, refresh with rotation and verify with the
// store check, on PostgreSQL over loopback.
//
//	go test -run '^$' -bench SessionStore -benchmem -benchtime=200ms -count=3 ./store/postgres/
func BenchmarkSessionStore(b *testing.B) {
	s, _ := newStore(b, postgres.Options{})
	sessiontest.RunBenchmarks(b, s.Sessions())
}
