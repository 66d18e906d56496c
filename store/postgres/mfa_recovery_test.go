package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/store/postgres"
)

// recoverySetOf is a set of n codes for user, their digests those of
// "user/i".
func recoverySetOf(user string, n int) mfa.RecoverySet {
	set := mfa.RecoverySet{UserID: user, CreatedAt: farPast, Acknowledgement: authkit.AcknowledgementPending}
	for i := range n {
		set.Codes = append(set.Codes, mfa.RecoveryCodeRecord{Digest: digestOf(fmt.Sprintf("%s/%d", user, i)), Sealed: []byte{byte(i)}})
	}
	return set
}

// TestRecoveryAttemptMatchesLog: every Decision of AttemptRecoveryCode,
// Remaining included, equals ratelimit.Rule.Attempt's on a Log of the same
// history, under rules of every shape (a Lifetime cap alone too) and with
// a clock that sometimes steps back.
func TestRecoveryAttemptMatchesLog(t *testing.T) {
	s, _ := newStore(t, postgres.Options{})
	m := s.MFA()
	ctx := context.Background()
	rules := []ratelimit.Rule{
		{Sliding: true, Limit: 3, Window: time.Minute},
		{Sliding: true, Limit: 4, Window: 10 * time.Second, Lifetime: 9},
		{Sliding: true, Limit: 2, Window: 10 * time.Second, Cooldown: time.Second},
		{Sliding: true, Window: 30 * time.Second, Cooldown: 2 * time.Second},
		{Sliding: true, Lifetime: 5},
	}
	for ri, rule := range rules {
		user := fmt.Sprintf("u-%d", ri)
		set := recoverySetOf(user, 100)
		if err := m.ReplaceRecoverySet(ctx, set); err != nil {
			t.Fatal(err)
		}
		var model ratelimit.Log
		at := farPast
		clock := func() time.Time { return at }
		next := 0
		seed := uint64(ri)*104729 + 3
		rnd := func(n uint64) uint64 {
			seed ^= seed << 13
			seed ^= seed >> 7
			seed ^= seed << 17
			return seed % n
		}
		for step := range 150 {
			move := time.Duration(rnd(12_000_000)) * time.Microsecond
			if rnd(8) == 0 {
				move = -move / 4
			}
			at = at.Add(move)
			right := rnd(3) == 0 && next < len(set.Codes)
			candidates := [][]byte{digestOf(fmt.Sprintf("wrong-%d-%d", ri, step))}
			if right {
				// A rotation: the newest key's digest misses, the next matches.
				candidates = append(candidates, set.Codes[next].Digest)
			}
			want, err := rule.Attempt(&model, clock, func() bool { return right })
			if err != nil {
				t.Fatal(err)
			}
			n, got, err := m.AttemptRecoveryCode(ctx, user, candidates, rule, clock)
			switch {
			case got != want:
				t.Fatalf("rule %v step %d (right %v): store %+v, Log %+v", rule, step, right, got, want)
			case !got.Allowed && (err != nil || n != 0):
				t.Fatalf("rule %v step %d: refused with %d, %v", rule, step, n, err)
			case got.Allowed && right && (err != nil || n != len(set.Codes)-next-1):
				t.Fatalf("rule %v step %d: right code: %d left, %v; want %d", rule, step, n, err, len(set.Codes)-next-1)
			case got.Allowed && !right && !errors.Is(err, mfa.ErrNotFound):
				t.Fatalf("rule %v step %d: wrong code: %v, want ErrNotFound", rule, step, err)
			}
			if got.Allowed && right {
				next++
			}
		}
	}
}

// TestRecoveryFailuresUpgrade: a set stored before migration 0011 keeps
// its codes and starts with no failures.
func TestRecoveryFailuresUpgrade(t *testing.T) {
	dsn := testDSN(t)
	pool := newPool(t, dsn, newSchema(t, dsn), 4)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE authkit_schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, mg := range postgres.Migrations() {
		if mg.Version >= 11 {
			break
		}
		if _, err := pool.Exec(ctx, mg.SQL); err != nil {
			t.Fatalf("%s: %v", mg.Name, err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO authkit_schema_migrations (version, name) VALUES ($1, $2)`, mg.Version, mg.Name); err != nil {
			t.Fatal(err)
		}
	}
	set := recoverySetOf("u", 2)
	if _, err := pool.Exec(ctx, `INSERT INTO authkit_mfa_recovery_sets (user_id, created_at) VALUES ('u', $1)`, farPast); err != nil {
		t.Fatal(err)
	}
	for i, c := range set.Codes {
		if _, err := pool.Exec(ctx, `INSERT INTO authkit_mfa_recovery_codes (user_id, digest, sealed, position) VALUES ('u', $1, $2, $3)`,
			c.Digest, c.Sealed, i+1); err != nil {
			t.Fatal(err)
		}
	}
	s := migrated(t, pool, postgres.Options{})
	rule := ratelimit.Rule{Sliding: true, Limit: 1, Window: time.Hour}
	clock := func() time.Time { return farPast }
	if _, d, err := s.MFA().AttemptRecoveryCode(ctx, "u", [][]byte{digestOf("wrong")}, rule, clock); !errors.Is(err, mfa.ErrNotFound) || !d.Allowed {
		t.Fatalf("first failure on an upgraded set: %+v, %v; want allowed, ErrNotFound", d, err)
	}
	if n, d, err := s.MFA().AttemptRecoveryCode(ctx, "u", [][]byte{set.Codes[1].Digest}, rule, func() time.Time { return farPast.Add(time.Hour) }); err != nil || !d.Allowed || n != 1 {
		t.Fatalf("right code on an upgraded set: %d left, %+v, %v; want 1 left", n, d, err)
	}
}
