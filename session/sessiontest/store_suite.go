package sessiontest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/session"
)

// Parallelism is the number of goroutines of the concurrency cases.
const Parallelism = 32

// RunStoreTests runs the conformance suite against stores made by newStore.
// newStore is called once per subtest; it may return the same backend each
// time (the suite uses fresh random ids) and should register its own
// cleanup with t.Cleanup.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) session.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s session.Store)
	}{
		{"CreateGet", testCreateGet},
		{"CreateDuplicate", testCreateDuplicate},
		{"GetUnknown", testGetUnknown},
		{"Revoke", testRevoke},
		{"RevokeUnknown", testRevokeUnknown},
		{"RevokeAllForUser", testRevokeAllForUser},
		{"RevokeAllThenCreate", testRevokeAllThenCreate},
		{"ConsumeJTI", testConsumeJTI},
		{"ConsumeJTIConcurrent", testConsumeJTIConcurrent},
		{"ElevatedSingleUseConcurrent", testElevatedSingleUseConcurrent},
		{"CreateConcurrent", testCreateConcurrent},
		{"RevokeConcurrent", testRevokeConcurrent},
		{"CanceledContext", testCanceledContext},
		{"RotateAdvance", testRotateAdvance},
		{"RotateGrace", testRotateGrace},
		{"RotateReuse", testRotateReuse},
		{"RotateFutureGeneration", testRotateFuture},
		{"RotateUnknown", testRotateUnknown},
		{"RotateRevokedOrExpired", testRotateDead},
		{"RotateConcurrent", testRotateConcurrent},
		{"RotateConcurrentNoGrace", testRotateConcurrentNoGrace},
		{"RotateTwoBackInGrace", testRotateTwoBack},
		{"Touch", testTouch},
		{"ListForUser", testListForUser},
		{"InventoryFields", testInventoryFields},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func id(t *testing.T) string {
	t.Helper()
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// base is a time near the real clock, truncated to the second so every
// backend stores it exactly.
func base() time.Time { return time.Now().UTC().Truncate(time.Second) }

func newRecord(t *testing.T, userID string, now time.Time) session.Record {
	return session.Record{
		ID:            id(t),
		UserID:        userID,
		EnvironmentID: "0a1b2c3d-0000-4000-8000-000000000001",
		CreatedAt:     now,
		ExpiresAt:     now.Add(30 * 24 * time.Hour),
		UserAgent:     "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
		IPPrefix:      "203.0.113.0/24",
	}
}

func sameRecord(t *testing.T, got, want session.Record) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.EnvironmentID != want.EnvironmentID ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) ||
		!got.RevokedAt.Equal(want.RevokedAt) || got.Generation != want.Generation ||
		!got.GraceUntil.Equal(want.GraceUntil) || got.UserAgent != want.UserAgent || got.IPPrefix != want.IPPrefix {
		t.Fatalf("record mismatch:\n got  %+v\n want %+v", got, want)
	}
}

