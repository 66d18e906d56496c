package redis

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit/ratelimit"
)

// holdHook holds the first EVALSHA/EVAL until released, then records the
// []byte arguments as they are when the command is really sent.
type holdHook struct {
	once    sync.Once
	entered chan struct{}
	release chan struct{}
	sent    chan [][]byte
}

func (h *holdHook) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (h *holdHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if name := cmd.Name(); name != "evalsha" && name != "eval" {
			return next(ctx, cmd)
		}
		first := false
		h.once.Do(func() { first = true })
		if first {
			close(h.entered)
			<-h.release
			var args [][]byte
			for _, a := range cmd.Args() {
				if b, ok := a.([]byte); ok {
					args = append(args, bytes.Clone(b))
				} else if s, ok := a.(string); ok {
					args = append(args, []byte(s))
				}
			}
			h.sent <- args
		}
		return next(ctx, cmd)
	}
}

func (h *holdHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

// TestAttemptCandidatesCopied: without ContextTimeoutEnabled a done
// context returns at once and leaves the command to finish in the
// background, so a store must not send the caller's candidate buffers
// as they are: the caller (verification.Service, mfa.Service, whose
// candidates are leased from a pool) clears and reuses them once the call
// returns, and the command sent later would carry zeros or another check's
// digest.
func TestAttemptCandidatesCopied(t *testing.T) {
	shared := testClient(t)
	sum := sha256.Sum256([]byte("candidate"))
	const id = "0b8c6f2e-8d4a-4f3e-9a51-6f1d2c3b4a59"
	tests := []struct {
		name string
		call func(context.Context, *Store, []byte) error
		want []byte // the candidate as the command carries it
	}{
		{"verification.Attempt", func(ctx context.Context, s *Store, cand []byte) error {
			_, err := s.Verifications().Attempt(ctx, id, [][]byte{cand}, time.Now(), 5)
			return err
		}, sum[:]},
		{"mfa.AttemptRecoveryCode", func(ctx context.Context, s *Store, cand []byte) error {
			rule := ratelimit.Rule{Sliding: true, Limit: 5, Window: time.Minute}
			_, _, err := s.MFA().AttemptRecoveryCode(ctx, id, [][]byte{cand}, rule, time.Now)
			return err
		}, append([]byte("c"), sum[:]...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := goredis.NewClient(testOptions(t))
			t.Cleanup(func() { c.Close() })
			h := &holdHook{entered: make(chan struct{}), release: make(chan struct{}), sent: make(chan [][]byte, 1)}
			c.AddHook(h)
			s, err := New(c, Options{Prefix: randomPrefix(t)})
			if err != nil {
				t.Fatal(err)
			}
			if s.ctxAware {
				t.Fatal("the test needs a client without ContextTimeoutEnabled")
			}
			t.Cleanup(func() { deletePrefix(t, shared, s.Prefix()) })
			cand := bytes.Clone(sum[:])
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { <-h.entered; cancel() }()
			if err := tc.call(ctx, s, cand); !errors.Is(err, context.Canceled) {
				t.Fatalf("a context cancelled meanwhile: %v, want context.Canceled", err)
			}
			clear(cand) // what the caller's Lease.Release does
			close(h.release)
			select {
			case args := <-h.sent:
				for _, a := range args {
					if bytes.Equal(a, tc.want) {
						return
					}
				}
				t.Fatalf("the command sent after the call returned carries no candidate %x: %x", tc.want, args)
			case <-time.After(10 * time.Second):
				t.Fatal("the held command was never sent")
			}
		})
	}
}
