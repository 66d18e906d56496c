package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/keysync"
)

// SessionKeys returns the keysync.Store view of s: the shared signing
// key set (public JWKs and their schedule; never a private key).
func (s *Store) SessionKeys() *SessionKeyStore { return &SessionKeyStore{s} }

// SessionKeyStore implements keysync.Store on PostgreSQL.
type SessionKeyStore struct{ s *Store }

var _ keysync.Store = (*SessionKeyStore)(nil)

// PublishKey implements keysync.Store in one INSERT … ON CONFLICT DO
// NOTHING.
func (ks *SessionKeyStore) PublishKey(ctx context.Context, k keysync.PublishedKey) error {
	if k.KID == "" || len(k.JWK) == 0 {
		return fmt.Errorf("%w: key without kid or JWK", ErrInvalidArgument)
	}
	return ks.s.run(ctx, "session key publish", func(ctx context.Context) error {
		tag, err := ks.s.pool.Exec(ctx, `
			INSERT INTO authkit_session_keys (kid, jwk, publish_at, sign_from) VALUES ($1, $2, $3, $4)
			ON CONFLICT (kid) DO NOTHING`, k.KID, string(k.JWK), k.PublishAt, k.SignFrom)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return decided(session.ErrDuplicate)
		}
		return nil
	})
}

// PublishedKeys implements keysync.Store.
func (ks *SessionKeyStore) PublishedKeys(ctx context.Context) ([]keysync.PublishedKey, error) {
	var out []keysync.PublishedKey
	err := ks.s.run(ctx, "session keys", func(ctx context.Context) error {
		rows, err := ks.s.pool.Query(ctx, `SELECT kid, jwk, publish_at, sign_from FROM authkit_session_keys`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (keysync.PublishedKey, error) {
			var (
				k   keysync.PublishedKey
				jwk string
			)
			err := row.Scan(&k.KID, &jwk, &k.PublishAt, &k.SignFrom)
			k.JWK, k.PublishAt, k.SignFrom = []byte(jwk), k.PublishAt.UTC(), k.SignFrom.UTC()
			return k, err
		})
		return err
	})
	return out, err
}

// DeleteKey implements keysync.Store.
func (ks *SessionKeyStore) DeleteKey(ctx context.Context, kid string) error {
	return ks.s.run(ctx, "session key delete", func(ctx context.Context) error {
		_, err := ks.s.pool.Exec(ctx, `DELETE FROM authkit_session_keys WHERE kid = $1`, kid)
		return err
	})
}
