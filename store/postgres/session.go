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
	return ss.s.run(ctx, "session create", func(ctx context.Context) error {
		tag, err := ss.s.pool.Exec(ctx, `
			INSERT INTO authkit_sessions (id, user_id, environment_id, created_at, expires_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
			rec.ID, rec.UserID, rec.EnvironmentID, rec.CreatedAt, rec.ExpiresAt, nullTime(rec.RevokedAt))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return decided(session.ErrExists)
		}
		return nil
	})
}

// Get implements session.Store. Records stay until Cleanup removes them
// after ExpiresAt.
func (ss *SessionStore) Get(ctx context.Context, id string) (session.Record, error) {
	var r session.Record
	err := ss.s.run(ctx, "session get", func(ctx context.Context) error {
		var revoked *time.Time
		err := ss.s.pool.QueryRow(ctx, `
			SELECT id, user_id, environment_id, created_at, expires_at, revoked_at
			FROM authkit_sessions WHERE id = $1`, id).
			Scan(&r.ID, &r.UserID, &r.EnvironmentID, &r.CreatedAt, &r.ExpiresAt, &revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			return decided(session.ErrNotFound)
		}
		r.CreatedAt, r.ExpiresAt, r.RevokedAt = r.CreatedAt.UTC(), r.ExpiresAt.UTC(), timeOf(revoked)
		return err
	})
	if err != nil {
		return session.Record{}, err
	}
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
