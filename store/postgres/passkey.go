package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authkit/authkit/passkey"
)

// PasskeyStore implements passkey.Store (challenges and credentials) on
// PostgreSQL. Get it from Store.Passkeys.
type PasskeyStore struct{ s *Store }

var _ passkey.Store = (*PasskeyStore)(nil)

// Passkeys returns the passkey.Store view of s.
func (s *Store) Passkeys() *PasskeyStore { return &PasskeyStore{s} }

const challengeCols = `digest, ceremony, user_id, session_id, rp_id, user_verification, created_at, expires_at`

// CreateChallenge implements passkey.ChallengeStore.
func (p *PasskeyStore) CreateChallenge(ctx context.Context, c passkey.ChallengeRecord) error {
	if len(c.Digest) == 0 {
		return fmt.Errorf("%w: empty challenge digest", ErrInvalidArgument)
	}
	return p.s.run(ctx, "passkey create challenge", func(ctx context.Context) error {
		tag, err := p.s.pool.Exec(ctx, `INSERT INTO authkit_passkey_challenges (`+challengeCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (digest) DO NOTHING`,
			c.Digest, string(c.Ceremony), c.UserID, c.SessionID, c.RPID, c.UserVerification, c.CreatedAt, c.ExpiresAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return decided(passkey.ErrDuplicate)
		}
		return nil
	})
}

// ConsumeChallenge implements passkey.ChallengeStore in one statement: a
// DELETE … RETURNING conditioned on the binding and expiry, beside a read
// of the row that tells a missing challenge from a mismatched one.
func (p *PasskeyStore) ConsumeChallenge(ctx context.Context, digest []byte, ceremony passkey.Ceremony, userID, sessionID string, now time.Time) (passkey.ChallengeRecord, error) {
	var c passkey.ChallengeRecord
	err := p.s.run(ctx, "passkey consume challenge", func(ctx context.Context) error {
		var (
			curCeremony, curUser, curSession *string
			curExpires                       *time.Time
			deleted                          bool
			del                              struct {
				digest                          []byte
				ceremony, user, session, rp, uv *string
				created, expires                *time.Time
			}
		)
		err := p.s.pool.QueryRow(ctx, `
			WITH cur AS (
				SELECT ceremony, user_id, session_id, expires_at FROM authkit_passkey_challenges WHERE digest = $1
			), del AS (
				DELETE FROM authkit_passkey_challenges
				WHERE digest = $1 AND ceremony = $2 AND user_id = $3 AND session_id = $4 AND expires_at > $5
				RETURNING `+challengeCols+`
			)
			SELECT cur.ceremony, cur.user_id, cur.session_id, cur.expires_at, del.digest IS NOT NULL,
				del.digest, del.ceremony, del.user_id, del.session_id, del.rp_id, del.user_verification,
				del.created_at, del.expires_at
			FROM (SELECT 1) AS one LEFT JOIN cur ON true LEFT JOIN del ON true`,
			digest, string(ceremony), userID, sessionID, now).Scan(
			&curCeremony, &curUser, &curSession, &curExpires, &deleted,
			&del.digest, &del.ceremony, &del.user, &del.session, &del.rp, &del.uv, &del.created, &del.expires)
		switch {
		case err != nil:
			return err
		case deleted:
			c = passkey.ChallengeRecord{
				Digest: del.digest, Ceremony: passkey.Ceremony(*del.ceremony), UserID: *del.user,
				SessionID: *del.session, RPID: *del.rp, UserVerification: *del.uv,
				CreatedAt: timeOf(del.created), ExpiresAt: timeOf(del.expires),
			}
			return nil
		case curCeremony == nil || !curExpires.After(micro(now)):
			return decided(passkey.ErrNotFound)
		case *curCeremony != string(ceremony) || *curUser != userID || *curSession != sessionID:
			return decided(passkey.ErrCeremonyMismatch)
		}
		// The row matched in the snapshot but a concurrent consume deleted
		// it first; the retry sees it gone.
		return errRetry
	})
	return c, err
}

const credentialCols = `id, user_id, credential_id, public_key, attestation_type, attestation_format, aaguid,
	transports, sign_count, user_verified, backup_eligible, backup_state, alias, origin, created_at, updated_at, last_used_at`

func scanCredential(row pgx.Row) (passkey.CredentialRecord, error) {
	var n nullCredential
	if err := row.Scan(n.targets()...); err != nil {
		return passkey.CredentialRecord{}, err
	}
	return n.record(), nil
}

// lockUserPasskeys serialises the changes to one user's set of passkeys
// (creation under the maximum, deletion under keepOne), so that each
// decides on committed data.
const lockUserPasskeys = `SELECT pg_advisory_xact_lock(hashtextextended('authkit.passkeys.' || $1, 0))`

// CreateCredential implements passkey.CredentialStore: under the user's
// lock, one INSERT … SELECT that counts the user's credentials.
func (p *PasskeyStore) CreateCredential(ctx context.Context, c passkey.CredentialRecord, max int) error {
	if c.ID == "" || c.UserID == "" || len(c.CredentialID) == 0 {
		return fmt.Errorf("%w: empty passkey, user or credential id", ErrInvalidArgument)
	}
	transports := c.Transports
	if transports == nil {
		transports = []string{}
	}
	return p.s.run(ctx, "passkey create credential", func(ctx context.Context) error {
		b := &pgx.Batch{}
		b.Queue(lockUserPasskeys, c.UserID)
		b.Queue(`
			WITH n AS (SELECT count(*) AS n FROM authkit_passkeys WHERE user_id = $2),
			ins AS (
				INSERT INTO authkit_passkeys (`+credentialCols+`)
				SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17 FROM n WHERE n.n < $18
				ON CONFLICT DO NOTHING
				RETURNING 1
			)
			SELECT (SELECT n FROM n), EXISTS (SELECT 1 FROM ins)`,
			c.ID, c.UserID, c.CredentialID, nonNil(c.PublicKey), c.AttestationType, c.AttestationFormat,
			nonNil(c.AAGUID), transports, int64(c.SignCount), c.UserVerified, c.BackupEligible, c.BackupState,
			c.Alias, c.Origin, c.CreatedAt, nullTime(c.UpdatedAt), nullTime(c.LastUsedAt), max)
		var (
			n        int
			inserted bool
		)
		err := p.s.batch(ctx, b, func(br pgx.BatchResults) error {
			if _, err := br.Exec(); err != nil {
				return err
			}
			return br.QueryRow().Scan(&n, &inserted)
		})
		switch {
		case err != nil:
			return err
		case inserted:
			return nil
		case n >= max:
			return decided(passkey.ErrTooManyPasskeys)
		}
		return decided(passkey.ErrDuplicate)
	})
}

// GetCredential implements passkey.CredentialStore.
func (p *PasskeyStore) GetCredential(ctx context.Context, credentialID []byte) (passkey.CredentialRecord, error) {
	var c passkey.CredentialRecord
	err := p.s.run(ctx, "passkey get credential", func(ctx context.Context) error {
		var err error
		c, err = scanCredential(p.s.pool.QueryRow(ctx, `SELECT `+credentialCols+` FROM authkit_passkeys WHERE credential_id = $1`, credentialID))
		if errors.Is(err, pgx.ErrNoRows) {
			return decided(passkey.ErrNotFound)
		}
		return err
	})
	return c, err
}

// ListCredentials implements passkey.CredentialStore.
func (p *PasskeyStore) ListCredentials(ctx context.Context, userID string) ([]passkey.CredentialRecord, error) {
	var list []passkey.CredentialRecord
	err := p.s.run(ctx, "passkey list credentials", func(ctx context.Context) error {
		rows, err := p.s.pool.Query(ctx, `SELECT `+credentialCols+` FROM authkit_passkeys WHERE user_id = $1 ORDER BY created_at, id COLLATE "C"`, userID)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (passkey.CredentialRecord, error) { return scanCredential(r) })
		return err
	})
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []passkey.CredentialRecord{}
	}
	return list, nil
}

// UseCredential implements passkey.CredentialStore in one conditional
// UPDATE (… WHERE $count > sign_count OR both are 0); concurrent updates of
// the row are serialised by its row lock, and the loser re-reads the
// counter the winner wrote.
func (p *PasskeyStore) UseCredential(ctx context.Context, userID string, credentialID []byte, signCount uint32, backupState bool, now time.Time) (passkey.CredentialRecord, error) {
	var c passkey.CredentialRecord
	err := p.s.run(ctx, "passkey use credential", func(ctx context.Context) error {
		var (
			cur *int64
			u   nullCredential
		)
		err := p.s.pool.QueryRow(ctx, `
			WITH cur AS (
				SELECT sign_count FROM authkit_passkeys WHERE credential_id = $1 AND user_id = $2
			), upd AS (
				UPDATE authkit_passkeys SET sign_count = $3, backup_state = $4, last_used_at = $5
				WHERE credential_id = $1 AND user_id = $2 AND ($3 > sign_count OR ($3 = 0 AND sign_count = 0))
				RETURNING `+credentialCols+`
			)
			SELECT cur.sign_count, `+updCredentialCols+`
			FROM (SELECT 1) AS one LEFT JOIN cur ON true LEFT JOIN upd ON true`,
			credentialID, userID, int64(signCount), backupState, now).Scan(append([]any{&cur}, u.targets()...)...)
		switch {
		case err != nil:
			return err
		case u.id != nil:
			c = u.record()
			return nil
		case cur == nil:
			return decided(passkey.ErrNotFound)
		case !passkey.CounterAdvances(uint32(*cur), signCount):
			return decided(passkey.ErrSignCount)
		}
		return errRetry // a concurrent use moved the counter after our snapshot
	})
	return c, err
}

// updCredentialCols are credentialCols prefixed with the upd CTE's name.
const updCredentialCols = `upd.id, upd.user_id, upd.credential_id, upd.public_key, upd.attestation_type,
	upd.attestation_format, upd.aaguid, upd.transports, upd.sign_count, upd.user_verified, upd.backup_eligible,
	upd.backup_state, upd.alias, upd.origin, upd.created_at, upd.updated_at, upd.last_used_at`

// nullCredential receives credentialCols, all NULL when a LEFT JOIN found
// no row.
type nullCredential struct {
	id, user, attType, attFmt, alias, origin *string
	credID, pub, aaguid                      []byte
	transports                               []string
	count                                    *int64
	uv, be, bs                               *bool
	created, updated, lastUse                *time.Time
}

func (n *nullCredential) targets() []any {
	return []any{&n.id, &n.user, &n.credID, &n.pub, &n.attType, &n.attFmt, &n.aaguid, &n.transports, &n.count,
		&n.uv, &n.be, &n.bs, &n.alias, &n.origin, &n.created, &n.updated, &n.lastUse}
}

func (n *nullCredential) record() passkey.CredentialRecord {
	c := passkey.CredentialRecord{
		ID: *n.id, UserID: *n.user, CredentialID: n.credID, PublicKey: n.pub, AttestationType: *n.attType,
		AttestationFormat: *n.attFmt, AAGUID: n.aaguid, Transports: n.transports, SignCount: uint32(*n.count),
		UserVerified: *n.uv, BackupEligible: *n.be, BackupState: *n.bs, Alias: *n.alias, Origin: *n.origin,
		CreatedAt: timeOf(n.created), UpdatedAt: timeOf(n.updated), LastUsedAt: timeOf(n.lastUse),
	}
	if len(c.Transports) == 0 {
		c.Transports = nil
	}
	return c
}

// RenameCredential implements passkey.CredentialStore.
func (p *PasskeyStore) RenameCredential(ctx context.Context, userID, id, alias string, now time.Time) (passkey.CredentialRecord, error) {
	var c passkey.CredentialRecord
	err := p.s.run(ctx, "passkey rename credential", func(ctx context.Context) error {
		var err error
		c, err = scanCredential(p.s.pool.QueryRow(ctx, `UPDATE authkit_passkeys SET alias = $3, updated_at = $4
			WHERE id = $1 AND user_id = $2 RETURNING `+credentialCols, id, userID, alias, now))
		if errors.Is(err, pgx.ErrNoRows) {
			return decided(passkey.ErrNotFound)
		}
		return err
	})
	return c, err
}

// DeleteCredential implements passkey.CredentialStore: under the user's
// lock, one DELETE conditioned on the user keeping another credential.
func (p *PasskeyStore) DeleteCredential(ctx context.Context, userID, id string, keepOne bool) error {
	return p.s.run(ctx, "passkey delete credential", func(ctx context.Context) error {
		b := &pgx.Batch{}
		b.Queue(lockUserPasskeys, userID)
		b.Queue(`
			WITH c AS (
				SELECT count(*) AS n, coalesce(bool_or(id = $1), false) AS has FROM authkit_passkeys WHERE user_id = $2
			), del AS (
				DELETE FROM authkit_passkeys
				WHERE id = $1 AND user_id = $2 AND (NOT $3 OR (SELECT n FROM c) > 1)
				RETURNING 1
			)
			SELECT (SELECT has FROM c), EXISTS (SELECT 1 FROM del)`, id, userID, keepOne)
		var has, deleted bool
		err := p.s.batch(ctx, b, func(br pgx.BatchResults) error {
			if _, err := br.Exec(); err != nil {
				return err
			}
			return br.QueryRow().Scan(&has, &deleted)
		})
		switch {
		case err != nil:
			return err
		case deleted:
			return nil
		case !has:
			return decided(passkey.ErrNotFound)
		}
		return decided(passkey.ErrLastCredential)
	})
}

// DeleteUserCredentials implements passkey.CredentialStore.
func (p *PasskeyStore) DeleteUserCredentials(ctx context.Context, userID string) error {
	return p.s.run(ctx, "passkey delete user", func(ctx context.Context) error {
		b := &pgx.Batch{}
		b.Queue(lockUserPasskeys, userID)
		b.Queue(`DELETE FROM authkit_passkeys WHERE user_id = $1`, userID)
		return p.s.batch(ctx, b, func(br pgx.BatchResults) error {
			if _, err := br.Exec(); err != nil {
				return err
			}
			_, err := br.Exec()
			return err
		})
	})
}
