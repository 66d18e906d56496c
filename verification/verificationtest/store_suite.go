package verificationtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/verification"
)

// Fixed values used by the suite. Times are whole seconds in UTC so that any
// backend (microsecond or millisecond precision) stores them exactly.
var (
	base        = time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	ttl         = 10 * time.Minute
	maxAttempts = 5
	limits      = verification.SendLimits{Max: 5, Window: 10 * time.Minute, Cooldown: 30 * time.Second}
)

// hashOf stands in for the service's keyed hash: the suite only needs
// distinct 32-byte values.
func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

var idSeq struct {
	sync.Mutex
	n int
}

// newID returns a fresh UUID-shaped id, distinct across the whole run so a
// shared backend (one database for all subtests) never collides.
func newID() string {
	idSeq.Lock()
	defer idSeq.Unlock()
	idSeq.n++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", idSeq.n)
}

func newRecord() verification.Record {
	id := newID()
	return verification.Record{
		ID:               id,
		Channel:          verification.ChannelSMS,
		Destination:      "+19172113333",
		PhoneCountryCode: "1",
		PhoneNational:    "9172113333",
		PhoneRegion:      "US",
		CodeHash:         hashOf(id + "123456"),
		Sends:            1,
		CreatedAt:        base,
		SentAt:           base,
		ExpiresAt:        base.Add(ttl),
		PurgeAt:          base.Add(2 * ttl),
	}
}

func equalRecords(a, b verification.Record) bool {
	return a.ID == b.ID && a.Channel == b.Channel && a.Destination == b.Destination &&
		a.PhoneCountryCode == b.PhoneCountryCode && a.PhoneNational == b.PhoneNational &&
		a.PhoneRegion == b.PhoneRegion && bytes.Equal(a.CodeHash, b.CodeHash) &&
		a.Attempts == b.Attempts && a.Sends == b.Sends && a.CreatedAt.Equal(b.CreatedAt) &&
		a.SentAt.Equal(b.SentAt) && a.ExpiresAt.Equal(b.ExpiresAt) && a.PurgeAt.Equal(b.PurgeAt) &&
		a.UsedAt.Equal(b.UsedAt)
}

