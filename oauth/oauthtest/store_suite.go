package oauthtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/oauth"
)

// RunStoreTests runs the Store conformance suite against stores made
// by newStore (a fresh, empty store per call). It exercises every method's
// contract, expiry through explicit now values, and the concurrency cases:
// of 32 simultaneous Consume (or RecordCallback, or Create) calls for one
// state exactly one succeeds. Run it under -race.
//
// Times used are whole seconds near the real clock, so backends with
// second precision or real-time TTLs (Redis) pass too.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) oauth.Store) {
	t.Helper()
	base := time.Now().UTC().Truncate(time.Second)
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s oauth.Store, base time.Time)
	}{
		{"CreateGetRoundTrip", testCreateGet},
		{"CreateExisting", testCreateExisting},
		{"CreateReplacesExpired", testCreateReplacesExpired},
		{"GetUnknown", testGetUnknown},
		{"GetExpired", testGetExpired},
		{"RecordCallback", testRecordCallback},
		{"RecordCallbackError", testRecordCallbackError},
		{"RecordCallbackRejections", testRecordCallbackRejections},
		{"Consume", testConsume},
		{"ConsumeRejections", testConsumeRejections},
		{"ConsumeAfterCallback", testConsumeAfterCallback},
		{"StatesIndependent", testIndependent},
		{"ConcurrentConsume", testConcurrentConsume},
		{"ConcurrentRecordCallback", testConcurrentCallback},
		{"ConcurrentCreate", testConcurrentCreate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t), base)
		})
	}
}

var suiteSeq struct {
	mu sync.Mutex
	n  int
}

