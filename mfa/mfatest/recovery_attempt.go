package mfatest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/ratelimit"
)

// attemptTests are the cases of the optional mfa.RecoveryAttempter
// capability, run only on stores that have it.
var attemptTests = []struct {
	name string
	fn   func(t *testing.T, s mfa.RecoveryAttempter)
}{
	{"NoSet", testAttemptNoSet},
	{"LimitAndWindow", testAttemptLimitAndWindow},
	{"Candidates", testAttemptCandidates},
	{"KeptAcrossReplace", testAttemptKeptAcrossReplace},
	{"KeptAcrossDeleteUser", testAttemptKeptAcrossDeleteUser},
	{"Refusals", testAttemptRefusals},
	{"ParallelWrong", testAttemptParallelWrong},
	{"ParallelMixed", testAttemptParallelMixed},
	{"MatchesLog", testAttemptMatchesLog},
	{"NilClock", testAttemptNilClock},
}

// attemptRule is the failure rule these cases decide under: 3 in any
// minute.
var attemptRule = ratelimit.Rule{Sliding: true, Limit: 3, Window: time.Minute}

// attemptFixture is a user with a 10-code set on the store.
type attemptFixture struct {
	s     mfa.RecoveryAttempter
	user  string
	set   mfa.RecoverySet
	clock *clock.Fake
}

func newAttemptFixture(t *testing.T, s mfa.RecoveryAttempter) *attemptFixture {
	t.Helper()
	f := &attemptFixture{s: s, user: uniq(t, "user"), clock: clock.NewFake(base)}
	f.set = recoverySet(t, f.user, 10)
	if err := s.(mfa.RecoveryStore).ReplaceRecoverySet(ctx, f.set); err != nil {
		t.Fatal(err)
	}
	return f
}

// try is one attempt with the candidates.
func (f *attemptFixture) try(candidates ...[]byte) (int, ratelimit.Decision, error) {
	return f.s.AttemptRecoveryCode(ctx, f.user, candidates, attemptRule, f.clock.Now)
}

// wrong makes an attempt that must be evaluated and fail.
func (f *attemptFixture) wrong(t *testing.T, what string) {
	t.Helper()
	_, d, err := f.try(digest(uniq(t, "wrong")))
	if !d.Allowed || !errors.Is(err, mfa.ErrNotFound) {
		t.Fatalf("%s: wrong code: allowed %v, error %v; want allowed and ErrNotFound", what, d.Allowed, err)
	}
}

// limited makes an attempt with code i of the set that must be refused.
func (f *attemptFixture) limited(t *testing.T, what string, i int) {
	t.Helper()
	_, d, err := f.try(f.set.Codes[i].Digest)
	if err != nil || d.Allowed || d.RetryAfter <= 0 {
		t.Fatalf("%s: got allowed %v, retry after %v, error %v; want refused with a wait", what, d.Allowed, d.RetryAfter, err)
	}
}

// left checks how many codes the store holds.
func (f *attemptFixture) left(t *testing.T, what string, want int) {
	t.Helper()
	got, err := f.s.(mfa.RecoveryStore).GetRecoverySet(ctx, f.user)
	if err != nil || len(got.Codes) != want {
		t.Fatalf("%s: %d codes left (error %v), want %d", what, len(got.Codes), err, want)
	}
}

func testAttemptNoSet(t *testing.T, s mfa.RecoveryAttempter) {
	f := &attemptFixture{s: s, user: uniq(t, "user"), clock: clock.NewFake(base)}
	for i := range attemptRule.Limit + 2 {
		if _, _, err := f.try(digest("x")); !errors.Is(err, mfa.ErrNotFound) {
			t.Fatalf("attempt %d with no set: %v, want ErrNotFound", i, err)
		}
	}
	// Nothing was counted: the user's new set gets the whole limit.
	f.set = recoverySet(t, f.user, 10)
	if err := s.(mfa.RecoveryStore).ReplaceRecoverySet(ctx, f.set); err != nil {
		t.Fatal(err)
	}
	for range attemptRule.Limit {
		f.wrong(t, "after attempts with no set")
	}
	f.limited(t, "past the limit", 0)
	if err := s.ResetRecoveryFailures(ctx, uniq(t, "user")); err != nil {
		t.Fatalf("ResetRecoveryFailures of a user with no set: %v", err)
	}
}