// RunStoreTests runs the conformance suite against stores made by newStore.
// newStore is called once per subtest; it may return a fresh store or the
// same shared one (ids and destinations never repeat within a run). The
// concurrency subtests run many goroutines at once and are meant to be run
// with -race.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) verification.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s verification.Store)
	}{
		{"CreateGet", testCreateGet},
		{"CreateExisting", testCreateExisting},
		{"GetUnknown", testGetUnknown},
		{"RecordsAreCopies", testRecordsAreCopies},
		{"AttemptRightCode", testAttemptRightCode},
		{"AttemptWrongCode", testAttemptWrongCode},
		{"AttemptAnyCandidate", testAttemptAnyCandidate},
		{"AttemptNoCandidates", testAttemptNoCandidates},
		{"AttemptUnknown", testAttemptUnknown},
		{"UsedNeverWorksAgain", testUsedNeverWorksAgain},
		{"ExhaustedRefusesRightCode", testExhausted},
		{"ExpiryByNow", testExpiry},
		{"ReplaceCodeKeepsAttempts", testReplaceCode},
		{"ReplaceCodeRefusals", testReplaceCodeRefusals},
		{"ReplaceCodeAfterExpiry", testReplaceCodeAfterExpiry},
		{"RecordSendCooldownDoubles", testRecordSendCooldown},
		{"RecordSendWindowSlides", testRecordSendWindow},
		{"RecordSendPerDestination", testRecordSendPerDestination},
		{"ConcurrentWrongCodes", testConcurrentWrongCodes},
		{"ConcurrentRightCode", testConcurrentRightCode},
		{"ConcurrentResendAndGuess", testConcurrentResendAndGuess},
		{"ConcurrentSends", testConcurrentSends},
		{"Service/MailboxFlood", testMailboxFlood},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func mustCreate(t *testing.T, s verification.Store, r verification.Record) {
	t.Helper()
	if err := s.Create(context.Background(), r); err != nil {
		t.Fatalf("Create: %v", err)
	}
}

func mustGet(t *testing.T, s verification.Store, id string) verification.Record {
	t.Helper()
	r, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return r
}

func testCreateGet(t *testing.T, s verification.Store) {
	r := newRecord()
	mustCreate(t, s, r)
	if got := mustGet(t, s, r.ID); !equalRecords(got, r) {
		t.Fatalf("Get = %+v, want %+v", got, r)
	}
	e := newRecord()
	e.Channel, e.Destination = verification.ChannelEmail, fmt.Sprintf("user-%s@example.com", e.ID)
	e.PhoneCountryCode, e.PhoneNational, e.PhoneRegion = "", "", ""
	mustCreate(t, s, e)
	if got := mustGet(t, s, e.ID); !equalRecords(got, e) {
		t.Fatalf("Get = %+v, want %+v", got, e)
	}
}

func testCreateExisting(t *testing.T, s verification.Store) {
	r := newRecord()
	mustCreate(t, s, r)
	r2 := r
	r2.CodeHash = hashOf("other")
	if err := s.Create(context.Background(), r2); !errors.Is(err, verification.ErrDuplicate) {
		t.Fatalf("second Create = %v, want ErrDuplicate", err)
	}
	if got := mustGet(t, s, r.ID); !bytes.Equal(got.CodeHash, r.CodeHash) {
		t.Fatal("a refused Create overwrote the record")
	}
}

func testGetUnknown(t *testing.T, s verification.Store) {
	if _, err := s.Get(context.Background(), newID()); !errors.Is(err, verification.ErrNotFound) {
		t.Fatalf("Get(unknown) = %v, want ErrNotFound", err)
	}
}

func testRecordsAreCopies(t *testing.T, s verification.Store) {
	r := newRecord()
	want := append([]byte(nil), r.CodeHash...)
	mustCreate(t, s, r)
	r.CodeHash[0] ^= 0xff // the caller's slice after Create
	got := mustGet(t, s, r.ID)
	got.CodeHash[1] ^= 0xff // a returned slice
	if again := mustGet(t, s, r.ID); !bytes.Equal(again.CodeHash, want) {
		t.Fatal("the store shares CodeHash slices with its callers")
	}
}

func testAttemptRightCode(t *testing.T, s verification.Store) {
	ctx := context.Background()
	r := newRecord()
	mustCreate(t, s, r)
	now := base.Add(time.Minute)
	got, err := s.Attempt(ctx, r.ID, [][]byte{r.CodeHash}, now, maxAttempts)
	if err != nil {
		t.Fatalf("Attempt(right) = %v", err)
	}
	if !got.UsedAt.Equal(now) || got.Attempts != 0 || got.Destination != r.Destination {
		t.Fatalf("Attempt returned %+v", got)
	}
	if st := mustGet(t, s, r.ID); !st.UsedAt.Equal(now) {
		t.Fatalf("stored UsedAt = %v, want %v", st.UsedAt, now)
	}
}

func testAttemptWrongCode(t *testing.T, s verification.Store) {
	ctx := context.Background()
	r := newRecord()
	mustCreate(t, s, r)
	for i := 1; i <= 2; i++ {
		got, err := s.Attempt(ctx, r.ID, [][]byte{hashOf("wrong")}, base.Add(time.Minute), maxAttempts)
		if !errors.Is(err, verification.ErrWrongCode) {
			t.Fatalf("Attempt(wrong) = %v, want ErrWrongCode", err)
		}
		if got.Attempts != i {
			t.Fatalf("returned Attempts = %d, want %d", got.Attempts, i)
		}
	}
	st := mustGet(t, s, r.ID)
	if st.Attempts != 2 || !st.UsedAt.IsZero() {
		t.Fatalf("stored %+v, want 2 attempts and not used", st)
	}
	if _, err := s.Attempt(ctx, r.ID, [][]byte{r.CodeHash}, base.Add(time.Minute), maxAttempts); err != nil {
		t.Fatalf("right code after 2 failures = %v", err)
	}
}

func testAttemptAnyCandidate(t *testing.T, s verification.Store) {
	r := newRecord()
	mustCreate(t, s, r)
	// As after a key rotation: the newest key's hash first, then older ones.
	cands := [][]byte{hashOf("new key"), r.CodeHash, hashOf("oldest key")}
	if _, err := s.Attempt(context.Background(), r.ID, cands, base.Add(time.Minute), maxAttempts); err != nil {
		t.Fatalf("Attempt with the match second of three = %v", err)
	}
}

func testAttemptNoCandidates(t *testing.T, s verification.Store) {
	r := newRecord()
	mustCreate(t, s, r)
	if _, err := s.Attempt(context.Background(), r.ID, nil, base.Add(time.Minute), maxAttempts); !errors.Is(err, verification.ErrWrongCode) {
		t.Fatalf("Attempt(no candidates) = %v, want ErrWrongCode", err)
	}
	if _, err := s.Attempt(context.Background(), r.ID, [][]byte{{}}, base.Add(time.Minute), maxAttempts); !errors.Is(err, verification.ErrWrongCode) {
		t.Fatalf("Attempt(empty candidate) = %v, want ErrWrongCode", err)
	}
}

func testAttemptUnknown(t *testing.T, s verification.Store) {
	if _, err := s.Attempt(context.Background(), newID(), [][]byte{hashOf("x")}, base, maxAttempts); !errors.Is(err, verification.ErrNotFound) {
		t.Fatalf("Attempt(unknown) = %v, want ErrNotFound", err)
	}
}

func testUsedNeverWorksAgain(t *testing.T, s verification.Store) {
	ctx := context.Background()
	r := newRecord()
	mustCreate(t, s, r)
	used := base.Add(time.Minute)
	if _, err := s.Attempt(ctx, r.ID, [][]byte{r.CodeHash}, used, maxAttempts); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]byte{r.CodeHash, hashOf("wrong")} {
		if _, err := s.Attempt(ctx, r.ID, [][]byte{c}, base.Add(2*time.Minute), maxAttempts); !errors.Is(err, verification.ErrAlreadyUsed) {
			t.Fatalf("Attempt after use = %v, want ErrAlreadyUsed", err)
		}
	}
	// Past expiry, a used record still says used, not expired.
	if _, err := s.Attempt(ctx, r.ID, [][]byte{r.CodeHash}, r.ExpiresAt.Add(time.Second), maxAttempts); !errors.Is(err, verification.ErrAlreadyUsed) {
		t.Fatalf("Attempt after use and expiry = %v, want ErrAlreadyUsed", err)
	}
	st := mustGet(t, s, r.ID)
	if st.Attempts != 0 || !st.UsedAt.Equal(used) {
		t.Fatalf("refused attempts changed the record: %+v", st)
	}
}