// newRecord returns a fully populated record with a unique state value, so
// that suites sharing one backend database do not collide.
func newRecord(base time.Time) oauth.State {
	suiteSeq.mu.Lock()
	suiteSeq.n++
	n := suiteSeq.n
	suiteSeq.mu.Unlock()
	return oauth.State{
		State:         fmt.Sprintf("st-%d-%d-abcdefghijklmnop", base.UnixNano(), n),
		Provider:      "github",
		RedirectURL:   "https://api.example.com/providers/github/redirect",
		ReturnURL:     "https://app.example.com/after",
		CodeVerifier:  "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		Nonce:         "n-0S6_WzA2Mj",
		CreatedAt:     base,
		ExpiresAt:     base.Add(10 * time.Minute),
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

// equalState compares records field by field, times with Equal.
func equalState(t *testing.T, got, want oauth.State) {
	t.Helper()
	str := func(name, g, w string) {
		if g != w {
			t.Errorf("%s = %q, want %q", name, g, w)
		}
	}
	tm := func(name string, g, w time.Time) {
		if !g.Equal(w) {
			t.Errorf("%s = %v, want %v", name, g, w)
		}
	}
	str("State", got.State, want.State)
	str("Provider", got.Provider, want.Provider)
	str("RedirectURL", got.RedirectURL, want.RedirectURL)
	str("ReturnURL", got.ReturnURL, want.ReturnURL)
	str("CodeVerifier", got.CodeVerifier, want.CodeVerifier)
	str("CodeChallenge", got.CodeChallenge, want.CodeChallenge)
	str("Nonce", got.Nonce, want.Nonce)
	str("Code", got.Code, want.Code)
	str("Error", got.Error, want.Error)
	str("ErrorDescription", got.ErrorDescription, want.ErrorDescription)
	str("CallbackUser", got.CallbackUser, want.CallbackUser)
	tm("CreatedAt", got.CreatedAt, want.CreatedAt)
	tm("ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	tm("CallbackAt", got.CallbackAt, want.CallbackAt)
	tm("ConsumedAt", got.ConsumedAt, want.ConsumedAt)
}

func mustCreate(t *testing.T, s oauth.Store, rec oauth.State, now time.Time) {
	t.Helper()
	if err := s.Create(ctx(t), rec, now); err != nil {
		t.Fatalf("Create: %v", err)
	}
}

func wantErr(t *testing.T, op string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", op, err, want)
	}
	if !errors.Is(err, oauth.ErrInvalidState) {
		t.Fatalf("%s: err = %v does not wrap oauth.ErrInvalidState", op, err)
	}
}

func testCreateGet(t *testing.T, s oauth.Store, base time.Time) {
	rec := newRecord(base)
	mustCreate(t, s, rec, base)
	got, err := s.Get(ctx(t), rec.State, base.Add(time.Minute))
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	equalState(t, got, rec)

	// A record without the optional fields round-trips with them empty.
	bare := newRecord(base)
	bare.ReturnURL, bare.CodeVerifier, bare.Nonce = "", "", ""
	mustCreate(t, s, bare, base)
	got, err = s.Get(ctx(t), bare.State, base)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	equalState(t, got, bare)
}

func testCreateExisting(t *testing.T, s oauth.Store, base time.Time) {
	rec := newRecord(base)
	mustCreate(t, s, rec, base)
	other := rec
	other.Provider = "google"
	other.CodeVerifier = "another-verifier-another-verifier-another-ve"
	wantErr(t, "Create twice", s.Create(ctx(t), other, base.Add(time.Minute)), oauth.ErrDuplicate)
	got, err := s.Get(ctx(t), rec.State, base.Add(time.Minute))
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	equalState(t, got, rec) // unchanged

	// A consumed, still live record also blocks reuse of its state.
	if _, err := s.Consume(ctx(t), rec.State, base.Add(2*time.Minute)); err != nil {
		t.Fatalf("Consume: %v", err)
	}
	wantErr(t, "Create after Consume", s.Create(ctx(t), other, base.Add(3*time.Minute)), oauth.ErrDuplicate)
}

func testCreateReplacesExpired(t *testing.T, s oauth.Store, base time.Time) {
	rec := newRecord(base)
	mustCreate(t, s, rec, base)
	later := base.Add(11 * time.Minute)
	fresh := rec
	fresh.Provider = "google"
	fresh.CreatedAt = later
	fresh.ExpiresAt = later.Add(10 * time.Minute)
	mustCreate(t, s, fresh, later)
	got, err := s.Get(ctx(t), rec.State, later.Add(time.Minute))
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	equalState(t, got, fresh)
}

func testGetUnknown(t *testing.T, s oauth.Store, base time.Time) {
	_, err := s.Get(ctx(t), "no-such-state-0123456789", base)
	wantErr(t, "Get", err, oauth.ErrNotFound)
}

func testGetExpired(t *testing.T, s oauth.Store, base time.Time) {
	rec := newRecord(base)
	mustCreate(t, s, rec, base)
	if _, err := s.Get(ctx(t), rec.State, rec.ExpiresAt.Add(-time.Second)); err != nil {
		t.Fatalf("Get just before expiry: %v", err)
	}
	for _, now := range []time.Time{rec.ExpiresAt, rec.ExpiresAt.Add(time.Second), rec.ExpiresAt.Add(30 * time.Minute)} {
		_, err := s.Get(ctx(t), rec.State, now)
		wantErr(t, "Get at "+now.Sub(base).String(), err, oauth.ErrStateExpired)
	}
}

func testRecordCallback(t *testing.T, s oauth.Store, base time.Time) {
	rec := newRecord(base)
	mustCreate(t, s, rec, base)
	at := base.Add(time.Minute)
	cb := oauth.Callback{Code: "SplxlOBeZQQYbYS6WxSbIA", User: `{"name":{"firstName":"Ada","lastName":"Lovelace"}}`}
	got, err := s.RecordCallback(ctx(t), rec.State, cb, at)
	if err != nil {
		t.Fatalf("RecordCallback: %v", err)
	}
	want := rec
	want.CallbackAt, want.Code, want.CallbackUser = at, cb.Code, cb.User
	equalState(t, got, want)
	got, err = s.Get(ctx(t), rec.State, at)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	equalState(t, got, want)

	// A second callback is refused and changes nothing.
	_, err = s.RecordCallback(ctx(t), rec.State, oauth.Callback{Code: "other"}, at.Add(time.Second))
	wantErr(t, "second RecordCallback", err, oauth.ErrCallbackRecorded)
	got, _ = s.Get(ctx(t), rec.State, at)
	equalState(t, got, want)
}

func testRecordCallbackError(t *testing.T, s oauth.Store, base time.Time) {
	rec := newRecord(base)
	mustCreate(t, s, rec, base)
	at := base.Add(time.Minute)
	cb := oauth.Callback{Error: "access_denied", ErrorDescription: "The user denied the request"}
	got, err := s.RecordCallback(ctx(t), rec.State, cb, at)
	if err != nil {
		t.Fatalf("RecordCallback: %v", err)
	}
	want := rec
	want.CallbackAt, want.Error, want.ErrorDescription = at, cb.Error, cb.ErrorDescription
	equalState(t, got, want)
}

func testRecordCallbackRejections(t *testing.T, s oauth.Store, base time.Time) {
	_, err := s.RecordCallback(ctx(t), "no-such-state-0123456789", oauth.Callback{Code: "c"}, base)
	wantErr(t, "unknown", err, oauth.ErrNotFound)

	expired := newRecord(base)
	mustCreate(t, s, expired, base)
	_, err = s.RecordCallback(ctx(t), expired.State, oauth.Callback{Code: "c"}, expired.ExpiresAt)
	wantErr(t, "expired", err, oauth.ErrStateExpired)
	got, _ := s.Get(ctx(t), expired.State, base)
	equalState(t, got, expired)

	used := newRecord(base)
	mustCreate(t, s, used, base)
	consumed, err := s.Consume(ctx(t), used.State, base.Add(time.Second))
	if err != nil {
		t.Fatalf("Consume: %v", err)
	}
	_, err = s.RecordCallback(ctx(t), used.State, oauth.Callback{Code: "c"}, base.Add(2*time.Second))
	wantErr(t, "consumed", err, oauth.ErrStateUsed)
	got, _ = s.Get(ctx(t), used.State, base.Add(3*time.Second))
	equalState(t, got, consumed)
}

func testConsume(t *testing.T, s oauth.Store, base time.Time) {
	rec := newRecord(base)
	mustCreate(t, s, rec, base)
	at := base.Add(2 * time.Minute)
	got, err := s.Consume(ctx(t), rec.State, at)
	if err != nil {
		t.Fatalf("Consume: %v", err)
	}
	want := rec
	want.ConsumedAt = at
	equalState(t, got, want)
	got, err = s.Get(ctx(t), rec.State, at.Add(time.Second))
	if err != nil {
		t.Fatalf("Get after Consume: %v", err)
	}
	equalState(t, got, want)
	_, err = s.Consume(ctx(t), rec.State, at.Add(time.Second))
	wantErr(t, "second Consume", err, oauth.ErrStateUsed)
	got, _ = s.Get(ctx(t), rec.State, at.Add(time.Second))
	equalState(t, got, want) // the failed attempt changed nothing
}

func testConsumeRejections(t *testing.T, s oauth.Store, base time.Time) {
	_, err := s.Consume(ctx(t), "no-such-state-0123456789", base)
	wantErr(t, "unknown", err, oauth.ErrNotFound)

	rec := newRecord(base)
	mustCreate(t, s, rec, base)
	_, err = s.Consume(ctx(t), rec.State, rec.ExpiresAt)
	wantErr(t, "at expiry", err, oauth.ErrStateExpired)
	_, err = s.Consume(ctx(t), rec.State, rec.ExpiresAt.Add(5*time.Minute))
	wantErr(t, "after expiry", err, oauth.ErrStateExpired)
	got, _ := s.Get(ctx(t), rec.State, base)
	equalState(t, got, rec) // not marked consumed
}

func testConsumeAfterCallback(t *testing.T, s oauth.Store, base time.Time) {
	rec := newRecord(base)
	mustCreate(t, s, rec, base)
	cbAt, useAt := base.Add(time.Minute), base.Add(90*time.Second)
	if _, err := s.RecordCallback(ctx(t), rec.State, oauth.Callback{Code: "the-code"}, cbAt); err != nil {
		t.Fatalf("RecordCallback: %v", err)
	}
	got, err := s.Consume(ctx(t), rec.State, useAt)
	if err != nil {
		t.Fatalf("Consume: %v", err)
	}
	want := rec
	want.CallbackAt, want.Code, want.ConsumedAt = cbAt, "the-code", useAt
	equalState(t, got, want)
}

func testIndependent(t *testing.T, s oauth.Store, base time.Time) {
	a, b := newRecord(base), newRecord(base)
	b.Provider = "google"
	mustCreate(t, s, a, base)
	mustCreate(t, s, b, base)
	if _, err := s.Consume(ctx(t), a.State, base.Add(time.Second)); err != nil {
		t.Fatalf("Consume a: %v", err)
	}
	got, err := s.Get(ctx(t), b.State, base.Add(time.Second))
	if err != nil {
		t.Fatalf("Get b: %v", err)
	}
	equalState(t, got, b)
	if _, err := s.Consume(ctx(t), b.State, base.Add(time.Second)); err != nil {
		t.Fatalf("Consume b: %v", err)
	}
}

func exactlyOne(t *testing.T, errs []error, loser error) {
	t.Helper()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, loser):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d calls succeeded, want exactly 1", wins, len(errs))
	}
}

