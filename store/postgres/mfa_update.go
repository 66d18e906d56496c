package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authkit/authkit/mfa"
)

// UpdateDevices implements mfa.DeviceStore as one READ COMMITTED
// transaction in two round trips. The first begins it, locks the user's row
// of authkit_mfa_device_owners (inserted on first use) and then reads the
// user's devices FOR UPDATE: a separate statement, so its snapshot is taken
// once the lock is granted, and the row locks make a concurrent
// MarkStepUsed wait. fn runs in Go; the second round trip writes what
// changed and commits. A deadlock or serialization failure runs it all
// again, fn included.
func (m *MFAStore) UpdateDevices(ctx context.Context, userID string, fn func(mfa.Devices) (mfa.Devices, error)) error {
	if userID == "" {
		return fmt.Errorf("%w: empty user id", ErrInvalidArgument)
	}
	return m.s.run(ctx, "mfa update devices", func(ctx context.Context) error {
		conn, err := m.s.pool.Acquire(ctx)
		if err != nil {
			return err
		}
		// A connection released inside the transaction (after an error) is
		// closed by pgxpool, never reused.
		defer conn.Release()
		old, err := lockDevices(ctx, conn, userID)
		if err != nil {
			return err
		}
		cp := make(mfa.Devices, len(old))
		for i, d := range old {
			d.SealedSecret = bytes.Clone(d.SealedSecret)
			cp[i] = d
		}
		next, err := fn(cp)
		if err != nil {
			_, _ = conn.Exec(ctx, `ROLLBACK`)
			return decided(err)
		}
		b, err := deviceWrites(userID, old, next)
		if err != nil {
			_, _ = conn.Exec(ctx, `ROLLBACK`)
			return decided(err)
		}
		b.Queue(`COMMIT`)
		br := conn.SendBatch(ctx, b)
		var tag pgconn.CommandTag
		for range b.Len() {
			if tag, err = br.Exec(); err != nil {
				break
			}
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		var pe *pgconn.PgError
		switch {
		case errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "authkit_mfa_devices_pkey":
			return decided(mfa.ErrDuplicate) // another user's device id
		case err != nil:
			return err
		case tag.String() != "COMMIT":
			return fmt.Errorf("transaction not committed (%s)", tag)
		}
		return nil
	})
}

// lockDevices begins the transaction, takes the user's lock and returns
// the user's devices, oldest first, locked.
func lockDevices(ctx context.Context, conn *pgxpool.Conn, userID string) (mfa.Devices, error) {
	b := &pgx.Batch{}
	b.Queue(beginReadCommitted)
	b.Queue(`INSERT INTO authkit_mfa_device_owners (user_id) VALUES ($1) ON CONFLICT DO NOTHING`, userID)
	b.Queue(`SELECT 1 FROM authkit_mfa_device_owners WHERE user_id = $1 FOR UPDATE`, userID)
	b.Queue(`SELECT `+deviceCols+` FROM authkit_mfa_devices WHERE user_id = $1 ORDER BY created_at, id COLLATE "C" FOR UPDATE`, userID)
	br := conn.SendBatch(ctx, b)
	var list []mfa.DeviceRecord
	err := func() error {
		for range 3 {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (mfa.DeviceRecord, error) { return scanDevice(r) })
		return err
	}()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if list == nil {
		list = mfa.Devices{}
	}
	return list, err
}

// deviceWrites queues the statements that turn old into next: deletions
// first, then the rows that are not the default, then the default one, so
// the one-default unique index (checked row by row) never sees two.
func deviceWrites(userID string, old, next mfa.Devices) (*pgx.Batch, error) {
	b := &pgx.Batch{}
	before := make(map[string]mfa.DeviceRecord, len(old))
	for _, d := range old {
		before[d.ID] = d
	}
	keep := make(map[string]bool, len(next))
	for _, d := range next {
		keep[d.ID] = true
	}
	var gone []string
	for _, d := range old {
		if !keep[d.ID] {
			gone = append(gone, d.ID)
		}
	}
	if len(gone) > 0 {
		b.Queue(`DELETE FROM authkit_mfa_devices WHERE user_id = $1 AND id = ANY($2)`, userID, gone)
	}
	for _, isDefault := range []bool{false, true} {
		for _, d := range next {
			if d.Default != isDefault {
				continue
			}
			o, had := before[d.ID]
			if had && sameDevice(o, d) {
				continue
			}
			last, err := step(d.LastStep)
			if err != nil {
				return nil, err
			}
			if d.ID == "" {
				return nil, fmt.Errorf("%w: empty device id", ErrInvalidArgument)
			}
			args := []any{d.ID, userID, string(d.Type), d.Alias, nonNil(d.SealedSecret), d.Verified, d.Default,
				d.CreatedAt, nullTime(d.VerifiedAt), last}
			if had {
				b.Queue(`UPDATE authkit_mfa_devices SET type = $3, alias = $4, sealed_secret = $5, verified = $6,
					is_default = $7, created_at = $8, verified_at = $9, last_step = $10
					WHERE id = $1 AND user_id = $2`, args...)
			} else {
				b.Queue(`INSERT INTO authkit_mfa_devices (`+deviceCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, args...)
			}
		}
	}
	return b, nil
}

// sameDevice reports whether a device needs no write.
func sameDevice(a, b mfa.DeviceRecord) bool {
	return a.Type == b.Type && a.Alias == b.Alias && bytes.Equal(a.SealedSecret, b.SealedSecret) &&
		a.Verified == b.Verified && a.Default == b.Default && a.CreatedAt.Equal(b.CreatedAt) &&
		a.VerifiedAt.Equal(b.VerifiedAt) && a.LastStep == b.LastStep
}
