package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// backendURL returns the test server address in the environment variable
// name. CI (CI=true) starts PostgreSQL and Redis and sets both, so there a
// missing one is a failure; elsewhere the test is skipped.
func backendURL(t testing.TB, name string) string {
	t.Helper()
	u := os.Getenv(name)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: .ci/run starts the server and sets it", name)
		}
		t.Skipf("%s not set; run .ci/services.sh start and set it to test this backend", name)
	}
	return u
}

func randomName(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// postgresStores is the storeFactory of PostgreSQL stores, each test in a
// schema of its own, dropped afterwards.
func postgresStores(t *testing.T, env string) *storeSet { return openTestPostgres(t, env) }

// openTestPostgres is postgresStores for tests and benchmarks; tune
// adjusts the pool's configuration.
func openTestPostgres(t testing.TB, env string, tune ...func(*pgxpool.Config)) *storeSet {
	dsn := backendURL(t, "AUTHKIT_TEST_POSTGRES")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	schema := "e2e_" + randomName(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, dsn); err == nil {
			c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	s, err := openPostgres(ctx, dsn, env, schema, tune...)
	if err != nil {
		t.Fatalf("openPostgres: %v", err)
	}
	return s
}

// redisStores is the storeFactory of Redis stores, each test under a key
// prefix of its own.
func redisStores(t *testing.T, env string) *storeSet { return openTestRedis(t, env) }

// openTestRedis is redisStores for tests and benchmarks.
func openTestRedis(t testing.TB, env string) *storeSet {
	url := backendURL(t, "AUTHKIT_TEST_REDIS")
	s, err := openRedis(context.Background(), url, env, "e2e:"+randomName(t))
	if err != nil {
		t.Fatalf("openRedis: %v", err)
	}
	return s
}

// The whole end-to-end suite, unchanged, on each real backend.
func TestEndToEndPostgres(t *testing.T) { runEndToEnd(t, postgresStores) }
func TestEndToEndRedis(t *testing.T)    { runEndToEnd(t, redisStores) }

func TestStoreFlags(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*config)
		want string
	}{
		{"both", func(c *config) { c.Postgres, c.Redis = "postgres://127.0.0.1:1/x", "redis://127.0.0.1:1/0" }, "exclusive"},
		{"bad postgres DSN", func(c *config) { c.Postgres = "postgres://%zz" }, "-postgres"},
		{"postgres unreachable", func(c *config) { c.Postgres = "postgres://postgres@127.0.0.1:1/authkit?connect_timeout=2" }, "-postgres"},
		{"bad redis URL", func(c *config) { c.Redis = "http://127.0.0.1:1" }, "-redis"},
		{"redis unreachable", func(c *config) { c.Redis = "redis://127.0.0.1:1/0" }, "-redis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.Env, cfg.Issuer = testEnvID, "http://127.0.0.1:1"+apiPrefix+testEnvID
			tt.mod(&cfg)
			_, err := newServer(t.Context(), cfg, serverOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("newServer = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

// TestStoreFlagsOpen starts a server with -postgres and with -redis
// against the test servers: migrations apply and the stores answer.
func TestStoreFlagsOpen(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*testing.T, *config)
	}{
		{"postgres", func(t *testing.T, c *config) { c.Postgres = backendURL(t, "AUTHKIT_TEST_POSTGRES") }},
		{"redis", func(t *testing.T, c *config) { c.Redis = backendURL(t, "AUTHKIT_TEST_REDIS") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.Env, cfg.Issuer = testEnvID, "http://127.0.0.1:1"+apiPrefix+testEnvID
			tc.mod(t, &cfg)
			srv, err := newServer(t.Context(), cfg, serverOptions{})
			if err != nil {
				t.Fatalf("newServer: %v", err)
			}
			defer srv.Close()
			if _, err := srv.stores.Sessions.Get(t.Context(), "00000000-0000-4000-8000-000000000000"); err == nil {
				t.Error("Get of an unknown session succeeded")
			}
		})
	}
}
