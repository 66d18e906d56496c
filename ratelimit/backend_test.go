package ratelimit_test

import (
	"testing"

	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/ratelimit/ratelimittest"
)

func TestMemoryBackend(t *testing.T) {
	ratelimittest.RunBackendTests(t, func(*testing.T) ratelimit.Backend { return &ratelimit.MemoryBackend{} })
}
