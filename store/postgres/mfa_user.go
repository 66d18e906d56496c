package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// DeleteUser implements mfa.UserStore: the user's device lock row and
// devices, recovery set and codes, and MFA tokens go in one pipelined
// transaction. The failure limiters' keys and the recovery-code failures
// stay (they limit guessing); Cleanup removes them once they no longer
// count.
func (m *MFAStore) DeleteUser(ctx context.Context, userID string) error {
	return m.s.run(ctx, "mfa delete user", func(ctx context.Context) error {
		b := &pgx.Batch{}
		// The owner row first, in UpdateDevices' lock order.
		b.Queue(`DELETE FROM authkit_mfa_device_owners WHERE user_id = $1`, userID)
		b.Queue(`DELETE FROM authkit_mfa_devices WHERE user_id = $1`, userID)
		b.Queue(`DELETE FROM authkit_mfa_recovery_codes WHERE user_id = $1`, userID)
		b.Queue(`DELETE FROM authkit_mfa_recovery_sets WHERE user_id = $1`, userID)
		b.Queue(`DELETE FROM authkit_mfa_tokens WHERE user_id = $1`, userID)
		return m.s.batch(ctx, b, func(br pgx.BatchResults) error {
			for range 5 {
				if _, err := br.Exec(); err != nil {
					return err
				}
			}
			return nil
		})
	})
}
