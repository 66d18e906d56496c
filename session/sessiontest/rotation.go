package sessiontest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/session"
)

// grace is the refresh grace window the rotation cases pass.
const grace = 5 * time.Second

func create(t *testing.T, s session.Store, rec session.Record) {
	t.Helper()
	if err := s.Create(context.Background(), rec); err != nil {
		t.Fatalf("Create: %v", err)
	}
}

func get(t *testing.T, s session.Store, id string) session.Record {
	t.Helper()
	got, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return got
}

func testRotateAdvance(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	rec := newRecord(t, id(t), now)
	create(t, s, rec)
	if g := get(t, s, rec.ID); g.Generation != 0 || !g.LastSeenAt.Equal(now) {
		t.Fatalf("new record: generation %d, last seen %v; want 0, %v", g.Generation, g.LastSeenAt, now)
	}
	for want := uint64(1); want <= 3; want++ {
		at := now.Add(time.Duration(want) * time.Minute)
		got, err := s.Rotate(ctx, rec.ID, want-1, at, at.Add(grace))
		if err != nil {
			t.Fatalf("Rotate(gen %d): %v", want-1, err)
		}
		if got.Generation != want || !got.GraceUntil.Equal(at.Add(grace)) || !got.LastSeenAt.Equal(at) {
			t.Fatalf("Rotate(gen %d) = gen %d, grace %v, seen %v; want %d, %v, %v",
				want-1, got.Generation, got.GraceUntil, got.LastSeenAt, want, at.Add(grace), at)
		}
		stored := get(t, s, rec.ID)
		if stored.Generation != want || !stored.GraceUntil.Equal(at.Add(grace)) || stored.Revoked() {
			t.Fatalf("stored after Rotate: %+v", stored)
		}
	}
}

func testRotateGrace(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	rec := newRecord(t, id(t), now)
	create(t, s, rec)
	if _, err := s.Rotate(ctx, rec.ID, 0, now, now.Add(grace)); err != nil {
		t.Fatal(err)
	}
	// A second tab refreshes the token the first just replaced: no
	// advance, no alarm, the current record.
	got, err := s.Rotate(ctx, rec.ID, 0, now.Add(grace-time.Second), now.Add(2*grace))
	if err != nil {
		t.Fatalf("Rotate(previous gen) within the grace window: %v", err)
	}
	if got.Generation != 1 || got.Revoked() || !got.GraceUntil.Equal(now.Add(grace)) {
		t.Fatalf("within grace: %+v, want generation 1, grace unchanged", got)
	}
	if g := get(t, s, rec.ID); g.Generation != 1 || g.Revoked() {
		t.Fatalf("stored after in-grace Rotate: %+v", g)
	}
}

func testRotateReuse(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	rec := newRecord(t, id(t), now)
	other := newRecord(t, rec.UserID, now)
	create(t, s, rec)
	create(t, s, other)
	if _, err := s.Rotate(ctx, rec.ID, 0, now, now.Add(grace)); err != nil {
		t.Fatal(err)
	}
	// The grace window ends at GraceUntil exactly.
	at := now.Add(grace)
	if _, err := s.Rotate(ctx, rec.ID, 0, at, at.Add(grace)); !errors.Is(err, session.ErrRefreshReuse) {
		t.Fatalf("Rotate(superseded gen) after the grace window = %v, want ErrRefreshReuse", err)
	}
	g := get(t, s, rec.ID)
	if !g.Revoked() || !g.RevokedAt.Equal(at) || g.Generation != 1 {
		t.Fatalf("after reuse: %+v, want revoked at %v, generation 1", g, at)
	}
	// The current generation cannot refresh a revoked session.
	got, err := s.Rotate(ctx, rec.ID, 1, at.Add(time.Second), at.Add(grace))
	if err != nil || !got.Revoked() || got.Generation != 1 {
		t.Fatalf("Rotate(current gen) of the revoked session = %+v, %v; want it unchanged", got, err)
	}
	if get(t, s, other.ID).Revoked() {
		t.Fatal("reuse in one session revoked another")
	}
}

