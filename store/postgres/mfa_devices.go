package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authkit/authkit/mfa"
)

// MFAStore implements mfa.Store (devices, failure limiters, recovery codes
// and MFA tokens) and mfa.RecoveryAttempter (recovery-code failures
// decided under the recovery set's row lock) on PostgreSQL. Get it from Store.MFA.
type MFAStore struct{ s *Store }

var _ mfa.Store = (*MFAStore)(nil)

const deviceCols = `id, user_id, type, alias, sealed_secret, verified, is_default, created_at, verified_at, last_step`

func scanDevice(row pgx.Row) (mfa.DeviceRecord, error) {
	var (
		d        mfa.DeviceRecord
		typ      string
		verified *time.Time
		step     int64
	)
	if err := row.Scan(&d.ID, &d.UserID, &typ, &d.Alias, &d.SealedSecret, &d.Verified, &d.Default,
		&d.CreatedAt, &verified, &step); err != nil {
		return mfa.DeviceRecord{}, err
	}
	d.Type = mfa.DeviceType(typ)
	d.CreatedAt = d.CreatedAt.UTC()
	d.VerifiedAt = timeOf(verified)
	d.LastStep = uint64(step)
	return d, nil
}

// step converts a TOTP step to the bigint column; steps above 2^63-1 (the
// year 2^63·30 s from now) cannot be stored.
func step(s uint64) (int64, error) {
	if s > math.MaxInt64 {
		return 0, fmt.Errorf("%w: TOTP step %d too large", ErrInvalidArgument, s)
	}
	return int64(s), nil
}

// GetDevice implements mfa.DeviceStore.
func (m *MFAStore) GetDevice(ctx context.Context, userID, deviceID string) (mfa.DeviceRecord, error) {
	var d mfa.DeviceRecord
	err := m.s.run(ctx, "mfa get device", func(ctx context.Context) error {
		var err error
		d, err = scanDevice(m.s.pool.QueryRow(ctx, `SELECT `+deviceCols+` FROM authkit_mfa_devices WHERE id = $1 AND user_id = $2`, deviceID, userID))
		if errors.Is(err, pgx.ErrNoRows) {
			return decided(mfa.ErrNotFound)
		}
		return err
	})
	return d, err
}

// ListDevices implements mfa.DeviceStore.
func (m *MFAStore) ListDevices(ctx context.Context, userID string) ([]mfa.DeviceRecord, error) {
	var list []mfa.DeviceRecord
	err := m.s.run(ctx, "mfa list devices", func(ctx context.Context) error {
		rows, err := m.s.pool.Query(ctx, `SELECT `+deviceCols+` FROM authkit_mfa_devices WHERE user_id = $1 ORDER BY created_at, id COLLATE "C"`, userID)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (mfa.DeviceRecord, error) { return scanDevice(r) })
		return err
	})
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []mfa.DeviceRecord{}
	}
	return list, nil
}

// MarkStepUsed implements mfa.DeviceStore in one conditional UPDATE
// (… WHERE last_step < $step).
func (m *MFAStore) MarkStepUsed(ctx context.Context, userID, deviceID string, stepNo uint64) error {
	st, err := step(stepNo)
	if err != nil {
		return err
	}
	return m.s.run(ctx, "mfa mark step used", func(ctx context.Context) error {
		var (
			curVerified *bool
			curStep     *int64
			updated     bool
		)
		err := m.s.pool.QueryRow(ctx, `
			WITH cur AS (
				SELECT verified, last_step FROM authkit_mfa_devices WHERE id = $2 AND user_id = $1
			), upd AS (
				UPDATE authkit_mfa_devices SET last_step = $3
				WHERE id = $2 AND user_id = $1 AND verified AND last_step < $3
				RETURNING 1
			)
			SELECT cur.verified, cur.last_step, EXISTS (SELECT 1 FROM upd)
			FROM (SELECT 1) AS one LEFT JOIN cur ON true`,
			userID, deviceID, st).Scan(&curVerified, &curStep, &updated)
		switch {
		case err != nil:
			return err
		case updated:
			return nil
		case curVerified == nil || !*curVerified:
			return decided(mfa.ErrNotFound)
		case *curStep >= st:
			return decided(mfa.ErrStepUsed)
		}
		return errRetry
	})
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
