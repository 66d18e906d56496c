package mfa_test

import (
	"testing"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/mfa/mfatest"
	"github.com/authkit/authkit/ratelimit"
)

func TestMemoryStore(t *testing.T) {
	mfatest.RunStoreTests(t, func(*testing.T) mfa.Store { return mfa.NewMemoryStore() })
}

// TestMemoryStoreRemoteLimiter runs the suite with the memory store seen
// as a PostgreSQL or Redis store is: its limiters behind the bare
// ratelimit.Counter interface and no RecoveryAttempter. The Service then
// takes its reserve-and-refund path, which is proven here without those
// servers.
func TestMemoryStoreRemoteLimiter(t *testing.T) {
	mfatest.RunStoreTests(t, func(*testing.T) mfa.Store { return remoteLimiterStore{mfa.NewMemoryStore()} })
}

// remoteLimiterStore has exactly the methods of mfa.Store.
type remoteLimiterStore struct{ mfa.Store }

func (s remoteLimiterStore) Limiter(cfg ratelimit.LimiterConfig) (ratelimit.Counter, error) {
	l, err := s.Store.Limiter(cfg)
	return counterOnly{l}, err
}

// counterOnly has exactly the methods of ratelimit.Counter.
type counterOnly struct{ ratelimit.Counter }
