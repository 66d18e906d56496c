package postgres_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/store/postgres"
	"github.com/authkit/authkit/verification"
)

func digestOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// TestCleanup stores one expired and one live row of every expiring kind,
// runs Cleanup at now, and checks that exactly the expired ones are gone.
func TestCleanup(t *testing.T) {
	now := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	clock := now.Add(-time.Hour) // the limiters' clock: their keys were used an hour ago
	s, pool := newStore(t, postgres.Options{Now: func() time.Time { return clock }})
	ctx := context.Background()
	v, m, ss, st := s.Verifications(), s.MFA(), s.Sessions(), s.OAuthStates()

	verif := func(id string, purge time.Time) {
		t.Helper()
		err := v.Create(ctx, verification.Record{ID: id, Channel: verification.ChannelEmail, Destination: "a@example.com",
			CodeHash: digestOf(id), Sends: 1, CreatedAt: purge.Add(-time.Hour), SentAt: purge.Add(-time.Hour),
			ExpiresAt: purge.Add(-30 * time.Minute), PurgeAt: purge})
		if err != nil {
			t.Fatal(err)
		}
	}
	verif("v-old", now)
	verif("v-live", now.Add(time.Second))

	// Send limits and MFA failure windows are sliding rate-limit keys: one
	// whose only event left the window by now, one that did not; and a
	// lifetime cap whose event is long past stays: Cleanup must not undo it.
	event := func(name string, rule ratelimit.Rule, key string, at time.Time) {
		t.Helper()
		l, err := s.Limiter(ratelimit.LimiterConfig{Name: name, Rule: rule, Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		if d, err := l.Allow(ctx, key); err != nil || !d.Allowed {
			t.Fatal(d, err)
		}
	}
	sends := ratelimit.Rule{Sliding: true, Limit: 5, Window: 10 * time.Minute}
	event("sends", sends, "d-old", now.Add(-10*time.Minute))
	event("sends", sends, "d-live", now.Add(-10*time.Minute+time.Second))
	failures := ratelimit.Rule{Sliding: true, Limit: 5, Window: 5 * time.Minute}
	event("failures", failures, "totp:old", now.Add(-5*time.Minute))
	event("failures", failures, "totp:live", now.Add(-5*time.Minute+time.Second))
	lifetimeRule := ratelimit.Rule{Sliding: true, Limit: 5, Window: 5 * time.Minute, Lifetime: 1}
	event("lifetime", lifetimeRule, "totp:lifetime", farPast)

	for name, exp := range map[string]time.Time{"t-old": now, "t-live": now.Add(time.Second)} {
		if err := m.CreateToken(ctx, mfa.TokenRecord{Digest: digestOf(name), UserID: "u", SingleUse: false, CreatedAt: exp.Add(-time.Minute), ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}

	for id, exp := range map[string]time.Time{"s-old": now.Add(-time.Second), "s-live": now} {
		if err := ss.Create(ctx, session.Record{ID: id, UserID: "u", CreatedAt: exp.Add(-time.Hour), ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	// Token ids are kept a minute past their expiry (by Cleanup's clock),
	// for hosts whose clocks lag: j-live expired 30 s ago by Cleanup's clock.
	for jti, exp := range map[string]time.Time{"j-old": now.Add(-time.Minute - time.Second), "j-live": now.Add(-30 * time.Second)} {
		if err := ss.ConsumeJTI(ctx, jti, exp, exp.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
	}

	for state, exp := range map[string]time.Time{
		"state-old-0123456789": now.Add(-oauth.StateRetention),
		"state-live-012345678": now.Add(-oauth.StateRetention + time.Second),
	} {
		rec := oauth.State{State: state, Provider: "github", RedirectURL: "https://x/cb", CodeChallenge: "c", CreatedAt: exp.Add(-10 * time.Minute), ExpiresAt: exp}
		if err := st.Create(ctx, rec, rec.CreatedAt); err != nil {
			t.Fatal(err)
		}
	}
	// A completed sign-in goes at its expiry, not StateRetention later.
	for state, exp := range map[string]time.Time{"state-done-old-01234": now, "state-done-live-0123": now.Add(time.Second)} {
		rec := oauth.State{State: state, Provider: "github", RedirectURL: "https://x/cb", CodeChallenge: "c", CreatedAt: exp.Add(-10 * time.Minute), ExpiresAt: exp}
		if err := st.Create(ctx, rec, rec.CreatedAt); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Consume(ctx, state, rec.CreatedAt.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}

	// One limiter key refills fully by now (1/h used an hour ago), one does not (1/2h).
	for name, rule := range map[string]ratelimit.Rule{"rl-old": {Limit: 1, Window: time.Hour}, "rl-live": {Limit: 1, Window: 2 * time.Hour}} {
		l, err := s.Limiter(ratelimit.LimiterConfig{Name: name, Rule: rule})
		if err != nil {
			t.Fatal(err)
		}
		if d, err := l.Allow(ctx, "k"); err != nil || !d.Allowed {
			t.Fatal(d, err)
		}
	}

	// Devices and recovery sets never expire.
	if err := createDevice(ctx, m, mfa.DeviceRecord{ID: "dev", UserID: "u", Type: mfa.DeviceTypeTOTP, SealedSecret: []byte{1}, CreatedAt: farPast}, 10); err != nil {
		t.Fatal(err)
	}
	if err := m.ReplaceRecoverySet(ctx, mfa.RecoverySet{UserID: "u", CreatedAt: farPast, Codes: []mfa.RecoveryCodeRecord{{Digest: digestOf("rc"), Sealed: []byte{2}}}}); err != nil {
		t.Fatal(err)
	}

	// Recovery-code failures: one user's left the window by now, one's
	// has not, one's counts against a lifetime cap. Deleted users' too.
	recoveryRule := ratelimit.Rule{Sliding: true, Limit: 1, Window: time.Hour}
	lifetimeRecovery := ratelimit.Rule{Sliding: true, Limit: 5, Window: time.Hour, Lifetime: 2}
	for user, fail := range map[string]struct {
		rule ratelimit.Rule
		at   time.Time
	}{"r-live": {recoveryRule, now.Add(-time.Minute)}, "r-old": {recoveryRule, now.Add(-time.Hour)}, "r-lifetime": {lifetimeRecovery, now.Add(-time.Hour)}} {
		if err := m.ReplaceRecoverySet(ctx, mfa.RecoverySet{UserID: user, CreatedAt: farPast}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.AttemptRecoveryCode(ctx, user, [][]byte{digestOf("wrong")}, fail.rule, func() time.Time { return fail.at }); !errors.Is(err, mfa.ErrNotFound) {
			t.Fatal(err)
		}
		if user != "r-live" {
			if err := m.DeleteUser(ctx, user); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Device nonces: one expired at now, one live.
	for name, exp := range map[string]time.Time{"n-old": now, "n-live": now.Add(time.Second)} {
		if err := s.DeviceNonces().CreateNonce(ctx, digestOf(name), exp); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Cleanup(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	want := postgres.CleanupResult{Verifications: 1, Tokens: 1, Sessions: 1, JTIs: 1, States: 2, RateLimits: 3, DeviceNonces: 1, RecoveryFailures: 1}
	if got != want || got.Total() != 11 {
		t.Fatalf("Cleanup deleted %+v, want %+v", got, want)
	}

	// What remains is exactly the live rows.
	counts := map[string]int{
		"authkit_verifications": 1,
		"authkit_mfa_tokens":    1, "authkit_sessions": 1, "authkit_session_jtis": 1,
		"authkit_oauth_states": 2, "authkit_rate_limits": 4, "authkit_mfa_devices": 1, "authkit_mfa_recovery_codes": 1,
		"authkit_device_nonces": 1, "authkit_mfa_recovery_failures": 2,
	}
	for table, n := range counts {
		var c int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&c); err != nil || c != n {
			t.Fatalf("%s holds %d rows (%v), want %d", table, c, err, n)
		}
	}
	if _, err := v.Get(ctx, "v-live"); err != nil {
		t.Fatalf("live verification: %v", err)
	}
	if _, err := v.Get(ctx, "v-old"); !errors.Is(err, verification.ErrNotFound) {
		t.Fatalf("purged verification: %v, want ErrNotFound", err)
	}
	// The kept jti is still refused to a host whose clock lags Cleanup's by
	// 31 s (its token is still valid there); the removed one had expired
	// anyway.
	lagging := now.Add(-31 * time.Second)
	if err := ss.ConsumeJTI(ctx, "j-live", now.Add(-30*time.Second), lagging); !errors.Is(err, session.ErrAlreadyUsed) {
		t.Fatalf("jti consumed again after Cleanup by a host whose clock lags: %v, want ErrAlreadyUsed", err)
	}
	lifetime, err := s.Limiter(ratelimit.LimiterConfig{Name: "lifetime", Rule: lifetimeRule, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := lifetime.Allow(ctx, "totp:lifetime"); err != nil || d.Allowed {
		t.Fatalf("lifetime count after Cleanup: %+v, %v; want denied", d, err)
	}
	if _, d, err := m.AttemptRecoveryCode(ctx, "r-live", [][]byte{digestOf("rc")}, recoveryRule, func() time.Time { return now }); err != nil || d.Allowed {
		t.Fatalf("recovery failure in the window after Cleanup: %+v, %v; want refused", d, err)
	}
	if err := m.ReplaceRecoverySet(ctx, mfa.RecoverySet{UserID: "r-lifetime", CreatedAt: farPast}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []ratelimit.Decision{{Allowed: true}, {}} { // the second failure of 2, then the cap
		if _, d, err := m.AttemptRecoveryCode(ctx, "r-lifetime", [][]byte{digestOf("rc")}, lifetimeRecovery, func() time.Time { return now }); d != want {
			t.Fatalf("recovery attempt %d under a lifetime cap after Cleanup: %+v, %v; want %+v (the count kept)", i+2, d, err, want)
		}
	}
	// A second run finds nothing.
	if again, err := s.Cleanup(ctx, now); err != nil || again.Total() != 0 {
		t.Fatalf("second Cleanup = %+v, %v; want nothing", again, err)
	}
}
