package main

import (
	"context"
	"errors"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/verification"
)

// storeSet is every piece of state the server keeps. Construction of the
// stores lives in this file only, so that a PostgreSQL or Redis backend
// plugs in here and nowhere else; the end-to-end tests take a storeSet too
// and run unchanged against each backend.
type storeSet struct {
	// Verification holds one-time codes and per-destination send history.
	Verification verification.Store
	// MFA holds TOTP devices, failed-attempt windows, recovery codes and MFA tokens.
	MFA mfa.Store
	// Sessions holds session records and consumed token ids.
	Sessions session.Store
	// OAuthStates holds OAuth sign-ins between initAuth and signIn.
	OAuthStates oauth.StateStore
	// Users is the example's user directory (users.go).
	Users userStore
	// NewLimiter returns a limiter applying rule, for the per-IP limits;
	// name distinguishes the limiters of one server (a shared backend
	// namespaces its keys with it).
	NewLimiter func(name string, rule ratelimit.Rule) (ratelimit.Limiter, error)
	// Close releases the backend's connections; nil for memory stores.
	Close func() error
}

// newMemoryStores returns in-memory stores for the environment env: what
// the server uses with no -postgres or -redis flag.
func newMemoryStores(env string) *storeSet {
	return &storeSet{
		Verification: verification.NewMemoryStore(),
		MFA:          mfa.NewMemoryStore(),
		Sessions:     session.NewMemoryStore(),
		OAuthStates:  oauth.NewMemoryStateStore(),
		Users:        newMemoryUsers(env),
		NewLimiter: func(_ string, rule ratelimit.Rule) (ratelimit.Limiter, error) {
			return ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: rule})
		},
	}
}

// errNoBackend is returned for -postgres and -redis until the store
// adapters (store/postgres, store/redis) are wired in here.
var errNoBackend = errors.New("-postgres and -redis are not wired into this build yet; run without them for in-memory stores")

// openStores builds the stores the configuration asks for.
func openStores(_ context.Context, cfg config) (*storeSet, error) {
	if cfg.Postgres != "" || cfg.Redis != "" {
		// Hook for store/postgres and store/redis: open the pool or client
		// here, build every store from it, and set Close.
		return nil, errNoBackend
	}
	return newMemoryStores(cfg.Env), nil
}