// Parallelism is how many goroutines the concurrency cases use.
const Parallelism = 32

func testConcurrentConsume(t *testing.T, s oauth.Store, base time.Time) {
	c := t.Context()
	rec := newRecord(base)
	mustCreate(t, s, rec, base)
	errs := race.Run(Parallelism, func(int) error {
		_, err := s.Consume(c, rec.State, base.Add(time.Minute))
		return err
	})
	exactlyOne(t, errs, oauth.ErrStateUsed)
}

func testConcurrentCallback(t *testing.T, s oauth.Store, base time.Time) {
	c := t.Context()
	rec := newRecord(base)
	mustCreate(t, s, rec, base)
	var mu sync.Mutex
	var codes []string
	n := 0
	errs := race.Run(Parallelism, func(int) error {
		mu.Lock()
		n++
		code := fmt.Sprintf("code-%d", n)
		mu.Unlock()
		r, err := s.RecordCallback(c, rec.State, oauth.Callback{Code: code}, base.Add(time.Minute))
		if err == nil {
			mu.Lock()
			codes = append(codes, r.Code)
			mu.Unlock()
		}
		return err
	})
	exactlyOne(t, errs, oauth.ErrCallbackRecorded)
	got, err := s.Get(ctx(t), rec.State, base.Add(time.Minute))
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if len(codes) != 1 || got.Code != codes[0] {
		t.Fatalf("stored code %q, winner saw %v", got.Code, codes)
	}
}

func testConcurrentCreate(t *testing.T, s oauth.Store, base time.Time) {
	c := t.Context()
	rec := newRecord(base)
	errs := race.Run(Parallelism, func(int) error {
		return s.Create(c, rec, base)
	})
	exactlyOne(t, errs, oauth.ErrDuplicate)
}
