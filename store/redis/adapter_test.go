package redis

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/verification"
)

// Behaviour specific to this adapter, beyond the conformance suites.

// TestTTLs checks that every key expires when its record stops mattering,
// measured from the caller's times (not the server's clock), and that
// permanent records (devices, recovery codes, lifetime failure counts) do
// not expire.
func TestTTLs(t *testing.T) {
	s := newTestStore(t)
	c := testClient(t)
	ctx := context.Background()
	// A fixed past date: PEXPIREAT of these absolute times would delete the
	// keys at once; relative TTLs keep the records for their lifetimes.
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v := verification.Record{ID: "v", CodeHash: []byte("h"), CreatedAt: now, SentAt: now,
		ExpiresAt: now.Add(10 * time.Minute), PurgeAt: now.Add(20 * time.Minute)}
	if err := s.Verifications().Create(ctx, v); err != nil {
		t.Fatal(err)
	}
	// Send limits and MFA failures are sliding limiter keys.
	event := func(name string, rule ratelimit.Rule, key string) string {
		t.Helper()
		l, err := s.Limiter(ratelimit.LimiterConfig{Name: name, Rule: rule, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		if d, err := l.Allow(ctx, key); err != nil || !d.Allowed {
			t.Fatal(d, err)
		}
		return l.(*Limiter).key(key)
	}
	sendsKey := event("verification-sends", ratelimit.Rule{Sliding: true, Limit: 5, Window: 10 * time.Minute}, "dest")
	failuresKey := event("mfa-totp-failures", ratelimit.Rule{Sliding: true, Limit: 5, Window: 5 * time.Minute, Lifetime: 100}, "totp:u")
	if err := s.Sessions().Create(ctx, session.Record{ID: "s", UserID: "u", CreatedAt: now, ExpiresAt: now.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Sessions().ConsumeJTI(ctx, "j", now.Add(5*time.Minute), now); err != nil {
		t.Fatal(err)
	}
	if err := s.OAuthStates().Create(ctx, oauth.State{State: "st", CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}, now); err != nil {
		t.Fatal(err)
	}
	// Completed sign-ins go at their expiry, not StateRetention later.
	for _, st := range []string{"st-called", "st-used"} {
		if err := s.OAuthStates().Create(ctx, oauth.State{State: st, CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.OAuthStates().RecordCallback(ctx, "st-called", oauth.Callback{Code: "c"}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OAuthStates().Consume(ctx, "st-used", now); err != nil {
		t.Fatal(err)
	}
	if err := s.MFA().CreateToken(ctx, mfa.TokenRecord{Digest: []byte("d"), UserID: "u", CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := createDevice(ctx, s.MFA(), mfa.DeviceRecord{ID: "d", UserID: "u", CreatedAt: now}, 5); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.MFA().CreateRecoverySet(ctx, mfa.RecoverySet{UserID: "u", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	lim, err := s.Limiter(ratelimit.LimiterConfig{Name: "n", Rule: ratelimit.Rule{Limit: 10, Window: time.Minute}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lim.Allow(ctx, "k"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		key  string
		want time.Duration // -1: no expiry
	}{
		{s.key("v", "v"), 20 * time.Minute},
		{sendsKey, 10 * time.Minute},
		{s.key("sess", "s"), 2 * time.Hour},
		{s.key("sessu", "u"), 2*time.Hour + indexSlack},
		{s.key("jti", "j"), 5*time.Minute + jtiSkew},
		{s.key("oauth", "st"), 10*time.Minute + oauth.StateRetention},
		{s.key("oauth", "st-called"), 10 * time.Minute},
		{s.key("oauth", "st-used"), 10 * time.Minute},
		{s.MFA().tokensKey("u"), 5 * time.Minute},
		{failuresKey, 5 * time.Minute},
		{"{" + s.Prefix() + ":rl:n:k}", 6 * time.Second}, // one emission interval
		{s.MFA().devicesKey("u"), -1},
		{lifetimeKey(failuresKey), -1}, // no window ends the lifetime count
		{s.MFA().recoveryKey("u"), -1},
	}
	for _, tc := range tests {
		got, err := c.PTTL(ctx, tc.key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if tc.want < 0 {
			if got != -1 {
				t.Errorf("%s: TTL %v, want none", tc.key, got)
			}
			continue
		}
		// A little less than the lifetime may have passed since the write.
		if got > tc.want || got < tc.want-time.Minute {
			t.Errorf("%s: TTL %v, want about %v", tc.key, got, tc.want)
		}
	}
}

// TestRevokeAllChecksOwner: a refused Create of another user's session id
// leaves an index entry for the wrong user; RevokeAllForUser must not
// revoke the session it points to.
func TestRevokeAllChecksOwner(t *testing.T) {
	s := newTestStore(t).Sessions()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	victim := session.Record{ID: "shared-id", UserID: "victim", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.Create(ctx, victim); err != nil {
		t.Fatal(err)
	}
	other := victim
	other.UserID = "attacker"
	if err := s.Create(ctx, other); !errors.Is(err, session.ErrDuplicate) {
		t.Fatalf("Create of a taken id = %v, want ErrDuplicate", err)
	}
	n, err := s.RevokeAllForUser(ctx, "attacker", now)
	if err != nil || n != 0 {
		t.Fatalf("RevokeAllForUser(attacker) = %d, %v; want 0", n, err)
	}
	if got, err := s.Get(ctx, victim.ID); err != nil || got.Revoked() || got.UserID != "victim" {
		t.Fatalf("victim's session = %+v, %v; want live and unchanged", got, err)
	}
	if n, err := s.RevokeAllForUser(ctx, "victim", now); err != nil || n != 1 {
		t.Fatalf("RevokeAllForUser(victim) = %d, %v; want 1", n, err)
	}
}

// TestInvalidRecords are refused before anything is sent.
func TestInvalidRecords(t *testing.T) {
	s, err := New(noServer(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	for _, r := range []session.Record{{UserID: "u", ExpiresAt: now}, {ID: "s", UserID: "u"}} {
		if err := s.Sessions().Create(ctx, r); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Create(%+v) = %v, want ErrInvalidArgument", r, err)
		}
	}
	if err := s.Sessions().ConsumeJTI(ctx, "", now, now); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ConsumeJTI(\"\") = %v, want ErrInvalidArgument", err)
	}
}

// TestScriptCacheFlushed: after SCRIPT FLUSH (a server restart or failover
// does the same) every operation reloads its script, including the
// pipelined ones (session Create and RevokeAllForUser). It runs on a
// private server, since flushing the shared one's cache would slow others.
func TestScriptCacheFlushed(t *testing.T) {
	p := startPrivateServer(t)
	c := p.client(t, true)
	s, err := New(c, Options{Prefix: randomPrefix(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	expectWorking(t, fixture(t, s, 1))
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	for i, id := range []string{"a", "b"} {
		if err := s.Sessions().Create(ctx, session.Record{ID: id, UserID: "u", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatalf("Create after SCRIPT FLUSH: %v", err)
		}
		if i == 0 {
			if err := c.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Sessions().RevokeAllForUser(ctx, "u", now); err != nil || n != 2 {
		t.Fatalf("RevokeAllForUser after SCRIPT FLUSH = %d, %v; want 2", n, err)
	}
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	expectWorking(t, fixture(t, s, 2))
}

// TestConsumeJTIClockSkew: a consumed token id stays used for every later
// caller whose now is still before its expiresAt, even a host whose clock
// lags the consuming host's (session.Store: the entry may be forgotten only
// once expiresAt is before now). The consuming host here runs 2 s ahead and
// the token expires 500 ms after its now; after 1.5 s of real time a host
// whose clock is 2 s behind it still sees the token as live and must get
// ErrAlreadyUsed, not a second success.
func TestConsumeJTIClockSkew(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	real0 := time.Now().Truncate(time.Millisecond)
	ahead := real0.Add(2 * time.Second)
	exp := ahead.Add(500 * time.Millisecond)
	if err := s.Sessions().ConsumeJTI(ctx, "skewed", exp, ahead); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	behind := real0.Add(1500 * time.Millisecond) // the lagging host's now: before exp
	if !behind.Before(exp) {
		t.Fatal("test setup: the second call must come before expiresAt")
	}
	if err := s.Sessions().ConsumeJTI(ctx, "skewed", exp, behind); !errors.Is(err, session.ErrAlreadyUsed) {
		t.Fatalf("ConsumeJTI by a host whose now (%v before expiresAt) is still in the token's life = %v, want ErrAlreadyUsed",
			exp.Sub(behind), err)
	}
	// Once expiresAt is before the caller's now the id may be used again,
	// as on every backend.
	if err := s.Sessions().ConsumeJTI(ctx, "skewed", exp, exp.Add(time.Millisecond)); err != nil {
		t.Fatalf("ConsumeJTI after expiresAt = %v, want nil", err)
	}
}

// TestDeleteDeviceZeroCreatedAt: devices without a CreatedAt (stored as "")
// are ordered first, and deleting the default among them promotes another
// in the same script instead of failing half-way (a Lua error does not undo
// the writes before it: the device would be gone with no default left).
func TestDeleteDeviceZeroCreatedAt(t *testing.T) {
	m := newTestStore(t).MFA()
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		if err := createDevice(ctx, m, mfa.DeviceRecord{ID: id, UserID: "u", Type: mfa.DeviceTypeTOTP, SealedSecret: []byte{1}}, 5); err != nil {
			t.Fatal(err)
		}
		if _, err := confirmDevice(ctx, m, "u", id, 1, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := deleteDevice(ctx, m, "u", "a"); err != nil {
		t.Fatalf("DeleteDevice of the default = %v, want nil", err)
	}
	list, err := m.ListDevices(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || !list[0].Default || list[0].ID != "b" || list[1].Default {
		t.Fatalf("devices after deleting the default: %+v; want b (default) and c", list)
	}
}