func testExhausted(t *testing.T, s verification.Store) {
	ctx := context.Background()
	r := newRecord()
	mustCreate(t, s, r)
	now := base.Add(time.Minute)
	for i := 0; i < maxAttempts; i++ {
		if _, err := s.Attempt(ctx, r.ID, [][]byte{hashOf(fmt.Sprint(i))}, now, maxAttempts); !errors.Is(err, verification.ErrWrongCode) {
			t.Fatalf("failure %d = %v, want ErrWrongCode", i+1, err)
		}
	}
	for _, c := range [][]byte{r.CodeHash, hashOf("wrong")} {
		if _, err := s.Attempt(ctx, r.ID, [][]byte{c}, now, maxAttempts); !errors.Is(err, verification.ErrTooManyAttempts) {
			t.Fatalf("attempt after %d failures = %v, want ErrTooManyAttempts", maxAttempts, err)
		}
	}
	if st := mustGet(t, s, r.ID); st.Attempts != maxAttempts || !st.UsedAt.IsZero() {
		t.Fatalf("stored %+v, want exactly %d attempts, unused", st, maxAttempts)
	}
}

func testExpiry(t *testing.T, s verification.Store) {
	ctx := context.Background()
	r := newRecord()
	mustCreate(t, s, r)
	for _, now := range []time.Time{r.ExpiresAt, r.ExpiresAt.Add(time.Second), r.PurgeAt.Add(-time.Second)} {
		_, err := s.Attempt(ctx, r.ID, [][]byte{r.CodeHash}, now, maxAttempts)
		if !errors.Is(err, verification.ErrExpired) {
			t.Fatalf("Attempt at %v (expires %v) = %v, want ErrExpired", now, r.ExpiresAt, err)
		}
		if _, err := s.Attempt(ctx, r.ID, [][]byte{hashOf("wrong")}, now, maxAttempts); !errors.Is(err, verification.ErrExpired) {
			t.Fatalf("wrong Attempt at %v = %v, want ErrExpired", now, err)
		}
	}
	if st := mustGet(t, s, r.ID); st.Attempts != 0 || !st.UsedAt.IsZero() {
		t.Fatalf("expired attempts changed the record: %+v", st)
	}
	// One second before expiry the same code works: the store decides by
	// the now it is given, not by its own clock.
	r2 := newRecord()
	mustCreate(t, s, r2)
	if _, err := s.Attempt(ctx, r2.ID, [][]byte{r2.CodeHash}, r2.ExpiresAt.Add(-time.Second), maxAttempts); err != nil {
		t.Fatalf("Attempt just before expiry = %v", err)
	}
}

