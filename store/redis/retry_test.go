package redis

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/ratelimit"
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

// TestRefundRetried: when the reply to Refund is lost and go-redis retries
// the command, the event is still given back only once. Otherwise a network
// fault would grant an extra attempt, such as a TOTP guess (the one way a
// retried script could fail open).
func TestRefundRetried(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rule   ratelimit.Rule
		script string
	}{
		{"Sliding", ratelimit.Rule{Sliding: true, Limit: 3, Window: 5 * time.Minute}, refundSlidingScript.Hash()},
		{"Lifetime", ratelimit.Rule{Sliding: true, Limit: 10, Window: 5 * time.Minute, Lifetime: 3}, refundSlidingScript.Hash()},
		{"GCRA", ratelimit.Rule{Limit: 3, Window: 5 * time.Minute}, refundGCRAScript.Hash()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := testOptions(t)
			armed := new(atomic.Bool)
			marker := []byte(tc.script)
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
			now := time.Now()
			l, err := s.Limiter(ratelimit.LimiterConfig{Name: "failures", Rule: tc.rule, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			// Load the refund script (a warm cache: the retried command is
			// the EVALSHA itself) on a key of its own.
			if err := l.Refund(ctx, "warm-up"); err != nil {
				t.Fatal(err)
			}
			n := min(tc.rule.Limit, max(tc.rule.Lifetime, 1))
			if tc.rule.Lifetime == 0 {
				n = tc.rule.Limit
			}
			for range n {
				if d, err := l.Allow(ctx, "totp:u"); err != nil || !d.Allowed {
					t.Fatalf("Allow = %+v, %v", d, err)
				}
			}
			armed.Store(true)
			err = l.Refund(ctx, "totp:u")
			if armed.Load() {
				t.Fatal("test setup: the refund was not sent through the cutting connection")
			}
			if err != nil {
				t.Logf("Refund with a lost reply: %v", err)
			}
			// One event was given back, so exactly one more fits.
			granted := 0
			for range n {
				d, err := l.Allow(ctx, "totp:u")
				if err != nil {
					t.Fatal(err)
				}
				if d.Allowed {
					granted++
				}
			}
			if granted != 1 {
				t.Fatalf("after one refund of a full key (retried by go-redis), %d more events were granted, want 1", granted)
			}
		})
	}
}
