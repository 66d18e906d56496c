package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/ratelimit"
)

// Recovery sets live in two tables: one row per user (created_at,
// acknowledgement) and one row per unused code; the recovery-code failures
// (a sliding rule's events and lifetime count) in a third, one row per
// user, which outlives the set. Every change to a user's codes first locks
// the user's set row, so that a replacement never mixes with a concurrent
// one, the "remaining" count of a consumption is exact and an attempt's
// limit, consume and failure count are one step.

var _ mfa.RecoveryAttempter = (*MFAStore)(nil)

// selectRecoverySet reads a user's set and its codes in issue order.
const selectRecoverySet = `
	SELECT s.created_at, s.acknowledgement,
		coalesce(array_agg(c.digest ORDER BY c.position) FILTER (WHERE c.digest IS NOT NULL), '{}'),
		coalesce(array_agg(c.sealed ORDER BY c.position) FILTER (WHERE c.digest IS NOT NULL), '{}')
	FROM authkit_mfa_recovery_sets s
	LEFT JOIN authkit_mfa_recovery_codes c ON c.user_id = s.user_id
	WHERE s.user_id = $1
	GROUP BY s.user_id, s.created_at, s.acknowledgement`

func scanRecoverySet(row pgx.Row, userID string) (mfa.RecoverySet, error) {
	var (
		set             = mfa.RecoverySet{UserID: userID}
		ack             string
		digests, sealed [][]byte
	)
	if err := row.Scan(&set.CreatedAt, &ack, &digests, &sealed); err != nil {
		return mfa.RecoverySet{}, err
	}
	set.CreatedAt = set.CreatedAt.UTC()
	set.Acknowledgement = authkit.BackupCodeAcknowledgement(ack)
	set.Codes = make([]mfa.RecoveryCodeRecord, len(digests))
	for i := range digests {
		set.Codes[i] = mfa.RecoveryCodeRecord{Digest: digests[i], Sealed: sealed[i]}
	}
	return set, nil
}

// codeArrays splits a set's codes into the two arrays unnest takes.
func codeArrays(set mfa.RecoverySet) (digests, sealed [][]byte) {
	digests = make([][]byte, len(set.Codes))
	sealed = make([][]byte, len(set.Codes))
	for i, c := range set.Codes {
		digests[i], sealed[i] = nonNil(c.Digest), nonNil(c.Sealed)
	}
	return digests, sealed
}

// insertCodes inserts the codes of $1's set from the arrays $2 and $3,
// numbering them in order.
const insertCodes = `
	INSERT INTO authkit_mfa_recovery_codes (user_id, digest, sealed, position)
	SELECT $1, u.digest, u.sealed, u.position
	FROM unnest($2::bytea[], $3::bytea[]) WITH ORDINALITY AS u(digest, sealed, position)`

