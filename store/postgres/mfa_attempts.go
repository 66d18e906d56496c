package postgres

import (
	"context"
	"time"

	"github.com/authkit/authkit/mfa"
)

// ReserveAttempt implements mfa.AttemptStore with one upsert: INSERT … ON
// CONFLICT DO UPDATE … WHERE (window over, count 0, or count < max) AND
// (no lifetime cap, or lifetime < cap). When it refuses, the reason
// (lifetime cap, or the window's end for retryAfter) comes from the same
// statement's snapshot; if that snapshot cannot explain the refusal (the
// row was created or changed concurrently), the statement is re-run.
func (m *MFAStore) ReserveAttempt(ctx context.Context, key string, now time.Time, window time.Duration, max, lifetimeMax int) (bool, time.Duration, error) {
	now = micro(now)
	var (
		ok     bool
		retry  time.Duration
		locked bool
	)
	err := m.s.run(ctx, "mfa reserve attempt", func(ctx context.Context) error {
		var (
			reserved    bool
			curCount    *int
			curEnd      *time.Time
			curLifetime *int
		)
		err := m.s.pool.QueryRow(ctx, `
			WITH cur AS (
				SELECT count, window_end, lifetime FROM authkit_mfa_attempts WHERE key = $1
			), up AS (
				INSERT INTO authkit_mfa_attempts AS a (key, count, window_end, lifetime)
				VALUES ($1, 1, $3, CASE WHEN $5 > 0 THEN 1 ELSE 0 END)
				ON CONFLICT (key) DO UPDATE SET
					count      = CASE WHEN a.window_end <= $2 OR a.count = 0 THEN 1 ELSE a.count + 1 END,
					window_end = CASE WHEN a.window_end <= $2 OR a.count = 0 THEN EXCLUDED.window_end ELSE a.window_end END,
					lifetime   = a.lifetime + EXCLUDED.lifetime
				WHERE (a.window_end <= $2 OR a.count = 0 OR a.count < $4) AND ($5 <= 0 OR a.lifetime < $5)
				RETURNING 1
			)
			SELECT EXISTS (SELECT 1 FROM up), cur.count, cur.window_end, cur.lifetime
			FROM (SELECT 1) AS one LEFT JOIN cur ON true`,
			key, now, now.Add(window), max, lifetimeMax).Scan(&reserved, &curCount, &curEnd, &curLifetime)
		switch {
		case err != nil:
			return err
		case reserved:
			ok, retry, locked = true, 0, false
			return nil
		case curLifetime != nil && lifetimeMax > 0 && *curLifetime >= lifetimeMax:
			ok, retry, locked = false, 0, true
			return nil
		case curCount != nil && curEnd.After(now) && *curCount != 0 && *curCount >= max:
			ok, retry, locked = false, curEnd.Sub(now), false
			return nil
		}
		return errRetry
	})
	if err == nil && locked {
		err = mfa.ErrLockedOut
	}
	return ok, retry, err
}

// ReleaseAttempt implements mfa.AttemptStore in one conditional UPDATE.
func (m *MFAStore) ReleaseAttempt(ctx context.Context, key string, now time.Time) error {
	return m.s.run(ctx, "mfa release attempt", func(ctx context.Context) error {
		_, err := m.s.pool.Exec(ctx, `
			UPDATE authkit_mfa_attempts SET
				count    = CASE WHEN window_end > $2 AND count > 0 THEN count - 1 ELSE count END,
				lifetime = GREATEST(lifetime - 1, 0)
			WHERE key = $1 AND (window_end > $2 AND count > 0 OR lifetime > 0)`, key, now)
		return err
	})
}

// ResetAttempts implements mfa.AttemptStore.
func (m *MFAStore) ResetAttempts(ctx context.Context, key string) error {
	return m.s.run(ctx, "mfa reset attempts", func(ctx context.Context) error {
		_, err := m.s.pool.Exec(ctx, `DELETE FROM authkit_mfa_attempts WHERE key = $1`, key)
		return err
	})
}