func testReplaceCode(t *testing.T, s verification.Store) {
	ctx := context.Background()
	r := newRecord()
	mustCreate(t, s, r)
	now := base.Add(time.Minute)
	for i := 0; i < 3; i++ {
		if _, err := s.Attempt(ctx, r.ID, [][]byte{hashOf("wrong")}, now, maxAttempts); !errors.Is(err, verification.ErrWrongCode) {
			t.Fatal(err)
		}
	}
	newHash := hashOf(r.ID + "654321")
	at := base.Add(2 * time.Minute)
	got, err := s.ReplaceCode(ctx, r.ID, newHash, at, at.Add(ttl), at.Add(2*ttl), maxAttempts)
	if err != nil {
		t.Fatalf("ReplaceCode = %v", err)
	}
	want := r
	want.CodeHash, want.Attempts, want.Sends = newHash, 3, 2
	want.SentAt, want.ExpiresAt, want.PurgeAt = at, at.Add(ttl), at.Add(2*ttl)
	if !equalRecords(got, want) {
		t.Fatalf("ReplaceCode returned %+v, want %+v", got, want)
	}
	if st := mustGet(t, s, r.ID); !equalRecords(st, want) {
		t.Fatalf("stored %+v, want %+v", st, want)
	}
	// The old code stops working (and costs an attempt: it is now wrong).
	if _, err := s.Attempt(ctx, r.ID, [][]byte{r.CodeHash}, at, maxAttempts); !errors.Is(err, verification.ErrWrongCode) {
		t.Fatalf("old code after resend = %v, want ErrWrongCode", err)
	}
	// The counter was kept: 4 failures so far, one left.
	if _, err := s.Attempt(ctx, r.ID, [][]byte{hashOf("wrong")}, at, maxAttempts); !errors.Is(err, verification.ErrWrongCode) {
		t.Fatal(err)
	}
	if _, err := s.Attempt(ctx, r.ID, [][]byte{newHash}, at, maxAttempts); !errors.Is(err, verification.ErrTooManyAttempts) {
		t.Fatalf("new code after 5 failures across a resend = %v, want ErrTooManyAttempts", err)
	}

	// And on a fresh record the new code works.
	r2 := newRecord()
	mustCreate(t, s, r2)
	h2 := hashOf(r2.ID + "000000")
	if _, err := s.ReplaceCode(ctx, r2.ID, h2, at, at.Add(ttl), at.Add(2*ttl), maxAttempts); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Attempt(ctx, r2.ID, [][]byte{h2}, at, maxAttempts); err != nil {
		t.Fatalf("new code after resend = %v", err)
	}
}

