package postgres

import (
	"context"
	"time"

	"github.com/authkit/authkit/devicebind"
)

// DeviceNonceStore implements devicebind.Store: one row per nonce digest,
// consumed by a DELETE … RETURNING, so of concurrent consumers exactly one
// gets the row.
type DeviceNonceStore struct{ s *Store }

var _ devicebind.Store = (*DeviceNonceStore)(nil)

// DeviceNonces returns the devicebind.Store on this database.
func (s *Store) DeviceNonces() *DeviceNonceStore { return &DeviceNonceStore{s} }

// CreateNonce implements devicebind.Store.
func (d *DeviceNonceStore) CreateNonce(ctx context.Context, digest []byte, expiresAt time.Time) error {
	return d.s.run(ctx, "device nonce save", func(ctx context.Context) error {
		_, err := d.s.pool.Exec(ctx, `INSERT INTO authkit_device_nonces (digest, expires_at) VALUES ($1, $2)`, digest, expiresAt)
		if isUniqueViolation(err) {
			return decided(devicebind.ErrDuplicate)
		}
		return err
	})
}

// ConsumeNonce implements devicebind.Store. An expired row is left for
// Cleanup: deleting it here would gain nothing.
func (d *DeviceNonceStore) ConsumeNonce(ctx context.Context, digest []byte, now time.Time) error {
	return d.s.run(ctx, "device nonce consume", func(ctx context.Context) error {
		tag, err := d.s.pool.Exec(ctx, `DELETE FROM authkit_device_nonces WHERE digest = $1 AND expires_at > $2`, digest, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return decided(devicebind.ErrNotFound)
		}
		return nil
	})
}