func testCreateGet(t *testing.T, s session.Store) {
	ctx := context.Background()
	rec := newRecord(t, id(t), base())
	if err := s.Create(ctx, rec); err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, err := s.Get(ctx, rec.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	sameRecord(t, got, rec)
	if got.Revoked() {
		t.Fatal("a new record must not be revoked")
	}
}

func testCreateDuplicate(t *testing.T, s session.Store) {
	ctx := context.Background()
	rec := newRecord(t, id(t), base())
	if err := s.Create(ctx, rec); err != nil {
		t.Fatalf("Create: %v", err)
	}
	other := rec
	other.UserID = id(t)
	if err := s.Create(ctx, other); !errors.Is(err, session.ErrDuplicate) {
		t.Fatalf("second Create = %v, want ErrDuplicate", err)
	}
	got, err := s.Get(ctx, rec.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	sameRecord(t, got, rec)
}

func testGetUnknown(t *testing.T, s session.Store) {
	if _, err := s.Get(context.Background(), id(t)); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Get(unknown) = %v, want ErrNotFound", err)
	}
}

func testRevoke(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	rec := newRecord(t, id(t), now)
	other := newRecord(t, rec.UserID, now)
	for _, r := range []session.Record{rec, other} {
		if err := s.Create(ctx, r); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
	at := now.Add(time.Minute)
	if err := s.Revoke(ctx, rec.ID, at); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	got, err := s.Get(ctx, rec.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !got.Revoked() || !got.RevokedAt.Equal(at) {
		t.Fatalf("RevokedAt = %v, want %v", got.RevokedAt, at)
	}
	// Revoking again succeeds and keeps the first time.
	if err := s.Revoke(ctx, rec.ID, at.Add(time.Hour)); err != nil {
		t.Fatalf("second Revoke: %v", err)
	}
	got, _ = s.Get(ctx, rec.ID)
	if !got.RevokedAt.Equal(at) {
		t.Fatalf("second Revoke moved RevokedAt to %v", got.RevokedAt)
	}
	// The user's other session is untouched.
	got, err = s.Get(ctx, other.ID)
	if err != nil {
		t.Fatalf("Get(other): %v", err)
	}
	if got.Revoked() {
		t.Fatal("Revoke of one session revoked another")
	}
}

func testRevokeUnknown(t *testing.T, s session.Store) {
	if err := s.Revoke(context.Background(), id(t), base()); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Revoke(unknown) = %v, want ErrNotFound", err)
	}
}

func testRevokeAllForUser(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	u1, u2 := id(t), id(t)
	var mine []session.Record
	for range 3 {
		r := newRecord(t, u1, now)
		mine = append(mine, r)
		if err := s.Create(ctx, r); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
	theirs := newRecord(t, u2, now)
	if err := s.Create(ctx, theirs); err != nil {
		t.Fatalf("Create: %v", err)
	}
	early := now.Add(time.Second)
	if err := s.Revoke(ctx, mine[0].ID, early); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	at := now.Add(time.Minute)
	n, err := s.RevokeAllForUser(ctx, u1, at)
	if err != nil {
		t.Fatalf("RevokeAllForUser: %v", err)
	}
	if n != 2 {
		t.Fatalf("RevokeAllForUser revoked %d, want 2 (one was already revoked)", n)
	}
	for i, r := range mine {
		got, err := s.Get(ctx, r.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		want := at
		if i == 0 {
			want = early
		}
		if !got.RevokedAt.Equal(want) {
			t.Fatalf("session %d RevokedAt = %v, want %v", i, got.RevokedAt, want)
		}
	}
	got, err := s.Get(ctx, theirs.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.Revoked() {
		t.Fatal("RevokeAllForUser revoked another user's session")
	}
	n, err = s.RevokeAllForUser(ctx, id(t), at)
	if err != nil || n != 0 {
		t.Fatalf("RevokeAllForUser(unknown user) = %d, %v; want 0, nil", n, err)
	}
}

func testRevokeAllThenCreate(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	u := id(t)
	if err := s.Create(ctx, newRecord(t, u, now)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := s.RevokeAllForUser(ctx, u, now.Add(time.Second)); err != nil {
		t.Fatalf("RevokeAllForUser: %v", err)
	}
	fresh := newRecord(t, u, now.Add(2*time.Second))
	if err := s.Create(ctx, fresh); err != nil {
		t.Fatalf("Create after RevokeAll: %v", err)
	}
	got, err := s.Get(ctx, fresh.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.Revoked() {
		t.Fatal("a session created after RevokeAllForUser must be live")
	}
}

func testConsumeJTI(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	exp := now.Add(5 * time.Minute)
	j := id(t)
	if err := s.ConsumeJTI(ctx, j, exp, now); err != nil {
		t.Fatalf("first ConsumeJTI: %v", err)
	}
	for _, at := range []time.Time{now, now.Add(time.Second), exp.Add(-time.Second)} {
		if err := s.ConsumeJTI(ctx, j, exp, at); !errors.Is(err, session.ErrAlreadyUsed) {
			t.Fatalf("ConsumeJTI again at %v = %v, want ErrAlreadyUsed", at.Sub(now), err)
		}
	}
	if err := s.ConsumeJTI(ctx, id(t), exp, now); err != nil {
		t.Fatalf("ConsumeJTI(other jti): %v", err)
	}
}

func testConsumeJTIConcurrent(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	j := id(t)
	errs := race.Run(Parallelism, func(int) error {
		return s.ConsumeJTI(ctx, j, now.Add(5*time.Minute), now)
	})
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, session.ErrAlreadyUsed):
		default:
			t.Fatalf("ConsumeJTI: unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent ConsumeJTI calls won, want exactly 1", wins, Parallelism)
	}
}

func testCreateConcurrent(t *testing.T, s session.Store) {
	ctx := context.Background()
	rec := newRecord(t, id(t), base())
	errs := race.Run(Parallelism, func(i int) error {
		r := rec
		r.UserID = rec.UserID + "-" + string(rune('a'+i%26))
		return s.Create(ctx, r)
	})
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, session.ErrDuplicate):
		default:
			t.Fatalf("Create: unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent Creates of one id won, want exactly 1", wins, Parallelism)
	}
}

func testRevokeConcurrent(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	u := id(t)
	var recs []session.Record
	for range 4 {
		r := newRecord(t, u, now)
		recs = append(recs, r)
		if err := s.Create(ctx, r); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
	errs := race.Run(Parallelism, func(i int) error {
		at := now.Add(time.Duration(i+1) * time.Second)
		if i%2 == 0 {
			_, err := s.RevokeAllForUser(ctx, u, at)
			return err
		}
		return s.Revoke(ctx, recs[i%len(recs)].ID, at)
	})
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent revoke: %v", err)
		}
	}
	for _, r := range recs {
		got, err := s.Get(ctx, r.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if !got.Revoked() {
			t.Fatalf("session %s not revoked after concurrent revokes", r.ID)
		}
		if got.RevokedAt.Before(now) || got.RevokedAt.After(now.Add(Parallelism*time.Second)) {
			t.Fatalf("RevokedAt %v outside the times passed in", got.RevokedAt)
		}
	}
}

func testCanceledContext(t *testing.T, s session.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	now := base()
	rec := newRecord(t, id(t), now)
	if err := s.Create(ctx, rec); err == nil {
		t.Fatal("Create with a canceled context succeeded")
	}
	if err := s.ConsumeJTI(ctx, id(t), now.Add(time.Minute), now); err == nil {
		t.Fatal("ConsumeJTI with a canceled context succeeded")
	}
}
