package redis

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/mfa"
	goredis "github.com/redis/go-redis/v9"
)

// replyCutter is a connection that, once armed, lets a command containing
// marker reach the server, reads the server's reply and then reports the
// connection broken instead of delivering it: the command ran, but the
// client cannot know, and go-redis retries it on a new connection (its
// default MaxRetries is 3).
type replyCutter struct {
	net.Conn
	marker []byte
	armed  *atomic.Bool
	cut    bool
}

func (c *replyCutter) Write(b []byte) (int, error) {
	if bytes.Contains(b, c.marker) && c.armed.CompareAndSwap(true, false) {
		c.cut = true
	}
	return c.Conn.Write(b)
}

func (c *replyCutter) Read(b []byte) (int, error) {
	if c.cut {
		_, _ = c.Conn.Read(b) // the server's reply: the command has run
		c.Conn.Close()
		return 0, io.ErrUnexpectedEOF
	}
	return c.Conn.Read(b)
}

// TestReleaseAttemptRetried: when the reply to ReleaseAttempt is lost and
// go-redis retries the command, the slot is still given back only once.
// Otherwise a network fault would grant an extra TOTP attempt (the one way
// a retried script could fail open).
func TestReleaseAttemptRetried(t *testing.T) {
	opt := testOptions(t)
	armed := new(atomic.Bool)
	marker := []byte(releaseAttemptScript.Hash())
	var d net.Dialer
	opt.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &replyCutter{Conn: c, marker: marker, armed: armed}, nil
	}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	s, err := New(c, Options{Prefix: randomPrefix(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deletePrefix(t, testClient(t), s.Prefix()) })
	m := s.MFA()
	ctx := context.Background()
	now := time.Now()
	const max = 3
	// Load the release script (a warm cache: the retried command is the
	// EVALSHA itself) on a key of its own.
	if err := m.ReleaseAttempt(ctx, "warm-up", now); err != nil {
		t.Fatal(err)
	}
	for range max {
		if ok, _, err := m.ReserveAttempt(ctx, "totp:u", now, 5*time.Minute, max, 100); err != nil || !ok {
			t.Fatalf("ReserveAttempt = %v, %v", ok, err)
		}
	}
	armed.Store(true)
	err = m.ReleaseAttempt(ctx, "totp:u", now)
	if armed.Load() {
		t.Fatal("test setup: the release was not sent through the cutting connection")
	}
	if err != nil {
		t.Logf("ReleaseAttempt with a lost reply: %v", err)
	}
	// One slot was given back, so exactly one more attempt fits.
	granted := 0
	for range max {
		ok, _, err := m.ReserveAttempt(ctx, "totp:u", now, 5*time.Minute, max, 100)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			granted++
		}
	}
	if granted != 1 {
		t.Fatalf("after one release of a full window (retried by go-redis), %d more attempts were granted, want 1", granted)
	}
	// The lifetime count also gave back one failure, not two: 3 reserved,
	// 1 released, 1 more reserved = 3, so a cap of 3 holds in a new window.
	if ok, _, err := m.ReserveAttempt(ctx, "totp:u", now.Add(time.Hour), 5*time.Minute, max, max); ok || !errors.Is(err, mfa.ErrLockedOut) {
		t.Fatalf("lifetime count after the retried release: %v, %v; want ErrLockedOut at cap %d", ok, err, max)
	}
}