// ReplaceRecoverySet implements mfa.RecoveryStore: upsert of the set row
// (which locks it; the failures stay), deletion of the old codes and
// insertion of the new, in one pipelined transaction.
func (m *MFAStore) ReplaceRecoverySet(ctx context.Context, set mfa.RecoverySet) error {
	digests, sealed := codeArrays(set)
	return m.s.run(ctx, "mfa replace recovery set", func(ctx context.Context) error {
		b := &pgx.Batch{}
		b.Queue(`
			INSERT INTO authkit_mfa_recovery_sets (user_id, created_at, acknowledgement) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET created_at = EXCLUDED.created_at, acknowledgement = EXCLUDED.acknowledgement`,
			set.UserID, set.CreatedAt, string(set.Acknowledgement))
		b.Queue(`DELETE FROM authkit_mfa_recovery_codes WHERE user_id = $1`, set.UserID)
		b.Queue(insertCodes, set.UserID, digests, sealed)
		return m.s.batch(ctx, b, func(br pgx.BatchResults) error {
			for range 3 {
				if _, err := br.Exec(); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// CreateRecoverySet implements mfa.RecoveryStore: one statement inserts the
// set and its codes only if the user has no set (a concurrent creator waits
// for the winner's commit and inserts nothing), and a second statement in
// the same transaction reads the set that is now stored.
func (m *MFAStore) CreateRecoverySet(ctx context.Context, set mfa.RecoverySet) (mfa.RecoverySet, bool, error) {
	digests, sealed := codeArrays(set)
	var (
		cur     mfa.RecoverySet
		created bool
	)
	err := m.s.run(ctx, "mfa create recovery set", func(ctx context.Context) error {
		b := &pgx.Batch{}
		b.Queue(`
			WITH s AS (
				INSERT INTO authkit_mfa_recovery_sets (user_id, created_at, acknowledgement) VALUES ($1, $4, $5)
				ON CONFLICT (user_id) DO NOTHING
				RETURNING user_id
			), c AS (
				INSERT INTO authkit_mfa_recovery_codes (user_id, digest, sealed, position)
				SELECT s.user_id, u.digest, u.sealed, u.position
				FROM s, unnest($2::bytea[], $3::bytea[]) WITH ORDINALITY AS u(digest, sealed, position)
			)
			SELECT EXISTS (SELECT 1 FROM s)`,
			set.UserID, digests, sealed, set.CreatedAt, string(set.Acknowledgement))
		b.Queue(selectRecoverySet, set.UserID)
		return m.s.batch(ctx, b, func(br pgx.BatchResults) error {
			if err := br.QueryRow().Scan(&created); err != nil {
				return err
			}
			var err error
			cur, err = scanRecoverySet(br.QueryRow(), set.UserID)
			return err
		})
	})
	if err != nil {
		return mfa.RecoverySet{}, false, err
	}
	return cur, created, nil
}

// GetRecoverySet implements mfa.RecoveryStore.
func (m *MFAStore) GetRecoverySet(ctx context.Context, userID string) (mfa.RecoverySet, error) {
	var set mfa.RecoverySet
	err := m.s.run(ctx, "mfa get recovery set", func(ctx context.Context) error {
		var err error
		set, err = scanRecoverySet(m.s.pool.QueryRow(ctx, selectRecoverySet, userID), userID)
		if errors.Is(err, pgx.ErrNoRows) {
			return decided(mfa.ErrNotFound)
		}
		return err
	})
	return set, err
}

// ConsumeRecoveryCode implements mfa.RecoveryStore: with the user's set row
// locked, one DELETE … RETURNING of the code plus the count of what is left,
// in one pipelined transaction.
func (m *MFAStore) ConsumeRecoveryCode(ctx context.Context, userID string, digest []byte) (int, error) {
	var remaining int
	err := m.s.run(ctx, "mfa consume recovery code", func(ctx context.Context) error {
		b := &pgx.Batch{}
		b.Queue(`SELECT 1 FROM authkit_mfa_recovery_sets WHERE user_id = $1 FOR UPDATE`, userID)
		// The count reads the statement's snapshot, taken after the lock,
		// which still holds the row the DELETE removes.
		b.Queue(`
			WITH del AS (
				DELETE FROM authkit_mfa_recovery_codes WHERE user_id = $1 AND digest = $2 RETURNING 1
			)
			SELECT (SELECT count(*) FROM del), (SELECT count(*) FROM authkit_mfa_recovery_codes WHERE user_id = $1)`,
			userID, nonNil(digest))
		var deleted, total int
		err := m.s.batch(ctx, b, func(br pgx.BatchResults) error {
			if _, err := br.Exec(); err != nil {
				return err
			}
			return br.QueryRow().Scan(&deleted, &total)
		})
		switch {
		case err != nil:
			return err
		case deleted == 0:
			return decided(mfa.ErrNotFound)
		}
		remaining = total - deleted
		return nil
	})
	return remaining, err
}

// AttemptRecoveryCode implements mfa.RecoveryAttempter in one round trip:
// authkit_mfa_recovery_attempt locks the user's set row and failures row,
// decides under rule on the failures (as ratelimit.Rule.Attempt does on a
// Log), then deletes the first code of digests that matches or counts the
// failure. It runs in a READ COMMITTED transaction, so that the count of
// codes left sees every consumption committed before the lock was granted.
// now is read once, before the statement is sent (unix ns, as
// authkit_rate_limits keeps a sliding rule's events).
func (m *MFAStore) AttemptRecoveryCode(ctx context.Context, userID string, digests [][]byte, rule ratelimit.Rule, now func() time.Time) (int, ratelimit.Decision, error) {
	if !rule.Sliding {
		return 0, ratelimit.Decision{}, fmt.Errorf("%w: AttemptRecoveryCode needs a Sliding rule", ratelimit.ErrInvalidRule)
	}
	if err := rule.Validate(); err != nil {
		return 0, ratelimit.Decision{}, err
	}
	var (
		hasSet, allowed bool
		wait            int64
		left, n, cnt    int
	)
	err := m.s.run(ctx, "mfa attempt recovery code", func(ctx context.Context) error {
		b := &pgx.Batch{}
		b.Queue(`SELECT has_set, allowed, wait, left_codes, n, cnt FROM authkit_mfa_recovery_attempt($1, $2, $3, $4, $5, $6, $7)`,
			userID, digests, clock.Or(now)().UnixNano(), rule.Limit, int64(rule.Window), int64(rule.Cooldown), rule.Lifetime)
		return m.s.batch(ctx, b, func(br pgx.BatchResults) error {
			return br.QueryRow().Scan(&hasSet, &allowed, &wait, &left, &n, &cnt)
		})
	})
	switch {
	case err != nil:
		return 0, ratelimit.Decision{}, err
	case !hasSet:
		return 0, ratelimit.Decision{Allowed: true}, mfa.ErrNotFound
	case !allowed:
		return 0, ratelimit.Decision{RetryAfter: time.Duration(wait)}, nil
	}
	d := ratelimit.Decision{Allowed: true, Remaining: rule.Remaining(n, cnt)}
	if left < 0 {
		return 0, d, mfa.ErrNotFound
	}
	return left, d, nil
}

// ResetRecoveryFailures implements mfa.RecoveryAttempter: one DELETE of
// the user's failures row.
func (m *MFAStore) ResetRecoveryFailures(ctx context.Context, userID string) error {
	return m.s.run(ctx, "mfa reset recovery failures", func(ctx context.Context) error {
		_, err := m.s.pool.Exec(ctx, `DELETE FROM authkit_mfa_recovery_failures WHERE user_id = $1`, userID)
		return err
	})
}

// SetAcknowledgement implements mfa.RecoveryStore.
func (m *MFAStore) SetAcknowledgement(ctx context.Context, userID string, state authkit.BackupCodeAcknowledgement) error {
	return m.s.run(ctx, "mfa set acknowledgement", func(ctx context.Context) error {
		tag, err := m.s.pool.Exec(ctx, `UPDATE authkit_mfa_recovery_sets SET acknowledgement = $2 WHERE user_id = $1`, userID, string(state))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return decided(mfa.ErrNotFound)
		}
		return nil
	})
}
