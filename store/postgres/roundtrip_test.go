package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/verification"
)

// TestRoundTrips checks the goal of one round trip to the server per atomic
// operation, counted as writes on the connections (see countingConn) once
// the operation's statements are prepared: each operation runs once to
// warm up, then once measured, on the success path and on a refusal.
func TestRoundTrips(t *testing.T) {
	s, writes := newCountingStore(t, 1)
	ctx := context.Background()
	v, m, ss, st := s.Verifications(), s.MFA(), s.Sessions(), s.OAuthStates()
	now := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	lim, err := s.Limiter(ratelimit.LimiterConfig{Name: "rt", Rule: ratelimit.Rule{Limit: 1, Window: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	sends, err := s.Limiter(ratelimit.LimiterConfig{Name: "sends", Rule: ratelimit.Rule{Sliding: true, Limit: 5, Window: time.Minute, Cooldown: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	failures, err := s.Limiter(ratelimit.LimiterConfig{Name: "failures", Rule: ratelimit.Rule{Sliding: true, Limit: 5, Window: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	recoveryRule := ratelimit.Rule{Sliding: true, Limit: 5, Window: time.Minute}
	clock := func() time.Time { return now }
	n := 0
	fresh := func(prefix string) string { n++; return fmt.Sprintf("%s-%d", prefix, n) }
	newVerif := func() string {
		id := fresh("v")
		if err := v.Create(ctx, verification.Record{ID: id, CodeHash: digestOf(id), Sends: 1, CreatedAt: now, SentAt: now, ExpiresAt: now.Add(time.Hour), PurgeAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	user := fresh("u")
	dev := fresh("d")
	if err := createDevice(ctx, m, mfa.DeviceRecord{ID: dev, UserID: user, SealedSecret: []byte{1}, CreatedAt: now}, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := confirmDevice(ctx, m, user, dev, 1, now); err != nil {
		t.Fatal(err)
	}
	step := uint64(1)
	newState := func() string {
		id := fresh("state")
		if err := st.Create(ctx, oauth.State{State: id, Provider: "p", RedirectURL: "r", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, now); err != nil {
			t.Fatal(err)
		}
		return id
	}
	newToken := func() []byte {
		d := digestOf(fresh("tok"))
		if err := m.CreateToken(ctx, mfa.TokenRecord{Digest: d, UserID: user, SingleUse: true, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		return d
	}
	newCode := func() []byte {
		d := digestOf(fresh("rc"))
		if err := m.ReplaceRecoverySet(ctx, mfa.RecoverySet{UserID: user, CreatedAt: now, Codes: []mfa.RecoveryCodeRecord{{Digest: d, Sealed: []byte{1}}}}); err != nil {
			t.Fatal(err)
		}
		return d
	}

	cases := []struct {
		name string
		run  func() func() error // setup (not counted), returning the measured call
	}{
		{"verification.Attempt right code", func() func() error {
			id := newVerif()
			return func() error { _, err := v.Attempt(ctx, id, [][]byte{digestOf(id)}, now, 5); return err }
		}},
		{"verification.Attempt wrong code", func() func() error {
			id := newVerif()
			return func() error {
				_, err := v.Attempt(ctx, id, [][]byte{digestOf("x")}, now, 5)
				return ignore(err, verification.ErrWrongCode)
			}
		}},
		{"verification.Attempt used", func() func() error {
			id := newVerif()
			if _, err := v.Attempt(ctx, id, [][]byte{digestOf(id)}, now, 5); err != nil {
				t.Fatal(err)
			}
			return func() error {
				_, err := v.Attempt(ctx, id, [][]byte{digestOf(id)}, now, 5)
				return ignore(err, verification.ErrAlreadyUsed)
			}
		}},
		{"ratelimit.Allow (sliding)", func() func() error {
			d := fresh("dest")
			return func() error { _, err := sends.Allow(ctx, d); return err }
		}},
		{"mfa.MarkStepUsed", func() func() error {
			step++
			return func() error { return m.MarkStepUsed(ctx, user, dev, step) }
		}},
		{"mfa.MarkStepUsed replay", func() func() error {
			return func() error { return ignore(m.MarkStepUsed(ctx, user, dev, step), mfa.ErrStepUsed) }
		}},
		{"ratelimit.Allow (mfa failures)", func() func() error {
			k := fresh("totp")
			return func() error { _, err := failures.Allow(ctx, k); return err }
		}},
		{"ratelimit.Refund (sliding)", func() func() error {
			k := fresh("totp")
			if _, err := failures.Allow(ctx, k); err != nil {
				t.Fatal(err)
			}
			return func() error { return failures.Refund(ctx, k) }
		}},
		{"mfa.ConsumeRecoveryCode", func() func() error {
			d := newCode()
			return func() error { _, err := m.ConsumeRecoveryCode(ctx, user, d); return err }
		}},
		{"mfa.AttemptRecoveryCode", func() func() error {
			d := newCode()
			return func() error {
				_, _, err := m.AttemptRecoveryCode(ctx, user, [][]byte{digestOf("new key"), d}, recoveryRule, clock)
				return err
			}
		}},
		{"mfa.AttemptRecoveryCode wrong", func() func() error {
			newCode()
			return func() error {
				_, _, err := m.AttemptRecoveryCode(ctx, user, [][]byte{digestOf("wrong")}, recoveryRule, clock)
				return ignore(err, mfa.ErrNotFound)
			}
		}},
		{"mfa.AttemptRecoveryCode refused", func() func() error {
			u := fresh("u") // a user of its own: failures outlive a set
			if err := m.ReplaceRecoverySet(ctx, mfa.RecoverySet{UserID: u, CreatedAt: now, Codes: []mfa.RecoveryCodeRecord{{Digest: digestOf(u), Sealed: []byte{1}}}}); err != nil {
				t.Fatal(err)
			}
			for range recoveryRule.Limit {
				if _, _, err := m.AttemptRecoveryCode(ctx, u, [][]byte{digestOf("wrong")}, recoveryRule, clock); !errors.Is(err, mfa.ErrNotFound) {
					t.Fatal(err)
				}
			}
			return func() error {
				_, d, err := m.AttemptRecoveryCode(ctx, u, [][]byte{digestOf(u)}, recoveryRule, clock)
				if err == nil && d.Allowed {
					return fmt.Errorf("allowed past the limit")
				}
				return err
			}
		}},
		{"mfa.UseToken", func() func() error {
			d := newToken()
			return func() error { _, err := m.UseToken(ctx, d, user, "", now); return err }
		}},
		// UpdateDevices runs the mfa rules in Go between its two round
		// trips: the locked read, then the writes with the commit.
		{"mfa.UpdateDevices (2 round trips)", func() func() error {
			return func() error {
				return createDevice(ctx, m, mfa.DeviceRecord{ID: fresh("d"), UserID: fresh("u"), SealedSecret: []byte{1}, CreatedAt: now}, 10)
			}
		}},
		{"oauth.Consume", func() func() error {
			id := newState()
			return func() error { _, err := st.Consume(ctx, id, now); return err }
		}},
		{"oauth.RecordCallback", func() func() error {
			id := newState()
			return func() error { _, err := st.RecordCallback(ctx, id, oauth.Callback{Code: "c"}, now); return err }
		}},
		{"session.ConsumeJTI", func() func() error {
			j := fresh("jti")
			return func() error { return ss.ConsumeJTI(ctx, j, now.Add(time.Hour), now) }
		}},
		{"session.ConsumeJTI replay", func() func() error {
			j := fresh("jti")
			if err := ss.ConsumeJTI(ctx, j, now.Add(time.Hour), now); err != nil {
				t.Fatal(err)
			}
			return func() error { return ignore(ss.ConsumeJTI(ctx, j, now.Add(time.Hour), now), session.ErrAlreadyUsed) }
		}},
		{"ratelimit.Allow", func() func() error {
			k := fresh("key")
			return func() error { _, err := lim.Allow(ctx, k); return err }
		}},
		{"ratelimit.Allow denied", func() func() error {
			k := fresh("key")
			if _, err := lim.Allow(ctx, k); err != nil {
				t.Fatal(err)
			}
			return func() error {
				d, err := lim.Allow(ctx, k)
				if err == nil && d.Allowed {
					return fmt.Errorf("allowed twice")
				}
				return err
			}
		}},
	}
	for _, tc := range cases {
		for round := range 2 { // the first round prepares the statements
			call := tc.run()
			before := writes.Load()
			if err := call(); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			want := int64(1)
			if strings.HasSuffix(tc.name, "(2 round trips)") {
				want = 2
			}
			if got := writes.Load() - before; round == 1 && got != want {
				t.Errorf("%s: %d round trips, want %d", tc.name, got, want)
			}
		}
	}
}

// ignore maps the expected refusal to nil and anything else to an error.
func ignore(err, want error) error {
	if errors.Is(err, want) {
		return nil
	}
	if err == nil {
		return fmt.Errorf("succeeded, want %v", want)
	}
	return err
}