func testReplaceCodeRefusals(t *testing.T, s verification.Store) {
	ctx := context.Background()
	at := base.Add(time.Minute)
	if _, err := s.ReplaceCode(ctx, newID(), hashOf("x"), at, at.Add(ttl), at.Add(2*ttl), maxAttempts); !errors.Is(err, verification.ErrNotFound) {
		t.Fatalf("ReplaceCode(unknown) = %v, want ErrNotFound", err)
	}

	used := newRecord()
	mustCreate(t, s, used)
	if _, err := s.Attempt(ctx, used.ID, [][]byte{used.CodeHash}, at, maxAttempts); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplaceCode(ctx, used.ID, hashOf("x"), at, at.Add(ttl), at.Add(2*ttl), maxAttempts); !errors.Is(err, verification.ErrAlreadyUsed) {
		t.Fatalf("ReplaceCode(used) = %v, want ErrAlreadyUsed", err)
	}
	if st := mustGet(t, s, used.ID); !bytes.Equal(st.CodeHash, used.CodeHash) || st.Sends != 1 {
		t.Fatalf("refused ReplaceCode changed the record: %+v", st)
	}

	ex := newRecord()
	mustCreate(t, s, ex)
	for i := 0; i < maxAttempts; i++ {
		_, _ = s.Attempt(ctx, ex.ID, [][]byte{hashOf("wrong")}, at, maxAttempts)
	}
	if _, err := s.ReplaceCode(ctx, ex.ID, hashOf("x"), at, at.Add(ttl), at.Add(2*ttl), maxAttempts); !errors.Is(err, verification.ErrTooManyAttempts) {
		t.Fatalf("ReplaceCode(exhausted) = %v, want ErrTooManyAttempts", err)
	}
	if st := mustGet(t, s, ex.ID); !bytes.Equal(st.CodeHash, ex.CodeHash) || st.Sends != 1 || st.Attempts != maxAttempts {
		t.Fatalf("refused ReplaceCode changed the record: %+v", st)
	}
}

func testReplaceCodeAfterExpiry(t *testing.T, s verification.Store) {
	ctx := context.Background()
	r := newRecord()
	mustCreate(t, s, r)
	at := r.ExpiresAt.Add(time.Minute)
	if _, err := s.Attempt(ctx, r.ID, [][]byte{r.CodeHash}, at, maxAttempts); !errors.Is(err, verification.ErrExpired) {
		t.Fatal(err)
	}
	h := hashOf(r.ID + "111111")
	if _, err := s.ReplaceCode(ctx, r.ID, h, at, at.Add(ttl), at.Add(2*ttl), maxAttempts); err != nil {
		t.Fatalf("ReplaceCode(expired) = %v; a resend may revive an expired verification", err)
	}
	if _, err := s.Attempt(ctx, r.ID, [][]byte{h}, at.Add(time.Minute), maxAttempts); err != nil {
		t.Fatalf("new code after an expired one = %v", err)
	}
}

var destSeq struct {
	sync.Mutex
	n int
}

func newDestination() string {
	destSeq.Lock()
	defer destSeq.Unlock()
	destSeq.n++
	return fmt.Sprintf("sms:+1917211%04d", destSeq.n)
}

func recordSend(t *testing.T, s verification.Store, dest string, now time.Time) time.Duration {
	t.Helper()
	err := s.RecordSend(context.Background(), dest, now, limits)
	if err == nil {
		return 0
	}
	var rl *verification.RateLimitError
	if !errors.As(err, &rl) || !errors.Is(err, verification.ErrRateLimited) {
		t.Fatalf("RecordSend = %v (%T), want nil or *RateLimitError", err, err)
	}
	if rl.RetryAfter <= 0 {
		t.Fatalf("RetryAfter = %v, want > 0", rl.RetryAfter)
	}
	return rl.RetryAfter
}

