package redis

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/ratelimit"
)

// recoveryFixture stores a set of n codes ("code-0", …) for a fresh user.
func recoveryFixture(t *testing.T, m *MFAStore, user string, n int) mfa.RecoverySet {
	t.Helper()
	set := mfa.RecoverySet{UserID: user, CreatedAt: time.Unix(1_700_000_000, 0).UTC(), Acknowledgement: authkit.AcknowledgementPending}
	for i := range n {
		set.Codes = append(set.Codes, mfa.RecoveryCodeRecord{Digest: fmt.Appendf(nil, "code-%d", i), Sealed: fmt.Appendf(nil, "sealed-%d", i)})
	}
	if err := m.ReplaceRecoverySet(context.Background(), set); err != nil {
		t.Fatal(err)
	}
	return set
}

// TestRecoveryAttemptMatchesLog drives AttemptRecoveryCode through a run
// whose clock also steps back, under rules with a cooldown and lifetime
// caps (one without a window): every Decision, Remaining included, equals
// ratelimit.Rule.Attempt's on a Log of the same history, and a refusal
// leaves the hash byte for byte as it was.
func TestRecoveryAttemptMatchesLog(t *testing.T) {
	s := newTestStore(t)
	m := s.MFA()
	ctx := context.Background()
	rules := []ratelimit.Rule{
		{Sliding: true, Limit: 3, Window: time.Minute},
		{Sliding: true, Limit: 4, Window: 10 * time.Second, Cooldown: time.Second},
		{Sliding: true, Cooldown: 500 * time.Millisecond, Window: 20 * time.Second},
		{Sliding: true, Limit: 3, Window: time.Minute, Lifetime: 7},
		{Sliding: true, Lifetime: 4},
	}
	for ri, rule := range rules {
		t.Run(rule.String(), func(t *testing.T) {
			user := fmt.Sprint("user-", ri)
			set := recoveryFixture(t, m, user, 100)
			at := time.UnixMicro(1_800_000_000_000_000)
			now := func() time.Time { return at }
			var model ratelimit.Log
			next := 0
			seed := uint64(ri)*104729 + 17
			rnd := func(n uint64) uint64 {
				seed ^= seed << 13
				seed ^= seed >> 7
				seed ^= seed << 17
				return seed % n
			}
			for step := range 200 {
				at = at.Add(time.Duration(rnd(12_000_000)) * time.Microsecond)
				if rnd(4) == 0 {
					at = at.Add(-time.Duration(rnd(40_000_000)) * time.Microsecond) // the clock steps back
				}
				right := rnd(3) == 0 && next < len(set.Codes)
				candidates := [][]byte{fmt.Appendf(nil, "wrong-%d", step)}
				if right {
					candidates = append(candidates, set.Codes[next].Digest) // an older key's digest matches
				}
				want, err := rule.Attempt(&model, now, func() bool { return right })
				if err != nil {
					t.Fatal(err)
				}
				before, err := s.c.HGetAll(ctx, m.recoveryKey(user)).Result()
				if err != nil {
					t.Fatal(err)
				}
				n, got, err := m.AttemptRecoveryCode(ctx, user, candidates, rule, now)
				switch {
				case got != want:
					t.Fatalf("step %d (right %v): store %+v, Log %+v", step, right, got, want)
				case !got.Allowed && err != nil:
					t.Fatalf("step %d: refused with error %v", step, err)
				case got.Allowed && right && (err != nil || n != len(set.Codes)-next-1):
					t.Fatalf("step %d: right code: %d left, error %v; want %d", step, n, err, len(set.Codes)-next-1)
				case got.Allowed && !right && !errors.Is(err, mfa.ErrNotFound):
					t.Fatalf("step %d: wrong code: %v, want ErrNotFound", step, err)
				}
				if got.Allowed && right {
					next++
				}
				if !got.Allowed {
					after, err := s.c.HGetAll(ctx, m.recoveryKey(user)).Result()
					if err != nil {
						t.Fatal(err)
					}
					if !maps.Equal(before, after) {
						t.Fatalf("step %d: a refusal changed the hash: %v → %v", step, before, after)
					}
				}
			}
		})
	}
}

