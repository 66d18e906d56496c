package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authkit/authkit/session"
)

// SessionStore implements session.Store on PostgreSQL. Get it from
// Store.Sessions.
type SessionStore struct{ s *Store }

var _ session.Store = (*SessionStore)(nil)

// Create implements session.Store.
func (ss *SessionStore) Create(ctx context.Context, rec session.Record) error {
	if rec.ID == "" {
		return fmt.Errorf("%w: empty session id", ErrInvalidArgument)
	}
	if rec.LastSeenAt.IsZero() {
		rec.LastSeenAt = rec.CreatedAt
	}
	if rec.Generation > maxGeneration {
		return fmt.Errorf("%w: generation out of range", ErrInvalidArgument)
	}
	return ss.s.run(ctx, "session create", func(ctx context.Context) error {
		tag, err := ss.s.pool.Exec(ctx, `
			INSERT INTO authkit_sessions (id, user_id, environment_id, created_at, expires_at, revoked_at,
				generation, grace_until, last_seen_at, user_agent, ip_prefix)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`,
			rec.ID, rec.UserID, rec.EnvironmentID, rec.CreatedAt, rec.ExpiresAt, nullTime(rec.RevokedAt),
			int64(rec.Generation), nullTime(rec.GraceUntil), rec.LastSeenAt, rec.UserAgent, rec.IPPrefix)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return decided(session.ErrDuplicate)
		}
		return nil
	})
}

// Get implements session.Store. Records stay until Cleanup removes them
// after ExpiresAt.
func (ss *SessionStore) Get(ctx context.Context, id string) (session.Record, error) {
	var r session.Record
	err := ss.s.run(ctx, "session get", func(ctx context.Context) error {
		var err error
		r, err = scanSession(ss.s.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM authkit_sessions WHERE id = $1`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return decided(session.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return session.Record{}, err
	}
	return r, nil
}

// sessionColumns are the columns scanSession reads, in order.
const sessionColumns = `id, user_id, environment_id, created_at, expires_at, revoked_at,
	generation, grace_until, coalesce(last_seen_at, created_at), user_agent, ip_prefix`

// maxGeneration keeps generations within bigint, with room for the +1.
const maxGeneration = 1<<63 - 2

// scanSession reads sessionColumns, then any extra columns into extra.
func scanSession(row pgx.Row, extra ...any) (session.Record, error) {
	var (
		r              session.Record
		revoked, grace *time.Time
		gen            int64
	)
	err := row.Scan(append([]any{&r.ID, &r.UserID, &r.EnvironmentID, &r.CreatedAt, &r.ExpiresAt, &revoked,
		&gen, &grace, &r.LastSeenAt, &r.UserAgent, &r.IPPrefix}, extra...)...)
	if err != nil {
		return session.Record{}, err
	}
	r.CreatedAt, r.ExpiresAt, r.LastSeenAt = r.CreatedAt.UTC(), r.ExpiresAt.UTC(), r.LastSeenAt.UTC()
	r.RevokedAt, r.GraceUntil, r.Generation = timeOf(revoked), timeOf(grace), uint64(gen)
	return r, nil
}

// Revoke implements session.Store in one UPDATE that keeps an earlier
// revoked_at.
func (ss *SessionStore) Revoke(ctx context.Context, id string, now time.Time) error {
	return ss.s.run(ctx, "session revoke", func(ctx context.Context) error {
		tag, err := ss.s.pool.Exec(ctx, `UPDATE authkit_sessions SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, id, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return decided(session.ErrNotFound)
		}
		return nil
	})
}