func testRecordSendCooldown(t *testing.T, s verification.Store) {
	d := newDestination()
	steps := []struct {
		at   time.Duration // since base
		wait time.Duration // 0 = allowed
	}{
		{0, 0},                              // 1st send
		{1 * time.Second, 29 * time.Second}, // cooldown 30 s
		{29 * time.Second, 1 * time.Second},
		{30 * time.Second, 0}, // 2nd send; next cooldown 60 s
		{60 * time.Second, 30 * time.Second},
		{89 * time.Second, 1 * time.Second},
		{90 * time.Second, 0}, // 3rd; next 120 s
		{200 * time.Second, 10 * time.Second},
		{210 * time.Second, 0}, // 4th; next 240 s
		{449 * time.Second, 1 * time.Second},
		{450 * time.Second, 0}, // 5th; the window holds 5 sends
		// The 6th needs fewer than 5 sends in the window and the cooldown
		// for the count left in it: at 630 s the sends at 0 and 30 s have
		// left, 3 remain, and 450 + 120 ≤ 630.
		{451 * time.Second, 179 * time.Second},
		{629 * time.Second, 1 * time.Second},
		{630 * time.Second, 0}, // window now 90, 210, 450, 630
		// At 690 s the send at 90 leaves: 3 remain, cooldown 120 s after 630.
		{631 * time.Second, 119 * time.Second},
		{749 * time.Second, 1 * time.Second},
		{750 * time.Second, 0},
	}
	for _, st := range steps {
		got := recordSend(t, s, d, base.Add(st.at))
		if got != st.wait {
			t.Fatalf("RecordSend at +%v: wait %v, want %v", st.at, got, st.wait)
		}
	}
}

func testRecordSendWindow(t *testing.T, s verification.Store) {
	// With no cooldown, only the count matters: 5 sends, then the 6th waits
	// until the oldest is more than Window old.
	l := verification.SendLimits{Max: 5, Window: 10 * time.Minute}
	d := newDestination()
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := s.RecordSend(ctx, d, base.Add(time.Duration(i)*time.Minute), l); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
	}
	err := s.RecordSend(ctx, d, base.Add(5*time.Minute), l)
	var rl *verification.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 5*time.Minute {
		t.Fatalf("6th send = %v, want RetryAfter 5m", err)
	}
	// Refused sends do not count: at exactly base+10m the first send has
	// left the window (t > now − Window), so one send is allowed …
	if err := s.RecordSend(ctx, d, base.Add(10*time.Minute), l); err != nil {
		t.Fatalf("send after the window slid: %v", err)
	}
	// … and then the next waits for the second (at +1m) to leave.
	err = s.RecordSend(ctx, d, base.Add(10*time.Minute), l)
	if !errors.As(err, &rl) || rl.RetryAfter != time.Minute {
		t.Fatalf("send = %v, want RetryAfter 1m", err)
	}
	// Long after, the history is empty again.
	for i := 0; i < 5; i++ {
		if err := s.RecordSend(ctx, d, base.Add(time.Hour+time.Duration(i)*time.Second), l); err != nil {
			t.Fatalf("send %d an hour later: %v", i+1, err)
		}
	}
}

func testRecordSendPerDestination(t *testing.T, s verification.Store) {
	a, b := newDestination(), newDestination()
	if w := recordSend(t, s, a, base); w != 0 {
		t.Fatalf("first send to a: wait %v", w)
	}
	if w := recordSend(t, s, b, base); w != 0 {
		t.Fatalf("first send to b refused (%v): limits must be per destination", w)
	}
	if w := recordSend(t, s, a, base.Add(time.Second)); w == 0 {
		t.Fatal("second send to a within the cooldown was allowed")
	}
}