// TestRecoveryFailuresOutliveUser: DeleteUser removes the set's fields
// and keeps only the failure fields (the conformance suite checks the
// behaviour; this checks the hash); ResetRecoveryFailures then removes the
// key; GetRecoverySet never shows the failure fields.
func TestRecoveryFailuresOutliveUser(t *testing.T) {
	s := newTestStore(t)
	m := s.MFA()
	ctx := context.Background()
	rule := ratelimit.Rule{Sliding: true, Limit: 2, Window: time.Hour, Lifetime: 10}
	now := func() time.Time { return time.UnixMicro(1_800_000_000_000_001) }
	fail := func(what string) {
		t.Helper()
		if _, d, err := m.AttemptRecoveryCode(ctx, "u", [][]byte{[]byte("wrong")}, rule, now); !d.Allowed || !errors.Is(err, mfa.ErrNotFound) {
			t.Fatalf("%s: allowed %v, error %v; want a counted failure", what, d.Allowed, err)
		}
	}
	set := recoveryFixture(t, m, "u", 3)
	fail("first")
	fail("second")
	got, err := m.GetRecoverySet(ctx, "u")
	if err != nil || len(got.Codes) != 3 || got.UserID != set.UserID || !got.CreatedAt.Equal(set.CreatedAt) {
		t.Fatalf("GetRecoverySet with failures kept: %+v, %v", got, err)
	}

	if err := m.DeleteUser(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	h, err := s.c.HGetAll(ctx, m.recoveryKey("u")).Result()
	want := map[string]string{"!fe": "1800000000000001 1800000000000001", "!fn": "2", "!fw": "3600000000"}
	if err != nil || !maps.Equal(h, want) {
		t.Fatalf("recovery hash after DeleteUser: %v (%v), want %v", h, err, want)
	}
	if ttl, err := s.c.PTTL(ctx, m.recoveryKey("u")).Result(); err != nil || ttl != -1 {
		t.Fatalf("failures with a lifetime count after DeleteUser: TTL %v (%v), want none", ttl, err)
	}
	for _, err := range []error{
		m.SetAcknowledgement(ctx, "u", authkit.AcknowledgementComplete),
		func() error { _, err := m.ConsumeRecoveryCode(ctx, "u", []byte("code-0")); return err }(),
		func() error { _, err := m.GetRecoverySet(ctx, "u"); return err }(),
	} {
		if !errors.Is(err, mfa.ErrNotFound) {
			t.Fatalf("a deleted set: %v, want ErrNotFound", err)
		}
	}

	if err := m.ResetRecoveryFailures(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.c.Exists(ctx, m.recoveryKey("u")).Result(); err != nil || n != 0 {
		t.Fatalf("after ResetRecoveryFailures of a deleted set: the key exists (%d, %v)", n, err)
	}
	recoveryFixture(t, m, "u", 3)
	if n, d, err := m.AttemptRecoveryCode(ctx, "u", [][]byte{[]byte("code-1")}, rule, now); err != nil || !d.Allowed || n != 2 ||
		d.Remaining != rule.Remaining(0, 0) {
		t.Fatalf("after ResetRecoveryFailures: %d left, %+v, %v; want 2 left, nothing counted", n, d, err)
	}
}

// TestRecoveryFailuresExpireAfterUser: with no lifetime count, the failure
// fields DeleteUser leaves expire one window later (every failure counted
// before has then left the window), and a new set makes the hash
// persistent again.
func TestRecoveryFailuresExpireAfterUser(t *testing.T) {
	s := newTestStore(t)
	m := s.MFA()
	ctx := context.Background()
	rule := ratelimit.Rule{Sliding: true, Limit: 3, Window: time.Hour}
	recoveryFixture(t, m, "u", 3)
	if _, d, err := m.AttemptRecoveryCode(ctx, "u", [][]byte{[]byte("wrong")}, rule, time.Now); !d.Allowed || !errors.Is(err, mfa.ErrNotFound) {
		t.Fatalf("a wrong code: allowed %v, error %v", d.Allowed, err)
	}
	if err := m.DeleteUser(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	ttl, err := s.c.PTTL(ctx, m.recoveryKey("u")).Result()
	if err != nil || ttl <= 0 || ttl > rule.Window {
		t.Fatalf("failures after DeleteUser: TTL %v (%v), want within (0, %v]", ttl, err, rule.Window)
	}
	if _, created, err := m.CreateRecoverySet(ctx, mfa.RecoverySet{UserID: "u", CreatedAt: time.Now(), Codes: []mfa.RecoveryCodeRecord{{Digest: []byte("d"), Sealed: []byte("s")}}}); err != nil || !created {
		t.Fatalf("CreateRecoverySet after DeleteUser: created %v, error %v", created, err)
	}
	if ttl, err := s.c.PTTL(ctx, m.recoveryKey("u")).Result(); err != nil || ttl != -1 {
		t.Fatalf("a new set after DeleteUser: TTL %v (%v), want none", ttl, err)
	}
	if n, err := s.c.HLen(ctx, m.recoveryKey("u")).Result(); err != nil || n < 5 {
		t.Fatalf("a new set after DeleteUser: %d fields (%v), want the set's and the failures'", n, err)
	}
}

// TestRecoveryReplaceAfterUser: ReplaceRecoverySet on the failure fields
// DeleteUser left to expire makes the hash persistent again, failures
// kept, as CreateRecoverySet does.
func TestRecoveryReplaceAfterUser(t *testing.T) {
	s := newTestStore(t)
	m := s.MFA()
	ctx := context.Background()
	rule := ratelimit.Rule{Sliding: true, Limit: 3, Window: time.Hour}
	recoveryFixture(t, m, "u", 3)
	if _, d, err := m.AttemptRecoveryCode(ctx, "u", [][]byte{[]byte("wrong")}, rule, time.Now); !d.Allowed || !errors.Is(err, mfa.ErrNotFound) {
		t.Fatalf("a wrong code: allowed %v, error %v", d.Allowed, err)
	}
	if err := m.DeleteUser(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if ttl, err := s.c.PTTL(ctx, m.recoveryKey("u")).Result(); err != nil || ttl <= 0 {
		t.Fatalf("failures after DeleteUser: TTL %v (%v), want one", ttl, err)
	}
	recoveryFixture(t, m, "u", 3)
	if ttl, err := s.c.PTTL(ctx, m.recoveryKey("u")).Result(); err != nil || ttl != -1 {
		t.Fatalf("a replaced set after DeleteUser: TTL %v (%v), want none", ttl, err)
	}
	if _, d, err := m.AttemptRecoveryCode(ctx, "u", [][]byte{[]byte("code-0")}, rule, time.Now); err != nil || !d.Allowed || d.Remaining != rule.Remaining(1, 0) {
		t.Fatalf("right code after the replace: %+v, %v; want the kept failure counted", d, err)
	}
}
