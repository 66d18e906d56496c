package postgres

import (
	"context"
	"time"
)

// ReserveAttempt implements mfa.AttemptStore with one upsert: INSERT … ON
// CONFLICT DO UPDATE … WHERE (window over, count 0, or count < max). When it
// refuses, the window's end (for retryAfter) comes from the same statement's
// snapshot; if that snapshot cannot explain the refusal (the window was
// created or changed concurrently), the statement is re-run.
func (m *MFAStore) ReserveAttempt(ctx context.Context, key string, now time.Time, window time.Duration, max int) (bool, time.Duration, error) {
	now = micro(now)
	var (
		ok    bool
		retry time.Duration
	)
	err := m.s.run(ctx, "mfa reserve attempt", func(ctx context.Context) error {
		var (
			reserved bool
			curCount *int
			curEnd   *time.Time
		)
		err := m.s.pool.QueryRow(ctx, `
			WITH cur AS (
				SELECT count, window_end FROM authkit_mfa_attempts WHERE key = $1
			), up AS (
				INSERT INTO authkit_mfa_attempts AS a (key, count, window_end)
				VALUES ($1, 1, $3)
				ON CONFLICT (key) DO UPDATE SET
					count      = CASE WHEN a.window_end <= $2 OR a.count = 0 THEN 1 ELSE a.count + 1 END,
					window_end = CASE WHEN a.window_end <= $2 OR a.count = 0 THEN EXCLUDED.window_end ELSE a.window_end END
				WHERE a.window_end <= $2 OR a.count = 0 OR a.count < $4
				RETURNING 1
			)
			SELECT EXISTS (SELECT 1 FROM up), cur.count, cur.window_end
			FROM (SELECT 1) AS one LEFT JOIN cur ON true`,
			key, now, now.Add(window), max).Scan(&reserved, &curCount, &curEnd)
		switch {
		case err != nil:
			return err
		case reserved:
			ok, retry = true, 0
			return nil
		case curCount != nil && curEnd.After(now) && *curCount != 0 && *curCount >= max:
			ok, retry = false, curEnd.Sub(now)
			return nil
		}
		return errRetry
	})
	return ok, retry, err
}

// ReleaseAttempt implements mfa.AttemptStore in one conditional UPDATE.
func (m *MFAStore) ReleaseAttempt(ctx context.Context, key string, now time.Time) error {
	return m.s.run(ctx, "mfa release attempt", func(ctx context.Context) error {
		_, err := m.s.pool.Exec(ctx, `
			UPDATE authkit_mfa_attempts SET count = count - 1
			WHERE key = $1 AND window_end > $2 AND count > 0`, key, now)
		return err
	})
}
