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

// MFAStore implements mfa.Store (devices, attempt windows, recovery codes
// and MFA tokens) on PostgreSQL. Get it from Store.MFA.
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

// lockUserDevices is the first statement of every batch that changes which
// devices a user has or which one is the default: a transaction-scoped
// advisory lock per user, so that the device count and the default are
// decided on committed data (the later statements of the batch take fresh
// snapshots under READ COMMITTED).
const lockUserDevices = `SELECT pg_advisory_xact_lock(hashtextextended('authkit.mfa.devices.' || $1, 0))`

// step converts a TOTP step to the bigint column; steps above 2^63-1 (the
// year 2^63·30 s from now) cannot be stored.
func step(s uint64) (int64, error) {
	if s > math.MaxInt64 {
		return 0, fmt.Errorf("%w: TOTP step %d too large", ErrInvalidArgument, s)
	}
	return int64(s), nil
}

// CreateDevice implements mfa.DeviceStore: under the user's lock, one
// INSERT … SELECT that counts the user's devices.
func (m *MFAStore) CreateDevice(ctx context.Context, d mfa.DeviceRecord, maxDevices int) error {
	last, err := step(d.LastStep)
	if err != nil {
		return err
	}
	if d.ID == "" || d.UserID == "" {
		return fmt.Errorf("%w: empty device or user id", ErrInvalidArgument)
	}
	return m.s.run(ctx, "mfa create device", func(ctx context.Context) error {
		b := &pgx.Batch{}
		b.Queue(lockUserDevices, d.UserID)
		b.Queue(`
			WITH c AS (SELECT count(*) AS n FROM authkit_mfa_devices WHERE user_id = $2),
			ins AS (
				INSERT INTO authkit_mfa_devices (`+deviceCols+`)
				SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM c WHERE c.n < $11
				ON CONFLICT (id) DO NOTHING
				RETURNING 1
			)
			SELECT (SELECT n FROM c), EXISTS (SELECT 1 FROM ins)`,
			d.ID, d.UserID, string(d.Type), d.Alias, nonNil(d.SealedSecret), d.Verified, d.Default,
			d.CreatedAt, nullTime(d.VerifiedAt), last, maxDevices)
		var n int
		var inserted bool
		err := m.s.batch(ctx, b, func(br pgx.BatchResults) error {
			if _, err := br.Exec(); err != nil {
				return err
			}
			return br.QueryRow().Scan(&n, &inserted)
		})
		switch {
		case err != nil:
			if isUniqueViolation(err) {
				// Another default for the user (d.Default set by a caller
				// that should not): refuse rather than break the invariant.
				return decided(mfa.ErrDuplicate)
			}
			return err
		case inserted:
			return nil
		case n >= maxDevices:
			return decided(mfa.ErrDeviceLimit)
		}
		return decided(mfa.ErrDuplicate)
	})
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

// ConfirmDevice implements mfa.DeviceStore: under the user's lock, one
// conditional UPDATE that also makes the device the default when the user
// has none.
func (m *MFAStore) ConfirmDevice(ctx context.Context, userID, deviceID string, stepNo uint64, now time.Time) (mfa.DeviceRecord, error) {
	st, err := step(stepNo)
	if err != nil {
		return mfa.DeviceRecord{}, err
	}
	var d mfa.DeviceRecord
	err = m.s.run(ctx, "mfa confirm device", func(ctx context.Context) error {
		b := &pgx.Batch{}
		b.Queue(lockUserDevices, userID)
		b.Queue(`
			WITH cur AS (
				SELECT verified, last_step FROM authkit_mfa_devices WHERE id = $2 AND user_id = $1
			), upd AS (
				UPDATE authkit_mfa_devices
				SET verified = true, verified_at = $4, last_step = $3,
				    is_default = NOT EXISTS (SELECT 1 FROM authkit_mfa_devices WHERE user_id = $1 AND is_default)
				WHERE id = $2 AND user_id = $1 AND NOT verified AND last_step < $3
				RETURNING `+deviceCols+`
			)
			SELECT cur.verified, cur.last_step, upd.id IS NOT NULL, upd.id, upd.user_id, upd.type, upd.alias,
				upd.sealed_secret, upd.verified, upd.is_default, upd.created_at, upd.verified_at, upd.last_step
			FROM (SELECT 1) AS one LEFT JOIN cur ON true LEFT JOIN upd ON true`,
			userID, deviceID, st, now)
		var (
			curVerified *bool
			curStep     *int64
			updated     bool
			u           struct {
				id, user, typ, alias *string
				sealed               []byte
				verified, def        *bool
				created, verifiedAt  *time.Time
				step                 *int64
			}
		)
		err := m.s.batch(ctx, b, func(br pgx.BatchResults) error {
			if _, err := br.Exec(); err != nil {
				return err
			}
			return br.QueryRow().Scan(&curVerified, &curStep, &updated, &u.id, &u.user, &u.typ, &u.alias,
				&u.sealed, &u.verified, &u.def, &u.created, &u.verifiedAt, &u.step)
		})
		switch {
		case err != nil:
			return err
		case updated:
			d = mfa.DeviceRecord{
				ID: *u.id, UserID: *u.user, Type: mfa.DeviceType(*u.typ), Alias: *u.alias,
				SealedSecret: u.sealed, Verified: *u.verified, Default: *u.def,
				CreatedAt: timeOf(u.created), VerifiedAt: timeOf(u.verifiedAt), LastStep: uint64(*u.step),
			}
			return nil
		case curVerified == nil:
			return decided(mfa.ErrNotFound)
		case *curVerified:
			return decided(mfa.ErrAlreadyConfirmed)
		case *curStep >= st:
			return decided(mfa.ErrStepUsed)
		}
		return errRetry
	})
	return d, err
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

// DeleteDevice implements mfa.DeviceStore: under the user's lock, the
// DELETE and, if no default is left, the promotion of the oldest verified
// device, in one pipelined transaction.
func (m *MFAStore) DeleteDevice(ctx context.Context, userID, deviceID string) error {
	return m.s.run(ctx, "mfa delete device", func(ctx context.Context) error {
		b := &pgx.Batch{}
		b.Queue(lockUserDevices, userID)
		b.Queue(`DELETE FROM authkit_mfa_devices WHERE id = $1 AND user_id = $2`, deviceID, userID)
		b.Queue(`
			UPDATE authkit_mfa_devices SET is_default = true
			WHERE id = (SELECT id FROM authkit_mfa_devices WHERE user_id = $1 AND verified ORDER BY created_at, id COLLATE "C" LIMIT 1)
			  AND NOT EXISTS (SELECT 1 FROM authkit_mfa_devices WHERE user_id = $1 AND is_default)`, userID)
		var deleted int64
		err := m.s.batch(ctx, b, func(br pgx.BatchResults) error {
			if _, err := br.Exec(); err != nil {
				return err
			}
			tag, err := br.Exec()
			if err != nil {
				return err
			}
			deleted = tag.RowsAffected()
			_, err = br.Exec()
			return err
		})
		switch {
		case err != nil:
			return err
		case deleted == 0:
			return decided(mfa.ErrNotFound)
		}
		return nil
	})
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
