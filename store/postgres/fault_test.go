package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/store/postgres"
	"github.com/authkit/authkit/verification"
)

// fixture is one record of every kind that a fault could wrongly accept: a
// verification with a known right code, a confirmed TOTP device at step
// 100, a recovery code, a single-use MFA token, an OAuth state and a
// session.
type fixture struct {
	s        *postgres.Store
	now      time.Time
	verifID  string
	codeHash []byte
	userID   string
	deviceID string
	recovery []byte
	token    []byte
	state    string
	session  string
	jti      string
}

func seed(t *testing.T, s *postgres.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{
		s: s, now: time.Now().UTC().Truncate(time.Second),
		verifID: "00000000-0000-4000-8000-" + randomHex(t, 6), userID: "user-" + randomHex(t, 4),
		deviceID: "dev-" + randomHex(t, 4), state: "state-" + randomHex(t, 10),
		session: "sess-" + randomHex(t, 8), jti: "jti-" + randomHex(t, 8),
	}
	f.codeHash, f.recovery, f.token = digestOf(f.verifID+"123456"), digestOf("rc"+f.userID), digestOf("tok"+f.userID)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Verifications().Create(ctx, verification.Record{ID: f.verifID, Channel: verification.ChannelSMS, Destination: "+19172113333",
		CodeHash: f.codeHash, Sends: 1, CreatedAt: f.now, SentAt: f.now, ExpiresAt: f.now.Add(time.Hour), PurgeAt: f.now.Add(2 * time.Hour)}))
	m := s.MFA()
	must(createDevice(ctx, m, mfa.DeviceRecord{ID: f.deviceID, UserID: f.userID, Type: mfa.DeviceTypeTOTP, SealedSecret: []byte{1}, CreatedAt: f.now}, 10))
	_, err := confirmDevice(ctx, m, f.userID, f.deviceID, 100, f.now)
	must(err)
	must(m.ReplaceRecoverySet(ctx, mfa.RecoverySet{UserID: f.userID, CreatedAt: f.now, Acknowledgement: authkit.AcknowledgementPending,
		Codes: []mfa.RecoveryCodeRecord{{Digest: f.recovery, Sealed: []byte{2}}, {Digest: digestOf("other"), Sealed: []byte{3}}}}))
	// One recovery failure counted: the faults must neither add one nor
	// forget it (checkUntouched).
	_, _, err = m.AttemptRecoveryCode(ctx, f.userID, [][]byte{digestOf("wrong")}, faultRecoveryRule, func() time.Time { return f.now })
	if !errors.Is(err, mfa.ErrNotFound) {
		t.Fatalf("seeding a recovery failure: %v", err)
	}
	must(m.CreateToken(ctx, mfa.TokenRecord{Digest: f.token, UserID: f.userID, SingleUse: true, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}))
	must(s.OAuthStates().Create(ctx, oauth.State{State: f.state, Provider: "github", RedirectURL: "https://x/cb", CodeChallenge: "c",
		CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}, f.now))
	must(s.Sessions().Create(ctx, session.Record{ID: f.session, UserID: f.userID, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}))
	return f
}

// faultRecoveryRule limits the fixture's recovery failures: the seeded one
// and one more.
var faultRecoveryRule = ratelimit.Rule{Sliding: true, Limit: 2, Window: time.Hour}

// op is one store operation; granted reports whether it accepted a secret
// or allowed something (which must never happen on an error).
type op struct {
	name string
	do   func(ctx context.Context) (granted bool, err error)
}