func testAttemptLimitAndWindow(t *testing.T, s mfa.RecoveryAttempter) {
	f := newAttemptFixture(t, s)
	n, d, err := f.try(f.set.Codes[0].Digest)
	if err != nil || !d.Allowed || n != 9 {
		t.Fatalf("right code: %d left, allowed %v, error %v; want 9, true, nil", n, d.Allowed, err)
	}
	if _, _, err := f.try(f.set.Codes[0].Digest); !errors.Is(err, mfa.ErrNotFound) {
		t.Fatalf("used code again: %v, want ErrNotFound", err)
	}
	// That reuse was a failure; two more reach the limit. The success
	// took no slot.
	f.wrong(t, "second failure")
	f.clock.Advance(30 * time.Second)
	f.wrong(t, "third failure")
	f.limited(t, "a right code past the limit", 1)
	f.left(t, "after the refusal", 9)
	// The oldest two failures leave the window together; the third stays.
	f.clock.Advance(30 * time.Second)
	if n, d, err := f.try(f.set.Codes[1].Digest); err != nil || !d.Allowed || n != 8 {
		t.Fatalf("right code once the window moved: %d left, allowed %v, error %v", n, d.Allowed, err)
	}
	f.wrong(t, "one failure in the window")
	f.wrong(t, "two failures in the window")
	f.limited(t, "three failures in the window", 2)
	f.left(t, "at the end", 8)
}

func testAttemptCandidates(t *testing.T, s mfa.RecoveryAttempter) {
	f := newAttemptFixture(t, s)
	// A rotation: the newest key's digest does not match, an older one's
	// does. One attempt, one code, no failure.
	n, d, err := f.try(digest(uniq(t, "new key")), f.set.Codes[4].Digest)
	if err != nil || !d.Allowed || n != 9 {
		t.Fatalf("second candidate: %d left, allowed %v, error %v; want 9, true, nil", n, d.Allowed, err)
	}
	if _, _, err := f.try(digest(uniq(t, "a")), digest(uniq(t, "b"))); !errors.Is(err, mfa.ErrNotFound) {
		t.Fatalf("no candidate matches: %v, want ErrNotFound", err)
	}
	// That was one failure, not two: two more are allowed.
	f.wrong(t, "second failure")
	f.wrong(t, "third failure")
	f.limited(t, "past the limit", 0)
	got, err := s.(mfa.RecoveryStore).GetRecoverySet(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]mfa.RecoveryCodeRecord(nil), f.set.Codes[:4]...), f.set.Codes[5:]...)
	sameSet(t, got, mfa.RecoverySet{UserID: f.user, Codes: want, CreatedAt: f.set.CreatedAt, Acknowledgement: f.set.Acknowledgement})
}

