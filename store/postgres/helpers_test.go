package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authkit/authkit/store/postgres"
)

// testDSN returns the shared test server's DSN: the test is skipped when it
// is not set, except under CI=true, where a missing server is a failure.
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("AUTHKIT_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("AUTHKIT_TEST_POSTGRES is not set (required under CI=true)")
		}
		t.Skip("AUTHKIT_TEST_POSTGRES is not set")
	}
	return dsn
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// newSchema creates a fresh schema on dsn's server, dropped when the test
// ends, and returns its name.
func newSchema(t testing.TB, dsn string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	schema := "authkit_test_" + randomHex(t, 6)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// newPool opens a pool on dsn whose connections use schema, closed when the
// test ends.
func newPool(t testing.TB, dsn, schema string, maxConns int32) *pgxpool.Pool {
	t.Helper()
	pool, _ := newCountingPool(t, dsn, schema, maxConns)
	return pool
}

// countingConn counts the writes a connection makes. pgx writes each
// query, or each pipelined batch, in one write and then waits for the
// answer, so after statements are prepared, writes are round trips.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// newCountingPool is newPool that also counts the round trips of all its
// connections.
func newCountingPool(t testing.TB, dsn, schema string, maxConns int32) (*pgxpool.Pool, *atomic.Int64) {
	t.Helper()
	writes := new(atomic.Int64)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	postgres.WithSchema(cfg, schema)
	postgres.CancelQueriesOnTimeout(cfg)
	cfg.MaxConns = maxConns
	var d net.Dialer
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, writes}, nil
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, writes
}

// newCountingStore returns a migrated Store in a fresh schema of the
// shared server, on a pool of maxConns connections, and the pool's
// round-trip counter (see newCountingPool).
func newCountingStore(t testing.TB, maxConns int32) (*postgres.Store, *atomic.Int64) {
	t.Helper()
	dsn := testDSN(t)
	pool, writes := newCountingPool(t, dsn, newSchema(t, dsn), maxConns)
	return migrated(t, pool, postgres.Options{}), writes
}

// newStore returns a migrated Store in a fresh schema of the shared server.
func newStore(t testing.TB, opts postgres.Options) (*postgres.Store, *pgxpool.Pool) {
	t.Helper()
	dsn := testDSN(t)
	pool := newPool(t, dsn, newSchema(t, dsn), 16)
	return migrated(t, pool, opts), pool
}

// migrated returns a Store on pool with opts, its migrations applied.
func migrated(t testing.TB, pool *pgxpool.Pool, opts postgres.Options) *postgres.Store {
	t.Helper()
	s, err := postgres.New(pool, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// Fixed instants for tests that do not care about expiry.
var (
	farPast   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	farFuture = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)