func testRotateFuture(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	rec := newRecord(t, id(t), now)
	create(t, s, rec)
	if _, err := s.Rotate(ctx, rec.ID, 7, now, now.Add(grace)); !errors.Is(err, session.ErrRefreshReuse) {
		t.Fatalf("Rotate(generation from the future) = %v, want ErrRefreshReuse", err)
	}
	if g := get(t, s, rec.ID); !g.Revoked() || g.Generation != 0 {
		t.Fatalf("after a future generation: %+v", g)
	}
}

func testRotateUnknown(t *testing.T, s session.Store) {
	now := base()
	if _, err := s.Rotate(context.Background(), id(t), 0, now, now.Add(grace)); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Rotate(unknown) = %v, want ErrNotFound", err)
	}
}

func testRotateDead(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	revoked := newRecord(t, id(t), now)
	create(t, s, revoked)
	if err := s.Revoke(ctx, revoked.ID, now); err != nil {
		t.Fatal(err)
	}
	expired := newRecord(t, id(t), now)
	expired.ExpiresAt = now.Add(time.Hour)
	create(t, s, expired)
	for _, tc := range []struct {
		name string
		id   string
		at   time.Time
	}{
		{"revoked", revoked.ID, now.Add(time.Second)},
		{"expired", expired.ID, expired.ExpiresAt},
	} {
		got, err := s.Rotate(ctx, tc.id, 0, tc.at, tc.at.Add(grace))
		if err != nil {
			t.Fatalf("%s: Rotate = %v, want the unchanged record", tc.name, err)
		}
		if got.Generation != 0 || get(t, s, tc.id).Generation != 0 {
			t.Fatalf("%s: Rotate advanced a dead session", tc.name)
		}
	}
	if g := get(t, s, revoked.ID); !g.RevokedAt.Equal(now) {
		t.Fatalf("RevokedAt moved to %v", g.RevokedAt)
	}
}

// testRotateConcurrent: N refreshes of one token at once advance the
// generation once; the others fall in the grace window and get the new
// generation, without revoking.
func testRotateConcurrent(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	rec := newRecord(t, id(t), now)
	create(t, s, rec)
	errs := race.Run(Parallelism, func(int) error {
		got, err := s.Rotate(ctx, rec.ID, 0, now, now.Add(grace))
		if err == nil && got.Generation != 1 {
			return errors.New("a concurrent Rotate returned generation other than 1")
		}
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Rotate: %v", err)
		}
	}
	if g := get(t, s, rec.ID); g.Generation != 1 || g.Revoked() {
		t.Fatalf("after %d concurrent Rotates: generation %d, revoked %v; want 1, false", Parallelism, g.Generation, g.Revoked())
	}
}

// testRotateConcurrentNoGrace: without a grace window, one of N concurrent
// refreshes advances the generation and the others are reuse: the session
// ends revoked at generation 1.
func testRotateConcurrentNoGrace(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	rec := newRecord(t, id(t), now)
	create(t, s, rec)
	errRevoked := errors.New("revoked record")
	errs := race.Run(Parallelism, func(int) error {
		got, err := s.Rotate(ctx, rec.ID, 0, now, now)
		if err == nil && got.Revoked() {
			return errRevoked // arrived after the reuse revoked the session
		}
		return err
	})
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, session.ErrRefreshReuse), errors.Is(err, errRevoked):
		default:
			t.Fatalf("concurrent Rotate: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent Rotates without grace succeeded, want exactly 1", wins, Parallelism)
	}
	if g := get(t, s, rec.ID); g.Generation != 1 || !g.Revoked() {
		t.Fatalf("after concurrent Rotates without grace: generation %d, revoked %v; want 1, true", g.Generation, g.Revoked())
	}
}