func testAttemptKeptAcrossReplace(t *testing.T, s mfa.RecoveryAttempter) {
	f := newAttemptFixture(t, s)
	for range attemptRule.Limit {
		f.wrong(t, "before the limit")
	}
	// A new set does not wipe the failures.
	f.set = recoverySet(t, f.user, 10)
	if err := s.(mfa.RecoveryStore).ReplaceRecoverySet(ctx, f.set); err != nil {
		t.Fatal(err)
	}
	f.limited(t, "after ReplaceRecoverySet", 0)
	if _, created, err := s.(mfa.RecoveryStore).CreateRecoverySet(ctx, recoverySet(t, f.user, 10)); err != nil || created {
		t.Fatalf("CreateRecoverySet over a set: created %v, error %v", created, err)
	}
	f.limited(t, "after CreateRecoverySet", 0)
	if err := s.ResetRecoveryFailures(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	if n, d, err := f.try(f.set.Codes[0].Digest); err != nil || !d.Allowed || n != 9 {
		t.Fatalf("right code after ResetRecoveryFailures: %d left, allowed %v, error %v", n, d.Allowed, err)
	}
}

// testAttemptKeptAcrossDeleteUser: DeleteUser removes the set but not the
// failures (UserStore: a reset must not hand an attacker a fresh budget).
func testAttemptKeptAcrossDeleteUser(t *testing.T, s mfa.RecoveryAttempter) {
	f := newAttemptFixture(t, s)
	for range attemptRule.Limit {
		f.wrong(t, "before the limit")
	}
	if err := s.(mfa.UserStore).DeleteUser(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	if _, err := s.(mfa.RecoveryStore).GetRecoverySet(ctx, f.user); !errors.Is(err, mfa.ErrNotFound) {
		t.Fatalf("GetRecoverySet after DeleteUser: %v, want ErrNotFound", err)
	}
	if _, _, err := f.try(f.set.Codes[0].Digest); !errors.Is(err, mfa.ErrNotFound) {
		t.Fatalf("a code of the deleted set: %v, want ErrNotFound", err)
	}
	f.set = recoverySet(t, f.user, 10)
	if _, created, err := s.(mfa.RecoveryStore).CreateRecoverySet(ctx, f.set); err != nil || !created {
		t.Fatalf("CreateRecoverySet after DeleteUser: created %v, error %v", created, err)
	}
	f.limited(t, "a new set after DeleteUser", 0)
	f.clock.Advance(attemptRule.Window)
	if n, d, err := f.try(f.set.Codes[0].Digest); err != nil || !d.Allowed || n != 9 {
		t.Fatalf("once the window passed: %d left, allowed %v, error %v", n, d.Allowed, err)
	}
}

func testAttemptRefusals(t *testing.T, s mfa.RecoveryAttempter) {
	f := newAttemptFixture(t, s)
	for _, rule := range []ratelimit.Rule{
		{Limit: 3, Window: time.Minute}, // not Sliding
		{Sliding: true, Limit: -1, Window: time.Minute},
		{Sliding: true, Limit: 3},
	} {
		if _, _, err := s.AttemptRecoveryCode(ctx, f.user, [][]byte{f.set.Codes[0].Digest}, rule, f.clock.Now); !errors.Is(err, ratelimit.ErrInvalidRule) {
			t.Fatalf("rule %+v: %v, want ErrInvalidRule", rule, err)
		}
		// The same for a user without a set: the rule is checked first.
		if _, _, err := s.AttemptRecoveryCode(ctx, uniq(t, "user"), [][]byte{f.set.Codes[0].Digest}, rule, f.clock.Now); !errors.Is(err, ratelimit.ErrInvalidRule) {
			t.Fatalf("rule %+v, user without a set: %v, want ErrInvalidRule", rule, err)
		}
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := s.AttemptRecoveryCode(done, f.user, [][]byte{f.set.Codes[0].Digest}, attemptRule, f.clock.Now); err == nil {
		t.Fatal("done context: no error")
	}
	if err := s.ResetRecoveryFailures(done, f.user); err == nil {
		t.Fatal("ResetRecoveryFailures with a done context: no error")
	}
	f.left(t, "after the refusals", 10)
	for range attemptRule.Limit {
		f.wrong(t, "after the refusals") // none of them counted
	}
}

func testAttemptParallelWrong(t *testing.T, s mfa.RecoveryAttempter) {
	f := newAttemptFixture(t, s)
	errs := race.Run(Parallelism, func(int) error {
		_, d, err := f.try(digest(uniq(t, "wrong")))
		if err == nil && !d.Allowed {
			return errRefused
		}
		return err
	})
	evaluated, refused := 0, 0
	for _, err := range errs {
		switch {
		case errors.Is(err, mfa.ErrNotFound):
			evaluated++
		case errors.Is(err, errRefused):
			refused++
		default:
			t.Fatalf("unexpected outcome: %v", err)
		}
	}
	if evaluated != attemptRule.Limit || refused != Parallelism-attemptRule.Limit {
		t.Fatalf("%d racing wrong codes: %d evaluated, %d refused; want %d, %d",
			Parallelism, evaluated, refused, attemptRule.Limit, Parallelism-attemptRule.Limit)
	}
	f.left(t, "after the race", 10)
}

func testAttemptParallelMixed(t *testing.T, s mfa.RecoveryAttempter) {
	f := newAttemptFixture(t, s)
	// Every right code is raced by three goroutines, among wrong ones:
	// each code is used at most once, at most Limit failures are
	// evaluated, and the count left is exactly the codes not used.
	used := make([]int, len(f.set.Codes))
	var mu sync.Mutex
	failures := 0 // evaluated and wrong: a wrong code, or a right one used meanwhile
	errs := race.Run(Parallelism*2, func(i int) error {
		c := i % (len(f.set.Codes) + 2)
		d, err := ratelimit.Decision{}, error(nil)
		if c < len(f.set.Codes) {
			_, d, err = f.try(f.set.Codes[c].Digest)
		} else {
			_, d, err = f.try(digest(uniq(t, "wrong")))
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil && d.Allowed:
			if c >= len(f.set.Codes) {
				return errors.New("a wrong code was accepted")
			}
			used[c]++
		case errors.Is(err, mfa.ErrNotFound) && d.Allowed:
			failures++
		case err != nil || d.Allowed:
			return err
		}
		return nil
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for c, n := range used {
		if n > 1 {
			t.Fatalf("code %d used %d times", c, n)
		}
		total += n
	}
	if failures > attemptRule.Limit {
		t.Fatalf("%d failures evaluated, limit %d", failures, attemptRule.Limit)
	}
	f.left(t, "after the race", len(f.set.Codes)-total)
}

// testAttemptMatchesLog: over a random run of right and wrong codes and
// clock moves (whole microseconds, as every backend keeps them), under
// rules with a cooldown and a lifetime cap too, every decision of the
// store equals ratelimit.Rule.Attempt's on a Log of the same history: the
// store keeps the rule, it does not restate it.
func testAttemptMatchesLog(t *testing.T, s mfa.RecoveryAttempter) {
	rules := []ratelimit.Rule{
		attemptRule,
		{Sliding: true, Limit: 2, Window: 10 * time.Second, Cooldown: time.Second},
		{Sliding: true, Limit: 3, Window: time.Minute, Lifetime: 6},
	}
	for ri, rule := range rules {
		f := newAttemptFixture(t, s)
		f.set = recoverySet(t, f.user, 100)
		if err := s.(mfa.RecoveryStore).ReplaceRecoverySet(ctx, f.set); err != nil {
			t.Fatal(err)
		}
		var model ratelimit.Log
		next := 0 // the next unused code
		seed := uint64(ri)*7919 + 1
		rnd := func(n uint64) uint64 { // xorshift: the run is the same each time
			seed ^= seed << 13
			seed ^= seed >> 7
			seed ^= seed << 17
			return seed % n
		}
		for step := range 120 {
			f.clock.Advance(time.Duration(rnd(20_000_000)) * time.Microsecond)
			right := rnd(3) == 0 && next < len(f.set.Codes)
			candidate := digest(uniq(t, "wrong"))
			if right {
				candidate = f.set.Codes[next].Digest
			}
			want, err := rule.Attempt(&model, f.clock.Now, func() bool { return right })
			if err != nil {
				t.Fatal(err)
			}
			n, got, err := s.AttemptRecoveryCode(ctx, f.user, [][]byte{candidate}, rule, f.clock.Now)
			switch {
			case got.Allowed != want.Allowed || got.RetryAfter != want.RetryAfter:
				t.Fatalf("rule %d step %d (right %v): store %+v, Log %+v", ri, step, right, got, want)
			case !got.Allowed && err != nil:
				t.Fatalf("rule %d step %d: refused with error %v", ri, step, err)
			case got.Allowed && right && (err != nil || n != len(f.set.Codes)-next-1):
				t.Fatalf("rule %d step %d: right code: %d left, error %v; want %d", ri, step, n, err, len(f.set.Codes)-next-1)
			case got.Allowed && !right && !errors.Is(err, mfa.ErrNotFound):
				t.Fatalf("rule %d step %d: wrong code: %v, want ErrNotFound", ri, step, err)
			}
			if got.Allowed && right {
				next++
			}
		}
	}
}

// testAttemptNilClock: a nil now is time.Now.
func testAttemptNilClock(t *testing.T, s mfa.RecoveryAttempter) {
	f := newAttemptFixture(t, s)
	if _, d, err := s.AttemptRecoveryCode(ctx, f.user, [][]byte{digest(uniq(t, "wrong"))}, attemptRule, nil); !d.Allowed || !errors.Is(err, mfa.ErrNotFound) {
		t.Fatalf("wrong code with a nil clock: allowed %v, error %v", d.Allowed, err)
	}
	if n, d, err := s.AttemptRecoveryCode(ctx, f.user, [][]byte{f.set.Codes[0].Digest}, attemptRule, nil); err != nil || !d.Allowed || n != 9 {
		t.Fatalf("right code with a nil clock: %d left, allowed %v, error %v", n, d.Allowed, err)
	}
}
