package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/devicebind"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/store/postgres"
	redisstore "github.com/authkit/authkit/store/redis"
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
	OAuthStates oauth.Store
	// Accounts holds users and their credentials.
	Accounts account.Store
	// Passkeys holds WebAuthn challenges and passkeys.
	Passkeys passkey.Store
	// DeviceNonces holds the nonces of device-bound requests.
	DeviceNonces devicebind.Store
	// Limits hands out the per-IP limiters and the daily send cap by name
	// (a shared backend namespaces its keys with it).
	Limits ratelimit.Backend
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
		OAuthStates:  oauth.NewMemoryStore(),
		Accounts:     account.NewMemoryStore(),
		Passkeys:     passkey.NewMemoryStore(),
		DeviceNonces: devicebind.NewMemoryStore(),
		Limits:       &ratelimit.MemoryBackend{},
	}
}

// openStores builds the stores the configuration asks for: in memory by
// default, or every store, users included, on one PostgreSQL database
// (-postgres) or one Redis (-redis), so that several instances and restarts
// see the same users.
func openStores(ctx context.Context, cfg config) (*storeSet, error) {
	switch {
	case cfg.Postgres != "" && cfg.Redis != "":
		return nil, errors.New("-postgres and -redis are exclusive: choose one backend")
	case cfg.Postgres != "":
		return openPostgres(ctx, cfg.Postgres, cfg.Env, "")
	case cfg.Redis != "":
		return openRedis(ctx, cfg.Redis, cfg.Env, "")
	}
	return newMemoryStores(cfg.Env), nil
}

// openPostgres connects to dsn, applies the migrations (in schema, when
// given, else the DSN's search_path) and returns stores on that database.
func openPostgres(ctx context.Context, dsn, env, schema string, tune ...func(*pgxpool.Config)) (*storeSet, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("-postgres: %w", err)
	}
	for _, f := range tune { // tests: a statement counter
		f(pc)
	}
	// A statement abandoned at its deadline is cancelled and rolled back,
	// rather than left to commit unseen once a lock frees.
	postgres.CancelQueriesOnTimeout(pc)
	if schema != "" {
		postgres.WithSchema(pc, schema)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("-postgres: %w", err)
	}
	st, err := postgres.New(pool, postgres.Options{})
	if err == nil {
		mctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err = st.Migrate(mctx)
		cancel()
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("-postgres: %w", err)
	}
	return &storeSet{
		Verification: st.Verifications(),
		MFA:          st.MFA(),
		Sessions:     st.Sessions(),
		OAuthStates:  st.OAuthStates(),
		Accounts:     st.Accounts(),
		Passkeys:     st.Passkeys(),
		DeviceNonces: st.DeviceNonces(),
		Limits:       st,
		Close:        func() error { pool.Close(); return nil },
	}, nil
}

// openRedis connects to the redis:// URL and returns stores on it, their
// keys under prefix (default "authkit:" + env).
func openRedis(ctx context.Context, url, env, prefix string) (*storeSet, error) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("-redis: %w", err)
	}
	// Let context deadlines bound the socket reads themselves.
	opt.ContextTimeoutEnabled = true
	client := goredis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = client.Ping(pctx).Err()
	cancel()
	if prefix == "" {
		prefix = "authkit:" + env
	}
	var st *redisstore.Store
	if err == nil {
		st, err = redisstore.New(client, redisstore.Options{Prefix: prefix})
	}
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("-redis: %w", err)
	}
	return &storeSet{
		Verification: st.Verifications(),
		MFA:          st.MFA(),
		Sessions:     st.Sessions(),
		OAuthStates:  st.OAuthStates(),
		Accounts:     st.Accounts(),
		Passkeys:     st.Passkeys(),
		DeviceNonces: st.DeviceNonces(),
		Limits:       st,
		Close:        client.Close,
	}, nil
}