func testConcurrentWrongCodes(t *testing.T, s verification.Store) {
	ctx := context.Background()
	r := newRecord()
	mustCreate(t, s, r)
	const n = 64
	errs := race.Run(n, func(i int) error {
		_, err := s.Attempt(ctx, r.ID, [][]byte{hashOf(fmt.Sprintf("wrong-%d", i))}, base.Add(time.Minute), maxAttempts)
		return err
	})
	wrong, many := 0, 0
	for _, err := range errs {
		switch {
		case errors.Is(err, verification.ErrWrongCode):
			wrong++
		case errors.Is(err, verification.ErrTooManyAttempts):
			many++
		default:
			t.Fatalf("unexpected result %v", err)
		}
	}
	if wrong != maxAttempts || many != n-maxAttempts {
		t.Fatalf("%d goroutines: %d evaluated, %d refused; want %d evaluated", n, wrong, many, maxAttempts)
	}
	if st := mustGet(t, s, r.ID); st.Attempts != maxAttempts {
		t.Fatalf("Attempts = %d, want %d", st.Attempts, maxAttempts)
	}
	if _, err := s.Attempt(ctx, r.ID, [][]byte{r.CodeHash}, base.Add(time.Minute), maxAttempts); !errors.Is(err, verification.ErrTooManyAttempts) {
		t.Fatalf("right code after the storm = %v, want ErrTooManyAttempts", err)
	}
}

func testConcurrentRightCode(t *testing.T, s verification.Store) {
	ctx := context.Background()
	r := newRecord()
	mustCreate(t, s, r)
	const n = 32
	errs := race.Run(n, func(int) error {
		_, err := s.Attempt(ctx, r.ID, [][]byte{r.CodeHash}, base.Add(time.Minute), maxAttempts)
		return err
	})
	ok, used := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, verification.ErrAlreadyUsed):
			used++
		default:
			t.Fatalf("unexpected result %v", err)
		}
	}
	if ok != 1 || used != n-1 {
		t.Fatalf("%d goroutines with the right code: %d succeeded, want exactly 1", n, ok)
	}
}

func testConcurrentResendAndGuess(t *testing.T, s verification.Store) {
	// Resends racing with wrong guesses: every evaluated guess is counted
	// exactly once and never more than maxAttempts are evaluated.
	ctx := context.Background()
	r := newRecord()
	mustCreate(t, s, r)
	const n = 48
	at := base.Add(time.Minute)
	resend := func(i int) bool { return i%3 == 0 }
	errs := race.Run(n, func(i int) error {
		if resend(i) {
			_, err := s.ReplaceCode(ctx, r.ID, hashOf(fmt.Sprintf("code-%d", i)), at, at.Add(ttl), at.Add(2*ttl), maxAttempts)
			return err
		}
		_, err := s.Attempt(ctx, r.ID, [][]byte{hashOf(fmt.Sprintf("guess-%d", i))}, at, maxAttempts)
		return err
	})
	wrong := 0
	for i, err := range errs {
		switch {
		case resend(i):
			if err != nil && !errors.Is(err, verification.ErrTooManyAttempts) {
				t.Errorf("ReplaceCode = %v", err)
			}
		case errors.Is(err, verification.ErrWrongCode):
			wrong++
		case errors.Is(err, verification.ErrTooManyAttempts):
		default:
			t.Errorf("Attempt = %v", err)
		}
	}
	st := mustGet(t, s, r.ID)
	if wrong != maxAttempts || st.Attempts != maxAttempts {
		t.Fatalf("evaluated %d guesses, stored Attempts %d; want %d and %d", wrong, st.Attempts, maxAttempts, maxAttempts)
	}
}

func testConcurrentSends(t *testing.T, s verification.Store) {
	d := newDestination()
	const n = 32
	errs := race.Run(n, func(int) error {
		return s.RecordSend(context.Background(), d, base, limits)
	})
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, verification.ErrRateLimited) {
			t.Fatalf("RecordSend = %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent sends to one destination: %d allowed, want exactly 1", n, ok)
	}
}