func testTouch(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	rec := newRecord(t, id(t), now)
	create(t, s, rec)
	at := now.Add(3 * time.Minute)
	if err := s.Touch(ctx, rec.ID, at); err != nil {
		t.Fatalf("Touch: %v", err)
	}
	if g := get(t, s, rec.ID); !g.LastSeenAt.Equal(at) {
		t.Fatalf("LastSeenAt = %v, want %v", g.LastSeenAt, at)
	}
	// An older time (a slower instance) never moves it back.
	if err := s.Touch(ctx, rec.ID, now.Add(time.Minute)); err != nil {
		t.Fatalf("Touch: %v", err)
	}
	g := get(t, s, rec.ID)
	if !g.LastSeenAt.Equal(at) {
		t.Fatalf("LastSeenAt moved back to %v", g.LastSeenAt)
	}
	rec.LastSeenAt = at
	sameRecord(t, g, rec)
	if err := s.Touch(ctx, id(t), at); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Touch(unknown) = %v, want ErrNotFound", err)
	}
}

func testListForUser(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	u := id(t)
	live1, live2 := newRecord(t, u, now), newRecord(t, u, now.Add(time.Second))
	live2.UserAgent, live2.IPPrefix = "curl/8.5.0", "2001:db8:1::/48"
	revoked, expired, foreign := newRecord(t, u, now), newRecord(t, u, now), newRecord(t, id(t), now)
	expired.ExpiresAt = now.Add(time.Hour)
	for _, r := range []session.Record{live1, live2, revoked, expired, foreign} {
		create(t, s, r)
	}
	if err := s.Revoke(ctx, revoked.ID, now); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListForUser(ctx, u, now.Add(time.Hour))
	if err != nil {
		t.Fatalf("ListForUser: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("ListForUser returned %d sessions, want the 2 live ones: %+v", len(got), got)
	}
	for _, want := range []session.Record{live1, live2} {
		found := false
		for _, g := range got {
			if g.ID == want.ID {
				found = true
				want.LastSeenAt = want.CreatedAt
				sameRecord(t, g, want)
			}
		}
		if !found {
			t.Fatalf("live session %s missing from ListForUser", want.ID)
		}
	}
	if got, err := s.ListForUser(ctx, id(t), now); err != nil || len(got) != 0 {
		t.Fatalf("ListForUser(no sessions) = %v, %v", got, err)
	}
}

// testInventoryFields: what Create stores comes back from Get, Rotate
// keeps it, and an explicit LastSeenAt is kept.
func testInventoryFields(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	rec := newRecord(t, id(t), now)
	rec.LastSeenAt = now.Add(time.Second)
	rec.UserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) — Safari"
	rec.IPPrefix = "2001:db8:abcd::/48"
	create(t, s, rec)
	sameRecord(t, get(t, s, rec.ID), rec)
	at := now.Add(time.Minute)
	got, err := s.Rotate(ctx, rec.ID, 0, at, at.Add(grace))
	if err != nil {
		t.Fatal(err)
	}
	rec.Generation, rec.GraceUntil, rec.LastSeenAt = 1, at.Add(grace), at
	sameRecord(t, got, rec)
	sameRecord(t, get(t, s, rec.ID), rec)
}

// testRotateTwoBack: the grace window covers only the generation just
// replaced. A token two generations old is a reuse even while the latest
// rotation's window is open (two quick refreshes do not stretch it).
func testRotateTwoBack(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := base()
	rec := newRecord(t, id(t), now)
	create(t, s, rec)
	for gen := uint64(0); gen < 2; gen++ {
		if _, err := s.Rotate(ctx, rec.ID, gen, now, now.Add(grace)); err != nil {
			t.Fatalf("Rotate(gen %d): %v", gen, err)
		}
	}
	at := now.Add(time.Second)
	if _, err := s.Rotate(ctx, rec.ID, 0, at, at.Add(grace)); !errors.Is(err, session.ErrRefreshReuse) {
		t.Fatalf("Rotate(gen 0) at generation 2 within the grace window = %v, want ErrRefreshReuse", err)
	}
	if g := get(t, s, rec.ID); !g.Revoked() || g.Generation != 2 {
		t.Fatalf("after a two-back reuse: %+v, want revoked at generation 2", g)
	}
}
