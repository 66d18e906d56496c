package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/authkit/authkit/mfa"
)

// SetDefaultDevice implements mfa.DeviceStore: under the user's lock, the
// other devices lose the flag (only when the named device is the user's
// and verified) and then the device gets it, in one pipelined transaction.
// Two statements because the one-default unique index is checked row by
// row.
func (m *MFAStore) SetDefaultDevice(ctx context.Context, userID, deviceID string) error {
	return m.s.run(ctx, "mfa set default device", func(ctx context.Context) error {
		b := &pgx.Batch{}
		b.Queue(lockUserDevices, userID)
		b.Queue(`
			UPDATE authkit_mfa_devices SET is_default = false
			WHERE user_id = $1 AND is_default AND id <> $2
			  AND EXISTS (SELECT 1 FROM authkit_mfa_devices WHERE id = $2 AND user_id = $1 AND verified)`, userID, deviceID)
		b.Queue(`UPDATE authkit_mfa_devices SET is_default = true WHERE id = $2 AND user_id = $1 AND verified`, userID, deviceID)
		var set int64
		err := m.s.batch(ctx, b, func(br pgx.BatchResults) error {
			for range 2 {
				if _, err := br.Exec(); err != nil {
					return err
				}
			}
			tag, err := br.Exec()
			set = tag.RowsAffected()
			return err
		})
		switch {
		case err != nil:
			return err
		case set == 0:
			return decided(mfa.ErrNotFound)
		}
		return nil
	})
}
