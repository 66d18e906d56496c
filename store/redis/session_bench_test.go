package redis

import (
	"testing"

	"github.com/authkit/authkit/session/sessiontest"
)

// BenchmarkSessionStore: mint, refresh with rotation and verify with the
// store check, on Redis over loopback.
//
//	go test -run '^$' -bench SessionStore -benchmem -benchtime=200ms -count=3 ./store/redis/
func BenchmarkSessionStore(b *testing.B) {
	sessiontest.RunBenchmarks(b, newTestStore(b).Sessions())
}
