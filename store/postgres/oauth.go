package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authkit/authkit/oauth"
)

// OAuthStateStore implements oauth.Store on PostgreSQL. Get it from
// Store.OAuthStates.
type OAuthStateStore struct{ s *Store }

var _ oauth.Store = (*OAuthStateStore)(nil)

const stateCols = `state, provider, redirect_url, return_url, code_verifier, code_challenge, nonce,
	created_at, expires_at, callback_at, code, error, error_description, callback_user, consumed_at`

// updStateCols are stateCols prefixed with the upd CTE's name.
const updStateCols = `upd.state, upd.provider, upd.redirect_url, upd.return_url, upd.code_verifier,
	upd.code_challenge, upd.nonce, upd.created_at, upd.expires_at, upd.callback_at, upd.code, upd.error,
	upd.error_description, upd.callback_user, upd.consumed_at`

// nullState receives stateCols, all NULL when a LEFT JOIN found no row.
type nullState struct {
	state, provider, redirect, ret, verifier, challenge, nonce *string
	created, expires, callback                                 *time.Time
	code, errCode, errDesc, user                               *string
	consumed                                                   *time.Time
}

func (n *nullState) targets() []any {
	return []any{&n.state, &n.provider, &n.redirect, &n.ret, &n.verifier, &n.challenge, &n.nonce,
		&n.created, &n.expires, &n.callback, &n.code, &n.errCode, &n.errDesc, &n.user, &n.consumed}
}

func (n *nullState) record() oauth.State {
	return oauth.State{
		State: *n.state, Provider: *n.provider, RedirectURL: *n.redirect, ReturnURL: *n.ret,
		CodeVerifier: *n.verifier, CodeChallenge: *n.challenge, Nonce: *n.nonce,
		CreatedAt: timeOf(n.created), ExpiresAt: timeOf(n.expires), CallbackAt: timeOf(n.callback),
		Code: *n.code, Error: *n.errCode, ErrorDescription: *n.errDesc, CallbackUser: *n.user,
		ConsumedAt: timeOf(n.consumed),
	}
}

// Create implements oauth.Store in one upsert that replaces only an
// expired record.
func (st *OAuthStateStore) Create(ctx context.Context, rec oauth.State, now time.Time) error {
	return st.s.run(ctx, "oauth save state", func(ctx context.Context) error {
		tag, err := st.s.pool.Exec(ctx, `
			INSERT INTO authkit_oauth_states AS s (`+stateCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
			ON CONFLICT (state) DO UPDATE SET
				provider = EXCLUDED.provider, redirect_url = EXCLUDED.redirect_url,
				return_url = EXCLUDED.return_url, code_verifier = EXCLUDED.code_verifier,
				code_challenge = EXCLUDED.code_challenge, nonce = EXCLUDED.nonce,
				created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
				callback_at = EXCLUDED.callback_at, code = EXCLUDED.code, error = EXCLUDED.error,
				error_description = EXCLUDED.error_description, callback_user = EXCLUDED.callback_user,
				consumed_at = EXCLUDED.consumed_at
			WHERE s.expires_at <= $16`,
			rec.State, rec.Provider, rec.RedirectURL, rec.ReturnURL, rec.CodeVerifier, rec.CodeChallenge, rec.Nonce,
			rec.CreatedAt, rec.ExpiresAt, nullTime(rec.CallbackAt), rec.Code, rec.Error, rec.ErrorDescription,
			rec.CallbackUser, nullTime(rec.ConsumedAt), now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return decided(oauth.ErrDuplicate)
		}
		return nil
	})
}

// Get implements oauth.Store.
func (st *OAuthStateStore) Get(ctx context.Context, state string, now time.Time) (oauth.State, error) {
	now = micro(now)
	var rec oauth.State
	err := st.s.run(ctx, "oauth get state", func(ctx context.Context) error {
		var n nullState
		err := st.s.pool.QueryRow(ctx, `SELECT `+stateCols+` FROM authkit_oauth_states WHERE state = $1`, state).Scan(n.targets()...)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return decided(oauth.ErrNotFound)
		case err != nil:
			return err
		}
		rec = n.record()
		if !now.Before(rec.ExpiresAt) {
			return decided(oauth.ErrStateExpired)
		}
		return nil
	})
	if err != nil {
		return oauth.State{}, err
	}
	return rec, nil
}

// RecordCallback implements oauth.Store in one conditional UPDATE
// (… WHERE consumed_at IS NULL AND callback_at IS NULL).
func (st *OAuthStateStore) RecordCallback(ctx context.Context, state string, cb oauth.Callback, now time.Time) (oauth.State, error) {
	return st.update(ctx, "oauth record callback", `
		UPDATE authkit_oauth_states
		SET callback_at = $2, code = $3, error = $4, error_description = $5, callback_user = $6
		WHERE state = $1 AND expires_at > $2 AND consumed_at IS NULL AND callback_at IS NULL
		RETURNING `+stateCols,
		micro(now), true, state, micro(now), cb.Code, cb.Error, cb.ErrorDescription, cb.User)
}

// Consume implements oauth.Store in one conditional UPDATE
// (… WHERE consumed_at IS NULL).
func (st *OAuthStateStore) Consume(ctx context.Context, state string, now time.Time) (oauth.State, error) {
	return st.update(ctx, "oauth consume state", `
		UPDATE authkit_oauth_states SET consumed_at = $2
		WHERE state = $1 AND expires_at > $2 AND consumed_at IS NULL
		RETURNING `+stateCols,
		micro(now), false, state, micro(now))
}

// update runs a conditional UPDATE of one state (its $1 is the state) with
// the snapshot of the row beside it, and classifies a refusal in the order
// the interface gives: not found, expired, used, callback recorded.
func (st *OAuthStateStore) update(ctx context.Context, name, upd string, now time.Time, callback bool, args ...any) (oauth.State, error) {
	var rec oauth.State
	err := st.s.run(ctx, name, func(ctx context.Context) error {
		var (
			curExp, curConsumed, curCallback *time.Time
			u                                nullState
		)
		row := st.s.pool.QueryRow(ctx, `
			WITH cur AS (
				SELECT expires_at, consumed_at, callback_at FROM authkit_oauth_states WHERE state = $1
			), upd AS (`+upd+`)
			SELECT cur.expires_at, cur.consumed_at, cur.callback_at, `+updStateCols+`
			FROM (SELECT 1) AS one LEFT JOIN cur ON true LEFT JOIN upd ON true`, args...)
		if err := row.Scan(append([]any{&curExp, &curConsumed, &curCallback}, u.targets()...)...); err != nil {
			return err
		}
		switch {
		case u.state != nil:
			rec = u.record()
			return nil
		case curExp == nil:
			return decided(oauth.ErrNotFound)
		case !now.Before(*curExp):
			return decided(oauth.ErrStateExpired)
		case curConsumed != nil:
			return decided(oauth.ErrStateUsed)
		case callback && curCallback != nil:
			return decided(oauth.ErrCallbackRecorded)
		}
		return errRetry
	})
	if err != nil {
		return oauth.State{}, err
	}
	return rec, nil
}