// RevokeAllForUser implements session.Store in one UPDATE.
func (ss *SessionStore) RevokeAllForUser(ctx context.Context, userID string, now time.Time) (int, error) {
	var n int
	err := ss.s.run(ctx, "session revoke all", func(ctx context.Context) error {
		tag, err := ss.s.pool.Exec(ctx, `UPDATE authkit_sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, userID, now)
		n = int(tag.RowsAffected())
		return err
	})
	return n, err
}

// ConsumeJTI implements session.Store in one upsert: the insert wins, or
// the update of an entry that expired before now wins; otherwise nothing is
// written and the token id was already used.
func (ss *SessionStore) ConsumeJTI(ctx context.Context, jti string, expiresAt, now time.Time) error {
	if jti == "" {
		return fmt.Errorf("%w: empty jti", ErrInvalidArgument)
	}
	return ss.s.run(ctx, "session consume jti", func(ctx context.Context) error {
		tag, err := ss.s.pool.Exec(ctx, `
			INSERT INTO authkit_session_jtis AS j (jti, expires_at) VALUES ($1, $2)
			ON CONFLICT (jti) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE j.expires_at < $3`,
			jti, expiresAt, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return decided(session.ErrAlreadyUsed)
		}
		return nil
	})
}

// Rotate implements session.Store in one UPDATE on a live row: the
// current generation advances; the previous one within the grace window
// leaves the row as it is; any other revokes it (RETURNING shows which).
// Concurrent calls queue on the row lock and each re-reads the row the
// previous one left (READ COMMITTED), so exactly one advances. Only when
// no live row matched does a second statement tell an unknown session from
// a dead one.
func (ss *SessionStore) Rotate(ctx context.Context, id string, gen uint64, now, graceUntil time.Time) (session.Record, error) {
	if gen > maxGeneration {
		gen = maxGeneration // never stored: a reuse like any other
	}
	var (
		r      session.Record
		reused bool
	)
	err := ss.s.run(ctx, "session rotate", func(ctx context.Context) error {
		var err error
		reused = false
		r, err = scanSession(ss.s.pool.QueryRow(ctx, `
			UPDATE authkit_sessions SET
				generation   = CASE WHEN generation = $2 THEN generation + 1 ELSE generation END,
				grace_until  = CASE WHEN generation = $2 THEN $4 ELSE grace_until END,
				last_seen_at = CASE WHEN generation = $2 THEN greatest(coalesce(last_seen_at, created_at), $3) ELSE last_seen_at END,
				revoked_at   = CASE WHEN generation = $2 OR (generation = $2 + 1 AND $3 < grace_until) THEN NULL ELSE $3 END
			WHERE id = $1 AND revoked_at IS NULL AND expires_at > $3
			RETURNING `+sessionColumns+`, revoked_at IS NOT NULL`, id, int64(gen), now, graceUntil), &reused)
		if errors.Is(err, pgx.ErrNoRows) {
			r, err = scanSession(ss.s.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM authkit_sessions WHERE id = $1`, id))
			if errors.Is(err, pgx.ErrNoRows) {
				return decided(session.ErrNotFound)
			}
		}
		return err
	})
	if err != nil {
		return session.Record{}, err
	}
	if reused { // the row was live before this statement revoked it
		return r, session.ErrRefreshReuse
	}
	return r, nil
}

// Touch implements session.Store in one UPDATE that never moves
// last_seen_at back.
func (ss *SessionStore) Touch(ctx context.Context, id string, seen time.Time) error {
	return ss.s.run(ctx, "session touch", func(ctx context.Context) error {
		tag, err := ss.s.pool.Exec(ctx, `
			UPDATE authkit_sessions SET last_seen_at = greatest(coalesce(last_seen_at, created_at), $2) WHERE id = $1`, id, seen)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return decided(session.ErrNotFound)
		}
		return nil
	})
}

// ListForUser implements session.Store with the user_id index.
func (ss *SessionStore) ListForUser(ctx context.Context, userID string, now time.Time) ([]session.Record, error) {
	var out []session.Record
	err := ss.s.run(ctx, "session list", func(ctx context.Context) error {
		rows, err := ss.s.pool.Query(ctx, `SELECT `+sessionColumns+` FROM authkit_sessions
			WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2`, userID, now)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (session.Record, error) { return scanSession(row) })
		return err
	})
	return out, err
}
