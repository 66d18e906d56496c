package redis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/account/accounttest"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/mfa/mfatest"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/ratelimit/ratelimittest"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/sessiontest"
	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

// TestCluster runs every conformance suite against a private three-node
// Redis Cluster through a ClusterClient: records hash to all three nodes,
// so a script touching keys of two slots, or a pipeline the client cannot
// split, would fail here.
func TestCluster(t *testing.T) {
	testClient(t) // skip or fail like every other server test
	c := startCluster(t, 3)
	newStore := func(t *testing.T) *Store {
		s, err := New(c, Options{Prefix: randomPrefix(t)})
		if err != nil {
			t.Fatal(err)
		}
		return s // the cluster is thrown away with its data
	}
	t.Run("Verification", func(t *testing.T) {
		verificationtest.RunStoreTests(t, func(t *testing.T) verification.Store { return newStore(t).Verifications() })
	})
	t.Run("MFA", func(t *testing.T) {
		mfatest.RunStoreTests(t, func(t *testing.T) mfa.Store { return newStore(t).MFA() })
	})
	t.Run("Session", func(t *testing.T) {
		sessiontest.RunStoreTests(t, func(t *testing.T) session.Store { return newStore(t).Sessions() })
	})
	t.Run("OAuthState", func(t *testing.T) {
		oauthtest.RunStoreTests(t, func(t *testing.T) oauth.Store { return newStore(t).OAuthStates() })
	})
	t.Run("Limiter", func(t *testing.T) {
		ratelimittest.RunLimiterTests(t, func(t *testing.T, rule ratelimit.Rule, now func() time.Time) ratelimit.Limiter {
			l, err := newStore(t).Limiter(LimiterConfig{Name: "test", Rule: rule, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			return l
		})
	})
	t.Run("Account", func(t *testing.T) {
		accounttest.RunStoreTests(t, func(t *testing.T) account.Store { return newStore(t).Accounts() })
	})
	t.Run("RevokeAllAcrossSlots", func(t *testing.T) {
		// A user's sessions spread over the nodes; one call revokes them all.
		s := newStore(t).Sessions()
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		nodes := map[string]bool{}
		for i := range 30 {
			id := fmt.Sprint("spread-", i)
			if err := s.Create(ctx, session.Record{ID: id, UserID: "u", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			slot, err := c.ClusterKeySlot(ctx, s.s.key("sess", id)).Result()
			if err != nil {
				t.Fatal(err)
			}
			nodes[fmt.Sprint(slot*3/16384)] = true
		}
		if len(nodes) < 2 {
			t.Fatalf("sessions landed in %d slot ranges; the test needs several", len(nodes))
		}
		if n, err := s.RevokeAllForUser(ctx, "u", now); err != nil || n != 30 {
			t.Fatalf("RevokeAllForUser = %d, %v; want 30", n, err)
		}
	})
}

// startCluster starts n cluster-enabled redis-server processes on loopback
// in a temporary directory, joins them into a cluster (no replicas) and
// returns a client; everything is shut down when the test ends.
func startCluster(t *testing.T, n int) *goredis.ClusterClient {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not found: CI must run the cluster test", bin)
			}
			t.Skipf("%s not found", bin)
		}
	}
	dir := t.TempDir()
	var addrs []string
	for range n {
		port := freeClusterPort(t)
		p := strconv.Itoa(port)
		out, err := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", p, "--daemonize", "yes",
			"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes-"+p+".conf"),
			"--dir", dir, "--save", "", "--appendonly", "no",
			"--pidfile", filepath.Join(dir, p+".pid"), "--logfile", filepath.Join(dir, p+".log")).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-server: %v\n%s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("redis-cli", "-p", p, "shutdown", "nosave").Run() })
		addrs = append(addrs, "127.0.0.1:"+p)
		waitFor(t, "node "+p, func() bool { return exec.Command("redis-cli", "-p", p, "ping").Run() == nil })
	}
	args := append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, a := range addrs {
		p := strings.TrimPrefix(a, "127.0.0.1:")
		waitFor(t, "cluster state on "+p, func() bool {
			out, err := exec.Command("redis-cli", "-p", p, "cluster", "info").Output()
			return err == nil && strings.Contains(string(out), "cluster_state:ok")
		})
	}
	c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs, PoolSize: 32})
	t.Cleanup(func() { c.Close() })
	waitFor(t, "client sees the cluster", func() bool {
		return c.ForEachShard(context.Background(), func(ctx context.Context, sc *goredis.Client) error {
			return sc.Ping(ctx).Err()
		}) == nil
	})
	return c
}

// freeClusterPort returns a free port whose cluster bus port (+10000) is
// free too.
func freeClusterPort(t *testing.T) int {
	t.Helper()
	for range 100 {
		port := 20000 + rand.IntN(30000)
		l1, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		l1.Close()
		if err != nil {
			continue
		}
		l2.Close()
		return port
	}
	t.Fatal("no free port pair")
	return 0
}

// waitFor polls cond for up to 30 s (server start-up, cluster join).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
