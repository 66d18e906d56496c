package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authkit/authkit/mfa"
)

// tokenCols are the columns of authkit_mfa_tokens in TokenRecord order.
const tokenCols = `digest, user_id, session_id, single_use, created_at, expires_at`

// CreateToken implements mfa.TokenStore.
func (m *MFAStore) CreateToken(ctx context.Context, t mfa.TokenRecord) error {
	return m.s.run(ctx, "mfa create token", func(ctx context.Context) error {
		tag, err := m.s.pool.Exec(ctx, `INSERT INTO authkit_mfa_tokens (`+tokenCols+`) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (digest) DO NOTHING`,
			nonNil(t.Digest), t.UserID, t.SessionID, t.SingleUse, t.CreatedAt, t.ExpiresAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return decided(mfa.ErrDuplicate)
		}
		return nil
	})
}

// UseToken implements mfa.TokenStore in one statement: a live single-use
// token is deleted (DELETE … RETURNING, so of concurrent uses exactly one
// gets the row), a live multi-use token is read.
func (m *MFAStore) UseToken(ctx context.Context, digest []byte, userID, sessionID string, now time.Time) (mfa.TokenRecord, error) {
	var t mfa.TokenRecord
	err := m.s.run(ctx, "mfa use token", func(ctx context.Context) error {
		err := m.s.pool.QueryRow(ctx, `
			WITH del AS (
				DELETE FROM authkit_mfa_tokens
				WHERE digest = $1 AND user_id = $2 AND (session_id = '' OR session_id = $3) AND expires_at > $4 AND single_use
				RETURNING `+tokenCols+`
			)
			SELECT `+tokenCols+` FROM del
			UNION ALL
			SELECT `+tokenCols+` FROM authkit_mfa_tokens
			WHERE digest = $1 AND user_id = $2 AND (session_id = '' OR session_id = $3) AND expires_at > $4 AND NOT single_use`,
			nonNil(digest), userID, sessionID, now).Scan(&t.Digest, &t.UserID, &t.SessionID, &t.SingleUse, &t.CreatedAt, &t.ExpiresAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return decided(mfa.ErrNotFound)
		}
		t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC()
		return err
	})
	if err != nil {
		return mfa.TokenRecord{}, err
	}
	return t, nil
}
