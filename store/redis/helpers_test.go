package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"
)

// sharedClient is one client for every test against the shared server
// (AUTHKIT_TEST_REDIS); each test gets its own random key prefix.
var sharedClient = sync.OnceValues(func() (*goredis.Client, error) {
	url := os.Getenv("AUTHKIT_TEST_REDIS")
	if url == "" {
		return nil, nil
	}
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	opt.PoolSize = 64
	return goredis.NewClient(opt), nil
})

// testOptions returns fresh options for a client of the shared server.
func testOptions(t testing.TB) *goredis.Options {
	t.Helper()
	testClient(t) // skips or fails when there is no server
	opt, err := goredis.ParseURL(os.Getenv("AUTHKIT_TEST_REDIS"))
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

// testClient returns the shared client, skipping the test when no server
// is configured (failing instead under CI=true).
func testClient(t testing.TB) *goredis.Client {
	t.Helper()
	c, err := sharedClient()
	if err != nil {
		t.Fatalf("AUTHKIT_TEST_REDIS: %v", err)
	}
	if c == nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("AUTHKIT_TEST_REDIS is not set; CI must run the Redis store tests")
		}
		t.Skip("AUTHKIT_TEST_REDIS is not set")
	}
	return c
}

func randomPrefix(t testing.TB) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "authkit-test-" + hex.EncodeToString(b[:])
}

// newTestStore returns a Store on the shared server under a fresh prefix,
// whose keys are deleted when the test ends (never FLUSHDB: other packages
// share the server).
func newTestStore(t testing.TB) *Store {
	t.Helper()
	c := testClient(t)
	s, err := New(c, Options{Prefix: randomPrefix(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deletePrefix(t, c, s.Prefix()) })
	return s
}

func deletePrefix(t testing.TB, c goredis.UniversalClient, prefix string) {
	ctx := context.Background()
	keys, err := prefixKeys(ctx, c, prefix)
	if err != nil {
		t.Logf("cleanup of %s: %v", prefix, err)
		return
	}
	for i := 0; i < len(keys); i += 500 {
		end := min(i+500, len(keys))
		if err := c.Unlink(ctx, keys[i:end]...).Err(); err != nil {
			t.Logf("cleanup of %s: %v", prefix, err)
			return
		}
	}
}

// prefixKeys lists every key under prefix ('{' is not special in a SCAN
// pattern; the prefix is random hex).
func prefixKeys(ctx context.Context, c goredis.UniversalClient, prefix string) ([]string, error) {
	var keys []string
	iter := c.Scan(ctx, 0, "{"+prefix+":*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	return keys, iter.Err()
}

// noServer returns a client of an address where nothing listens, for tests
// of what happens before anything is sent.
func noServer(t testing.TB) *goredis.Client {
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}