// ops lists every operation of every interface against the fixture.
func (f *fixture) ops(t *testing.T) []op {
	v, m, ss, st := f.s.Verifications(), f.s.MFA(), f.s.Sessions(), f.s.OAuthStates()
	lim, err := f.s.Limiter(ratelimit.LimiterConfig{Name: "fault", Rule: ratelimit.Rule{Limit: 100, Window: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	sends, err := f.s.Limiter(ratelimit.LimiterConfig{Name: "sends", Rule: ratelimit.Rule{Sliding: true, Limit: 5, Window: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	lifetime, err := f.s.Limiter(ratelimit.LimiterConfig{Name: "lifetime", Rule: ratelimit.Rule{Sliding: true, Limit: 5, Window: time.Minute, Lifetime: 100}})
	if err != nil {
		t.Fatal(err)
	}
	now := f.now.Add(time.Minute)
	set := mfa.RecoverySet{UserID: f.userID, CreatedAt: now, Codes: []mfa.RecoveryCodeRecord{{Digest: digestOf("new"), Sealed: []byte{4}}}}
	state := oauth.State{State: "new-" + f.state, Provider: "github", RedirectURL: "https://x/cb", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	return []op{
		{"verification.Create", func(ctx context.Context) (bool, error) {
			return false, v.Create(ctx, verification.Record{ID: "new-" + f.verifID, CodeHash: []byte{1}, CreatedAt: now, SentAt: now, ExpiresAt: now, PurgeAt: now})
		}},
		{"verification.Get", func(ctx context.Context) (bool, error) { _, err := v.Get(ctx, f.verifID); return false, err }},
		{"verification.ReplaceCode", func(ctx context.Context) (bool, error) {
			_, err := v.ReplaceCode(ctx, f.verifID, []byte{9}, now, now.Add(time.Hour), now.Add(2*time.Hour), 5)
			return false, err
		}},
		{"verification.Attempt", func(ctx context.Context) (bool, error) {
			r, err := v.Attempt(ctx, f.verifID, [][]byte{f.codeHash}, now, 5)
			return err == nil || !r.UsedAt.IsZero(), err
		}},
		{"ratelimit.Allow (sliding)", func(ctx context.Context) (bool, error) {
			d, err := sends.Allow(ctx, "+19172113333")
			return d.Allowed, err
		}},
		{"mfa.CreateDevice", func(ctx context.Context) (bool, error) {
			return false, createDevice(ctx, m, mfa.DeviceRecord{ID: "new-" + f.deviceID, UserID: f.userID, SealedSecret: []byte{1}, CreatedAt: now}, 10)
		}},
		{"mfa.GetDevice", func(ctx context.Context) (bool, error) {
			_, err := m.GetDevice(ctx, f.userID, f.deviceID)
			return false, err
		}},
		{"mfa.ListDevices", func(ctx context.Context) (bool, error) { _, err := m.ListDevices(ctx, f.userID); return false, err }},
		{"mfa.ConfirmDevice", func(ctx context.Context) (bool, error) {
			_, err := confirmDevice(ctx, m, f.userID, f.deviceID, 200, now)
			return err == nil, err
		}},
		{"mfa.MarkStepUsed", func(ctx context.Context) (bool, error) {
			err := m.MarkStepUsed(ctx, f.userID, f.deviceID, 101)
			return err == nil, err
		}},
		{"mfa.DeleteDevice", func(ctx context.Context) (bool, error) { return false, deleteDevice(ctx, m, f.userID, f.deviceID) }},
		{"ratelimit.Allow (lifetime)", func(ctx context.Context) (bool, error) {
			d, err := lifetime.Allow(ctx, "totp:"+f.userID)
			return d.Allowed, err
		}},
		{"ratelimit.Refund", func(ctx context.Context) (bool, error) { return false, sends.Refund(ctx, "+19172113333") }},
		{"ratelimit.Reset", func(ctx context.Context) (bool, error) { return false, lifetime.Reset(ctx, "totp:"+f.userID) }},
		{"mfa.ReplaceRecoverySet", func(ctx context.Context) (bool, error) { return false, m.ReplaceRecoverySet(ctx, set) }},
		{"mfa.CreateRecoverySet", func(ctx context.Context) (bool, error) {
			_, _, err := m.CreateRecoverySet(ctx, set)
			return false, err
		}},
		{"mfa.GetRecoverySet", func(ctx context.Context) (bool, error) { _, err := m.GetRecoverySet(ctx, f.userID); return false, err }},
		{"mfa.ConsumeRecoveryCode", func(ctx context.Context) (bool, error) {
			_, err := m.ConsumeRecoveryCode(ctx, f.userID, f.recovery)
			return err == nil, err
		}},
		{"mfa.AttemptRecoveryCode", func(ctx context.Context) (bool, error) {
			_, d, err := m.AttemptRecoveryCode(ctx, f.userID, [][]byte{f.recovery}, faultRecoveryRule, func() time.Time { return now })
			return err == nil || d.Allowed, err
		}},
		{"mfa.AttemptRecoveryCode wrong", func(ctx context.Context) (bool, error) {
			_, d, err := m.AttemptRecoveryCode(ctx, f.userID, [][]byte{digestOf("wrong")}, faultRecoveryRule, func() time.Time { return now })
			return d.Allowed, err
		}},
		{"mfa.ResetRecoveryFailures", func(ctx context.Context) (bool, error) {
			return false, m.ResetRecoveryFailures(ctx, f.userID)
		}},
		{"mfa.SetAcknowledgement", func(ctx context.Context) (bool, error) {
			return false, m.SetAcknowledgement(ctx, f.userID, authkit.AcknowledgementComplete)
		}},
		{"mfa.CreateToken", func(ctx context.Context) (bool, error) {
			return false, m.CreateToken(ctx, mfa.TokenRecord{Digest: digestOf("new" + f.userID), UserID: f.userID, CreatedAt: now, ExpiresAt: now})
		}},
		{"mfa.UseToken", func(ctx context.Context) (bool, error) {
			_, err := m.UseToken(ctx, f.token, f.userID, "", now)
			return err == nil, err
		}},
		{"session.Create", func(ctx context.Context) (bool, error) {
			return false, ss.Create(ctx, session.Record{ID: "new-" + f.session, UserID: f.userID, CreatedAt: now, ExpiresAt: now})
		}},
		{"session.Get", func(ctx context.Context) (bool, error) {
			r, err := ss.Get(ctx, f.session)
			return err == nil && !r.Revoked(), err
		}},
		{"session.Revoke", func(ctx context.Context) (bool, error) { return false, ss.Revoke(ctx, f.session, now) }},
		{"session.RevokeAllForUser", func(ctx context.Context) (bool, error) {
			_, err := ss.RevokeAllForUser(ctx, f.userID, now)
			return false, err
		}},
		{"session.ConsumeJTI", func(ctx context.Context) (bool, error) {
			err := ss.ConsumeJTI(ctx, f.jti, now.Add(time.Hour), now)
			return err == nil, err
		}},
		{"oauth.Create", func(ctx context.Context) (bool, error) { return false, st.Create(ctx, state, now) }},
		{"oauth.Get", func(ctx context.Context) (bool, error) { _, err := st.Get(ctx, f.state, now); return err == nil, err }},
		{"oauth.RecordCallback", func(ctx context.Context) (bool, error) {
			_, err := st.RecordCallback(ctx, f.state, oauth.Callback{Code: "c"}, now)
			return err == nil, err
		}},
		{"oauth.Consume", func(ctx context.Context) (bool, error) {
			_, err := st.Consume(ctx, f.state, now)
			return err == nil, err
		}},
		{"ratelimit.Allow", func(ctx context.Context) (bool, error) { d, err := lim.Allow(ctx, "k"); return d.Allowed, err }},
		{"Migrate", func(ctx context.Context) (bool, error) { _, err := f.s.Migrate(ctx); return false, err }},
		{"Cleanup", func(ctx context.Context) (bool, error) { _, err := f.s.Cleanup(ctx, now); return false, err }},
	}
}

// checkUntouched proves that the faults changed nothing: each secret of the
// fixture is still accepted, exactly once.
func (f *fixture) checkUntouched(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	now := f.now.Add(2 * time.Minute)
	v, m := f.s.Verifications(), f.s.MFA()
	if r, err := v.Get(ctx, f.verifID); err != nil || r.Attempts != 0 || !r.UsedAt.IsZero() || r.Sends != 1 {
		t.Fatalf("verification after the faults: %+v, %v; want untouched", r, err)
	}
	if _, err := v.Attempt(ctx, f.verifID, [][]byte{f.codeHash}, now, 5); err != nil {
		t.Fatalf("right code after the faults: %v", err)
	}
	if _, err := v.Attempt(ctx, f.verifID, [][]byte{f.codeHash}, now, 5); !errors.Is(err, verification.ErrAlreadyUsed) {
		t.Fatalf("right code again: %v, want ErrAlreadyUsed", err)
	}
	if d, err := m.GetDevice(ctx, f.userID, f.deviceID); err != nil || d.LastStep != 100 {
		t.Fatalf("device after the faults: %+v, %v; want LastStep 100", d, err)
	}
	if err := m.MarkStepUsed(ctx, f.userID, f.deviceID, 101); err != nil {
		t.Fatalf("TOTP step 101 after the faults: %v", err)
	}
	if n, err := m.ConsumeRecoveryCode(ctx, f.userID, f.recovery); err != nil || n != 1 {
		t.Fatalf("recovery code after the faults: %d, %v; want 1 left", n, err)
	}
	// Exactly the seeded recovery failure is counted: one more is allowed,
	// the next refused.
	for i, allowed := range []bool{true, false} {
		_, d, err := m.AttemptRecoveryCode(ctx, f.userID, [][]byte{digestOf("wrong")}, faultRecoveryRule, func() time.Time { return now })
		if d.Allowed != allowed || (allowed && !errors.Is(err, mfa.ErrNotFound)) || (!allowed && err != nil) {
			t.Fatalf("recovery failure %d after the faults: allowed %v, error %v; want allowed %v", i+2, d.Allowed, err, allowed)
		}
	}
	if _, err := m.UseToken(ctx, f.token, f.userID, "", now); err != nil {
		t.Fatalf("MFA token after the faults: %v", err)
	}
	if r, err := f.s.OAuthStates().Consume(ctx, f.state, now); err != nil || !r.CallbackAt.IsZero() {
		t.Fatalf("OAuth state after the faults: %+v, %v; want unconsumed, no callback", r, err)
	}
	if err := f.s.Sessions().ConsumeJTI(ctx, f.jti, now.Add(time.Hour), now); err != nil {
		t.Fatalf("jti after the faults: %v", err)
	}
	if r, err := f.s.Sessions().Get(ctx, f.session); err != nil || r.Revoked() {
		t.Fatalf("session after the faults: %+v, %v; want live", r, err)
	}
}

// expectUnavailable runs every op with a bounded context and requires a
// typed error and no grant.
func expectUnavailable(t *testing.T, ops []op, timeout time.Duration, alsoDeadline bool) {
	t.Helper()
	for _, o := range ops {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		granted, err := o.do(ctx)
		cancel()
		if !errors.Is(err, postgres.ErrUnavailable) {
			t.Errorf("%s: err = %v, want ErrUnavailable", o.name, err)
		}
		if alsoDeadline && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: err = %v, want it to match context.DeadlineExceeded", o.name, err)
		}
		if granted {
			t.Errorf("%s: granted despite error %v (must fail closed)", o.name, err)
		}
	}
}

// TestDeadlineWhileBlocked holds row locks on the fixture's rows from
// another transaction, so that the operations that change them block, and
// checks that the caller's deadline ends each one with a typed error and no
// change. This runs on the shared server, in the test's own schema.
func TestDeadlineWhileBlocked(t *testing.T) {
	s, pool := newStore(t, postgres.Options{})
	f := seed(t, s)
	ctx := context.Background()
	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	lock := func(q string, arg any) {
		t.Helper()
		if _, err := holder.Exec(ctx, q, arg); err != nil {
			t.Fatal(err)
		}
	}
	lock(`SELECT 1 FROM authkit_verifications WHERE id = $1 FOR UPDATE`, f.verifID)
	lock(`SELECT 1 FROM authkit_mfa_devices WHERE id = $1 FOR UPDATE`, f.deviceID)
	lock(`SELECT 1 FROM authkit_mfa_recovery_sets WHERE user_id = $1 FOR UPDATE`, f.userID)
	lock(`SELECT 1 FROM authkit_mfa_recovery_failures WHERE user_id = $1 FOR UPDATE`, f.userID)
	lock(`SELECT 1 FROM authkit_mfa_tokens WHERE digest = $1 FOR UPDATE`, f.token)
	lock(`SELECT 1 FROM authkit_oauth_states WHERE state = $1 FOR UPDATE`, f.state)
	// A jti being consumed by another transaction: ours must wait for it.
	lock(`INSERT INTO authkit_session_jtis (jti, expires_at) VALUES ($1, now() - interval '1 day')`, f.jti)

	var blocked []op
	want := map[string]bool{"verification.Attempt": true, "verification.ReplaceCode": true, "mfa.MarkStepUsed": true,
		"mfa.ConsumeRecoveryCode": true, "mfa.AttemptRecoveryCode": true, "mfa.AttemptRecoveryCode wrong": true,
		"mfa.ResetRecoveryFailures": true, "mfa.UseToken": true, "oauth.Consume": true, "oauth.RecordCallback": true,
		"session.ConsumeJTI": true}
	for _, o := range f.ops(t) {
		if want[o.name] {
			blocked = append(blocked, o)
		}
	}
	if len(blocked) != len(want) {
		t.Fatalf("found %d of the %d blocked operations", len(blocked), len(want))
	}
	expectUnavailable(t, blocked, 300*time.Millisecond, true)
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	f.checkUntouched(t)
}

// privateServer starts a PostgreSQL instance of its own (never the shared
// one) with the project's services script, and stops it when the test ends.
type privateServer struct {
	t      *testing.T
	script string
	env    []string
	dsn    string
}

func startPrivateServer(t *testing.T) *privateServer {
	t.Helper()
	testDSN(t) // the same skip-or-fail rule as the other tests
	script := os.Getenv("AUTHKIT_TEST_SERVICES")
	if script == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("AUTHKIT_TEST_SERVICES is not set (required under CI=true)")
		}
		t.Skip("AUTHKIT_TEST_SERVICES is not set")
	}
	// The postgres user must be able to write the directory, so not under
	// t.TempDir (whose parents are 0700).
	dir, err := os.MkdirTemp("", "authkit-pgfault-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	p := &privateServer{t: t, script: script,
		env: append(os.Environ(), "AUTHKIT_SERVICES_DIR="+dir, "AUTHKIT_PG_PORT="+strconv.Itoa(port)),
		dsn: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/authkit?sslmode=disable", port)}
	t.Cleanup(func() {
		p.run("stop")
		os.RemoveAll(dir)
	})
	p.run("start")
	return p
}

func (p *privateServer) run(cmd string) {
	p.t.Helper()
	c := exec.Command("bash", p.script, cmd, "postgres")
	c.Env = p.env
	if out, err := c.CombinedOutput(); err != nil {
		p.t.Fatalf("services.sh %s postgres: %v\n%s", cmd, err, out)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestFaultServerDown stops a private server: every operation must return
// ErrUnavailable within its deadline and grant nothing. It then stops the
// server while two operations are in flight (blocked on row locks), and
// finally restarts it: the store works again and every secret is still
// valid exactly once.
func TestFaultServerDown(t *testing.T) {
	srv := startPrivateServer(t)
	cfg, err := pgxpool.ParseConfig(srv.dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 4
	postgres.CancelQueriesOnTimeout(cfg)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := migrated(t, pool, postgres.Options{Timeout: 5 * time.Second})
	f := seed(t, s)
	ops := f.ops(t)
	// The test server runs with synchronous_commit=off and stops with
	// -m immediate (a crash): flush the seeded rows to disk first.
	if _, err := pool.Exec(context.Background(), "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}

	t.Log("server stopped")
	srv.run("stop")
	expectUnavailable(t, ops, 3*time.Second, false)

	t.Log("server restarted; stopping it mid-operation")
	srv.run("start")
	ctx := context.Background()
	holder, err := pgx.Connect(ctx, srv.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for q, arg := range map[string]any{
		`SELECT 1 FROM authkit_verifications WHERE id = $1 FOR UPDATE`:   f.verifID,
		`SELECT 1 FROM authkit_oauth_states WHERE state = $1 FOR UPDATE`: f.state,
	} {
		if _, err := tx.Exec(ctx, q, arg); err != nil {
			t.Fatal(err)
		}
	}
	type result struct {
		name    string
		granted bool
		err     error
	}
	results := make(chan result, 2)
	for _, o := range ops {
		if o.name == "verification.Attempt" || o.name == "oauth.Consume" {
			go func() {
				c, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				g, err := o.do(c)
				results <- result{o.name, g, err}
			}()
		}
	}
	// Wait until both are blocked inside the server, then kill it.
	for waiting := 0; waiting < 2; {
		select {
		case r := <-results:
			t.Fatalf("%s returned before the server stopped: granted %v, err %v", r.name, r.granted, r.err)
		case <-time.After(20 * time.Millisecond):
		}
		if err := holder.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE NOT granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	srv.run("stop")
	for range 2 {
		r := <-results
		if !errors.Is(r.err, postgres.ErrUnavailable) || r.granted {
			t.Errorf("%s cut mid-operation: granted %v, err %v; want ErrUnavailable, nothing granted", r.name, r.granted, r.err)
		}
	}

	t.Log("server restarted")
	srv.run("start")
	f.checkUntouched(t)
}
