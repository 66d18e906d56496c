package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/verification"
)

// privateServer is a Redis started for one fault test with the CI services
// script on its own port and directory, so stopping it never disturbs the
// shared server other packages use.
type privateServer struct {
	t      *testing.T
	script string
	dir    string
	port   int
}

func startPrivateServer(t *testing.T) *privateServer {
	t.Helper()
	testClient(t) // skip or fail like every other server test
	script := os.Getenv("AUTHKIT_TEST_SERVICES")
	if script == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("AUTHKIT_TEST_SERVICES is not set; CI must run the fault tests")
		}
		t.Skip("AUTHKIT_TEST_SERVICES is not set")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	// Outages make go-redis log every failed dial; the tests check the
	// errors themselves.
	goredis.SetLogger(quietLogger{})
	p := &privateServer{t: t, script: script, dir: t.TempDir(), port: port}
	p.services("start")
	t.Cleanup(func() { p.services("stop") })
	return p
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// waitUntilServing retries op until it gets an answer from the server: after
// a restart the client's pool may still be backing off from failed dials
// for a moment. It fails the test if that takes more than 30 s.
func waitUntilServing(t *testing.T, op faultOp) (bool, error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		accepted, err := op.fn(ctx)
		cancel()
		if !errors.Is(err, ErrUnavailable) {
			return accepted, err
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still unavailable after the restart: %v", op.name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *privateServer) services(cmd string) {
	p.t.Helper()
	c := exec.Command("bash", p.script, cmd, "redis")
	c.Env = append(os.Environ(), "AUTHKIT_SERVICES_DIR="+p.dir, "AUTHKIT_REDIS_PORT="+strconv.Itoa(p.port))
	if out, err := c.CombinedOutput(); err != nil {
		p.t.Fatalf("services.sh %s redis: %v\n%s", cmd, err, out)
	}
}

// signal sends sig to the private server's process (SIGSTOP freezes it
// with its sockets open: a connection cut mid-operation, as far as clients
// can tell).
func (p *privateServer) signal(sig syscall.Signal) {
	p.t.Helper()
	b, err := os.ReadFile(filepath.Join(p.dir, "redis.pid"))
	if err != nil {
		p.t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		p.t.Fatal(err)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		p.t.Fatal(err)
	}
}

func (p *privateServer) client(t *testing.T, ctxTimeouts bool) *goredis.Client {
	c := goredis.NewClient(&goredis.Options{
		Addr: "127.0.0.1:" + strconv.Itoa(p.port),
		// No socket timeouts at all: only the context can end a call, so a
		// test that returns proves the deadline is respected.
		ReadTimeout:           -1,
		WriteTimeout:          -1,
		ContextTimeoutEnabled: ctxTimeouts,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// faultOp is one store operation; accepted reports whether its result
// would let a caller through (a code, step, recovery code, token, state,
// jti or rate-limit slot accepted).
type faultOp struct {
	name string
	fn   func(ctx context.Context) (accepted bool, err error)
}

// fixture creates one live record of every kind and returns operations that
// would each accept something if the store answered.
func fixture(t *testing.T, s *Store, n int) []faultOp {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	id := func(kind string) string { return fmt.Sprintf("%s-%d", kind, n) }
	uid := id("user")
	v := verification.Record{ID: id("v"), Channel: verification.ChannelEmail, Destination: "a@example.com",
		CodeHash: []byte("right"), Sends: 1, CreatedAt: now, SentAt: now, ExpiresAt: now.Add(time.Hour), PurgeAt: now.Add(2 * time.Hour)}
	dev := mfa.DeviceRecord{ID: id("dev"), UserID: uid, Type: mfa.DeviceTypeTOTP, CreatedAt: now}
	set := mfa.RecoverySet{UserID: uid, CreatedAt: now, Acknowledgement: authkit.AcknowledgementPending,
		Codes: []mfa.RecoveryCodeRecord{{Digest: []byte("code"), Sealed: []byte("sealed")}}}
	tok := mfa.TokenRecord{Digest: []byte(id("token-digest-padding-padding")), UserID: uid, SingleUse: true, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	st := oauth.State{State: id("state"), Provider: "github", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	st2 := st
	st2.State = id("state2")
	sess := session.Record{ID: id("sess"), UserID: uid, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Verifications().Create(ctx, v))
	must(createDevice(ctx, s.MFA(), dev, 5))
	_, err := confirmDevice(ctx, s.MFA(), uid, dev.ID, 1, now)
	must(err)
	_, _, err = s.MFA().CreateRecoverySet(ctx, set)
	must(err)
	must(s.MFA().CreateToken(ctx, tok))
	must(s.OAuthStates().Create(ctx, st, now))
	must(s.OAuthStates().Create(ctx, st2, now))
	must(s.Sessions().Create(ctx, sess))
	lim, err := s.Limiter(ratelimit.LimiterConfig{Name: "fault", Rule: ratelimit.Rule{Limit: 1000, Window: time.Minute}})
	must(err)
	sends, err := s.Limiter(ratelimit.LimiterConfig{Name: "sends", Rule: ratelimit.Rule{Sliding: true, Limit: 100, Window: time.Minute}})
	must(err)
	failures := totpFailures(t, s)

	ok := func(err error) (bool, error) { return err == nil, err }
	return []faultOp{
		{"verification.Attempt", func(ctx context.Context) (bool, error) {
			r, err := s.Verifications().Attempt(ctx, v.ID, [][]byte{v.CodeHash}, now, 5)
			return err == nil && !r.UsedAt.IsZero(), err
		}},
		{"verification.Get", func(ctx context.Context) (bool, error) { _, err := s.Verifications().Get(ctx, v.ID); return ok(err) }},
		{"verification.ReplaceCode", func(ctx context.Context) (bool, error) {
			_, err := s.Verifications().ReplaceCode(ctx, v.ID, []byte("new"), now, now.Add(time.Hour), now.Add(2*time.Hour), 5)
			return ok(err)
		}},
		{"ratelimit.Allow (sliding)", func(ctx context.Context) (bool, error) {
			d, err := sends.Allow(ctx, id("dest"))
			return d.Allowed, err
		}},
		{"mfa.MarkStepUsed", func(ctx context.Context) (bool, error) { return ok(s.MFA().MarkStepUsed(ctx, uid, dev.ID, 1000)) }},
		{"ratelimit.Allow (mfa failures)", func(ctx context.Context) (bool, error) {
			d, err := failures.Allow(ctx, "totp:"+uid)
			return d.Allowed, err
		}},
		{"ratelimit.Refund", func(ctx context.Context) (bool, error) { return ok(failures.Refund(ctx, "totp:"+uid)) }},
		{"ratelimit.Reset", func(ctx context.Context) (bool, error) { return ok(failures.Reset(ctx, "totp:"+uid)) }},
		{"mfa.ConsumeRecoveryCode", func(ctx context.Context) (bool, error) {
			_, err := s.MFA().ConsumeRecoveryCode(ctx, uid, set.Codes[0].Digest)
			return ok(err)
		}},
		{"mfa.AttemptRecoveryCode", func(ctx context.Context) (bool, error) {
			rule := ratelimit.Rule{Sliding: true, Limit: 100, Window: time.Minute}
			_, d, err := s.MFA().AttemptRecoveryCode(ctx, uid, [][]byte{set.Codes[0].Digest}, rule, func() time.Time { return now })
			return err == nil && d.Allowed, err
		}},
		{"mfa.ResetRecoveryFailures", func(ctx context.Context) (bool, error) { return ok(s.MFA().ResetRecoveryFailures(ctx, uid)) }},
		{"mfa.UseToken", func(ctx context.Context) (bool, error) {
			_, err := s.MFA().UseToken(ctx, tok.Digest, uid, "", now)
			return ok(err)
		}},
		{"mfa.ConfirmDevice", func(ctx context.Context) (bool, error) {
			_, err := confirmDevice(ctx, s.MFA(), uid, dev.ID, 2000, now)
			return ok(err)
		}},
		{"mfa.GetDevice", func(ctx context.Context) (bool, error) { _, err := s.MFA().GetDevice(ctx, uid, dev.ID); return ok(err) }},
		{"mfa.ListDevices", func(ctx context.Context) (bool, error) { _, err := s.MFA().ListDevices(ctx, uid); return ok(err) }},
		{"mfa.CreateDevice", func(ctx context.Context) (bool, error) {
			d := dev
			d.ID = id("dev2")
			return ok(createDevice(ctx, s.MFA(), d, 5))
		}},
		{"mfa.DeleteDevice", func(ctx context.Context) (bool, error) { return ok(deleteDevice(ctx, s.MFA(), uid, dev.ID)) }},
		{"mfa.GetRecoverySet", func(ctx context.Context) (bool, error) { _, err := s.MFA().GetRecoverySet(ctx, uid); return ok(err) }},
		{"mfa.CreateRecoverySet", func(ctx context.Context) (bool, error) {
			_, _, err := s.MFA().CreateRecoverySet(ctx, set)
			return ok(err)
		}},
		{"mfa.ReplaceRecoverySet", func(ctx context.Context) (bool, error) { return ok(s.MFA().ReplaceRecoverySet(ctx, set)) }},
		{"mfa.SetAcknowledgement", func(ctx context.Context) (bool, error) {
			return ok(s.MFA().SetAcknowledgement(ctx, uid, authkit.AcknowledgementComplete))
		}},
		{"mfa.CreateToken", func(ctx context.Context) (bool, error) {
			t2 := tok
			t2.Digest = []byte(id("other-token-digest-padding"))
			return ok(s.MFA().CreateToken(ctx, t2))
		}},
		{"oauth.Consume", func(ctx context.Context) (bool, error) {
			_, err := s.OAuthStates().Consume(ctx, st.State, now)
			return ok(err)
		}},
		{"oauth.RecordCallback", func(ctx context.Context) (bool, error) {
			_, err := s.OAuthStates().RecordCallback(ctx, st2.State, oauth.Callback{Code: "c"}, now)
			return ok(err)
		}},
		{"oauth.Get", func(ctx context.Context) (bool, error) {
			_, err := s.OAuthStates().Get(ctx, st2.State, now)
			return ok(err)
		}},
		{"oauth.Create", func(ctx context.Context) (bool, error) {
			x := st
			x.State = id("state3")
			return ok(s.OAuthStates().Create(ctx, x, now))
		}},
		{"session.Get", func(ctx context.Context) (bool, error) { _, err := s.Sessions().Get(ctx, sess.ID); return ok(err) }},
		{"session.ConsumeJTI", func(ctx context.Context) (bool, error) {
			return ok(s.Sessions().ConsumeJTI(ctx, id("jti"), now.Add(time.Hour), now))
		}},
		{"session.Create", func(ctx context.Context) (bool, error) {
			x := sess
			x.ID = id("sess2")
			return ok(s.Sessions().Create(ctx, x))
		}},
		{"session.Revoke", func(ctx context.Context) (bool, error) { return ok(s.Sessions().Revoke(ctx, sess.ID, now)) }},
		{"session.RevokeAllForUser", func(ctx context.Context) (bool, error) {
			_, err := s.Sessions().RevokeAllForUser(ctx, uid, now)
			return ok(err)
		}},
		{"ratelimit.Allow", func(ctx context.Context) (bool, error) {
			d, err := lim.Allow(ctx, id("ip"))
			return d.Allowed, err
		}},
	}
}

// expectFailClosed runs every operation at once with a deadline and checks
// that each one returns ErrUnavailable (and, when wantDeadline, the
// context's DeadlineExceeded) and accepts nothing.
func expectFailClosed(t *testing.T, ops []faultOp, timeout time.Duration, wantDeadline bool) {
	t.Helper()
	var wg sync.WaitGroup
	for _, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			accepted, err := op.fn(ctx)
			if accepted {
				t.Errorf("%s: accepted while the server is unreachable", op.name)
			}
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("%s: err = %v, want ErrUnavailable", op.name, err)
			}
			if wantDeadline && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: err = %v, want context.DeadlineExceeded visible", op.name, err)
			}
		}()
	}
	wg.Wait()
}

// expectWorking runs every operation and checks it returns no backend error.
func expectWorking(t *testing.T, ops []faultOp) {
	t.Helper()
	for _, op := range ops {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := op.fn(ctx)
		cancel()
		if errors.Is(err, ErrUnavailable) {
			t.Errorf("%s after recovery: %v", op.name, err)
		}
	}
}

// TestFaultServerStopped stops the server (all data is lost: the test
// server runs without persistence), checks that every operation fails
// promptly and closed, then restarts it and checks that the store works
// again with no action from the host.
func TestFaultServerStopped(t *testing.T) {
	p := startPrivateServer(t)
	for _, aware := range []bool{false, true} {
		t.Run(fmt.Sprintf("ContextTimeoutEnabled=%v", aware), func(t *testing.T) {
			s, err := New(p.client(t, aware), Options{Prefix: randomPrefix(t)})
			if err != nil {
				t.Fatal(err)
			}
			ops := fixture(t, s, 1)
			expectWorking(t, ops[:1]) // the connection pool is warm

			p.services("stop")
			expectFailClosed(t, ops, 5*time.Second, false)

			p.services("start")
			// The restarted server is empty: records made before are gone,
			// so a code or token issued then is refused (not found), never
			// accepted.
			accepted, err := waitUntilServing(t, ops[0])
			if accepted || !errors.Is(err, verification.ErrNotFound) {
				t.Fatalf("Attempt on a record lost in the restart = %v, %v; want ErrNotFound", accepted, err)
			}
			ops = fixture(t, s, 2)
			expectWorking(t, ops)
		})
	}
}

// TestFaultServerFrozen freezes the server mid-operation (SIGSTOP: sockets
// stay open, nothing answers), with client socket timeouts disabled, so
// only the context deadline can end a call: every operation returns
// ErrUnavailable with context.DeadlineExceeded and accepts nothing, with or
// without the client's ContextTimeoutEnabled. After SIGCONT the store works
// again.
func TestFaultServerFrozen(t *testing.T) {
	p := startPrivateServer(t)
	for _, aware := range []bool{false, true} {
		t.Run(fmt.Sprintf("ContextTimeoutEnabled=%v", aware), func(t *testing.T) {
			s, err := New(p.client(t, aware), Options{Prefix: randomPrefix(t)})
			if err != nil {
				t.Fatal(err)
			}
			ops := fixture(t, s, 1)
			p.signal(syscall.SIGSTOP)
			frozen := true
			defer func() {
				if frozen {
					p.signal(syscall.SIGCONT)
				}
			}()
			expectFailClosed(t, ops, 300*time.Millisecond, true)
			p.signal(syscall.SIGCONT)
			frozen = false
			// Calls abandoned while frozen may still run now; what matters
			// is that none was reported as accepted. Fresh records work.
			ops = fixture(t, s, 2)
			expectWorking(t, ops)
		})
	}
}

// TestFaultStopUnderLoad stops the server while goroutines keep consuming
// single-use records, then restarts it: every call returns either a store
// answer or ErrUnavailable, and each single-use state is accepted at most
// once across the outage.
func TestFaultStopUnderLoad(t *testing.T) {
	p := startPrivateServer(t)
	s, err := New(p.client(t, false), Options{Prefix: randomPrefix(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	const states = 200
	for i := range states {
		if err := s.OAuthStates().Create(ctx, oauth.State{State: fmt.Sprint("load-", i), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, now); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu       sync.Mutex
		accepted = map[int]int{}
		failures int
		wg       sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i = (i + 1) % states {
				select {
				case <-stop:
					return
				default:
				}
				cctx, cancel := context.WithTimeout(ctx, time.Second)
				_, err := s.OAuthStates().Consume(cctx, fmt.Sprint("load-", i), now)
				cancel()
				mu.Lock()
				switch {
				case err == nil:
					accepted[i]++
				case errors.Is(err, ErrUnavailable):
					failures++
				case errors.Is(err, oauth.ErrStateUsed), errors.Is(err, oauth.ErrNotFound):
				default:
					t.Errorf("Consume: unexpected error %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	waitFor := func(cond func() bool) {
		for !cond() {
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(func() bool { mu.Lock(); defer mu.Unlock(); return len(accepted) >= 20 })
	p.services("stop")
	waitFor(func() bool { mu.Lock(); defer mu.Unlock(); return failures >= 20 })
	p.services("start")
	// Back up: fresh states are consumed again.
	if _, err := waitUntilServing(t, faultOp{"oauth.Create", func(ctx context.Context) (bool, error) {
		return false, s.OAuthStates().Create(ctx, oauth.State{State: "after", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, now)
	}}); err != nil {
		t.Fatalf("Create after restart: %v", err)
	}
	close(stop)
	wg.Wait()
	if _, err := s.OAuthStates().Consume(ctx, "after", now); err != nil {
		t.Fatalf("Consume after restart: %v", err)
	}
	for i, n := range accepted {
		if n > 1 {
			t.Errorf("state %d accepted %d times", i, n)
		}
	}
}
