package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
)

// AccountStore implements account.Store on PostgreSQL (tables
// authkit_users and authkit_user_credentials, migration 0002). Get it from
// Store.Accounts.
//
// The unique index on the credential key makes a credential's owner unique.
// Each operation is one pipelined transaction (one round trip once the
// statements are prepared): FindOrCreate is an upsert of the credential
// that inserts the user in the same statement only when the credential was
// new, then a read; Unlink first locks the credential's row and the
// user's, and decides in a third statement, whose snapshot is taken after
// the locks are granted, so concurrent unlinks of one user are counted one
// after the other. Every operation locks credential rows before the
// user's row, so that they never deadlock with one another.
type AccountStore struct{ s *Store }

var _ account.Store = (*AccountStore)(nil)

// Accounts returns the account.Store view of s.
func (s *Store) Accounts() *AccountStore { return &AccountStore{s} }

// userSelect reads one user with its credentials, in attach order; each
// credential is its data plus the columns, decoded as a VerifiedCredential.
const userSelect = `
	SELECT u.id, u.environment_id, u.profile, u.first_visit, u.last_visit, u.last_verified_credential_id,
		COALESCE((SELECT jsonb_agg(c.data || jsonb_build_object('id', c.id, 'signInEnabled', c.sign_in_enabled,
			'lastSelectedAt', c.last_selected_at) ORDER BY c.position)
			FROM authkit_user_credentials c WHERE c.user_id = u.id), '[]')
	FROM authkit_users u `

// scanUser reads a userSelect row; found is false for no row.
func scanUser(row pgx.Row) (u authkit.User, found bool, err error) {
	var (
		profile, creds []byte
		first, last    time.Time
		id, env, lvc   string
	)
	if err := row.Scan(&id, &env, &profile, &first, &last, &lvc, &creds); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return authkit.User{}, false, nil
		}
		return authkit.User{}, false, err
	}
	if err := json.Unmarshal(profile, &u); err != nil {
		return authkit.User{}, false, fmt.Errorf("corrupt profile of user %s: %w", id, err)
	}
	if err := json.Unmarshal(creds, &u.VerifiedCredentials); err != nil {
		return authkit.User{}, false, fmt.Errorf("corrupt credentials of user %s: %w", id, err)
	}
	for i := range u.VerifiedCredentials {
		if t := u.VerifiedCredentials[i].LastSelectedAt; t != nil {
			*t = t.UTC()
		}
	}
	first, last = first.UTC(), last.UTC()
	u.ID, u.ProjectEnvironmentID, u.LastVerifiedCredentialID = id, env, lvc
	u.FirstVisit, u.LastVisit = &first, &last
	return u, true, nil
}

// credData is the stored JSON of a credential: the wire form without the
// fields kept in columns.
func credData(c account.Credential) ([]byte, error) {
	vc := c.VerifiedCredential
	vc.ID, vc.SignInEnabled, vc.LastSelectedAt = "", false, nil
	b, err := json.Marshal(vc)
	if err != nil {
		return nil, fmt.Errorf("%w: credential: %v", ErrInvalidArgument, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	delete(m, "id")
	delete(m, "signInEnabled")
	return json.Marshal(m)
}

func checkCred(c account.Credential) error {
	if c.Key == "" || c.ID == "" {
		return fmt.Errorf("%w: credential without key or id", ErrInvalidArgument)
	}
	return nil
}

// FindOrCreate implements account.Store.
func (a *AccountStore) FindOrCreate(ctx context.Context, u authkit.User, c account.Credential, now time.Time) (authkit.User, bool, error) {
	if u.ID == "" {
		return authkit.User{}, false, fmt.Errorf("%w: empty user id", ErrInvalidArgument)
	}
	if err := checkCred(c); err != nil {
		return authkit.User{}, false, err
	}
	data, err := credData(c)
	if err != nil {
		return authkit.User{}, false, err
	}
	var (
		out     authkit.User
		created bool
	)
	err = a.s.run(ctx, "account find or create", func(ctx context.Context) error {
		b := &pgx.Batch{}
		// The upsert locks the credential's row (new or existing) until
		// commit; the user is inserted only when the credential was, and
		// the foreign key is checked at the end of the statement.
		b.Queue(`
			WITH c AS (
				INSERT INTO authkit_user_credentials AS c (id, user_id, key, sign_in_enabled, data, last_selected_at)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, last_selected_at = EXCLUDED.last_selected_at
				RETURNING c.id, c.user_id, c.user_id = $2 AS inserted
			), nu AS (
				INSERT INTO authkit_users (id, environment_id, first_visit, last_visit, last_verified_credential_id)
				SELECT $2, $7, $6, $6, c.id FROM c WHERE c.inserted
			), tu AS (
				UPDATE authkit_users u SET last_visit = $6, last_verified_credential_id = c.id
				FROM c WHERE u.id = c.user_id AND NOT c.inserted
			)
			SELECT inserted FROM c`,
			c.ID, u.ID, c.Key, c.SignInEnabled, data, now, u.ProjectEnvironmentID)
		b.Queue(userSelect+`WHERE u.id = (SELECT user_id FROM authkit_user_credentials WHERE key = $1)`, c.Key)
		return a.s.batch(ctx, b, func(br pgx.BatchResults) error {
			if err := br.QueryRow().Scan(&created); err != nil {
				return err
			}
			var found bool
			var err error
			if out, found, err = scanUser(br.QueryRow()); err == nil && !found {
				err = errors.New("credential without user")
			}
			return err
		})
	})
	if err != nil {
		return authkit.User{}, false, err
	}
	return out, created, nil
}

// isForeignKey reports a foreign-key violation: the user was deleted
// while a credential was being attached.
func isForeignKey(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// Link implements account.Store.
func (a *AccountStore) Link(ctx context.Context, userID string, c account.Credential, now time.Time) (authkit.User, error) {
	if err := checkCred(c); err != nil {
		return authkit.User{}, err
	}
	data, err := credData(c)
	if err != nil {
		return authkit.User{}, err
	}
	var out authkit.User
	err = a.s.run(ctx, "account link", func(ctx context.Context) error {
		b := &pgx.Batch{}
		// The upsert refreshes the credential only when this user holds
		// it; a key held by another user makes c empty (taken). A refresh
		// keeps sign_in_enabled (see account.Store).
		b.Queue(`
			WITH u AS (
				SELECT id FROM authkit_users WHERE id = $2
			), c AS (
				INSERT INTO authkit_user_credentials AS c (id, user_id, key, sign_in_enabled, data, last_selected_at)
				SELECT $1, u.id, $3, $4, $5, $6 FROM u
				ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, last_selected_at = EXCLUDED.last_selected_at
				WHERE c.user_id = EXCLUDED.user_id
				RETURNING c.id
			), tu AS (
				UPDATE authkit_users u SET last_visit = $6, last_verified_credential_id = c.id FROM c WHERE u.id = $2
			)
			SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM c)`,
			c.ID, userID, c.Key, c.SignInEnabled, data, now)
		// The insert drew its position before the user's row was locked,
		// so two links of one user could commit in the other order. A new
		// credential (the only row with c.ID) draws again under the lock:
		// positions then follow commit order, and the read below, a new
		// snapshot, holds every credential attached before this one.
		b.Queue(`UPDATE authkit_user_credentials SET position = DEFAULT WHERE id = $1 AND user_id = $2`, c.ID, userID)
		b.Queue(userSelect+`WHERE u.id = $1`, userID)
		return a.s.batch(ctx, b, func(br pgx.BatchResults) error {
			var nu, nc int
			if err := br.QueryRow().Scan(&nu, &nc); err != nil {
				if isForeignKey(err) {
					return decided(account.ErrNotFound)
				}
				return err
			}
			if _, err := br.Exec(); err != nil {
				return err
			}
			var found bool
			var err error
			out, found, err = scanUser(br.QueryRow())
			switch {
			case err != nil:
				return err
			case nu == 0 || !found:
				return decided(account.ErrNotFound)
			case nc == 0:
				return decided(account.ErrCredentialTaken)
			}
			return nil
		})
	})
	if err != nil {
		return authkit.User{}, err
	}
	return out, nil
}

// Unlink implements account.Store.
func (a *AccountStore) Unlink(ctx context.Context, userID, credentialID string) (authkit.User, error) {
	var out authkit.User
	err := a.s.run(ctx, "account unlink", func(ctx context.Context) error {
		b := &pgx.Batch{}
		// The credential's row first, then the user's: the order of
		// FindOrCreate and Link (credential upsert, then user update) and
		// Delete, so that none of them deadlocks with another. The user's
		// lock serialises unlinks of one user; the next statement's
		// snapshot then includes every earlier unlink.
		b.Queue(`SELECT 1 FROM authkit_user_credentials WHERE id = $2 AND user_id = $1 FOR UPDATE`, userID, credentialID)
		b.Queue(`SELECT 1 FROM authkit_users WHERE id = $1 FOR UPDATE`, userID)
		// status: 0 removed, 1 no such user, 2 no such credential, 3 last.
		b.Queue(`
			WITH t AS (
				SELECT id, sign_in_enabled FROM authkit_user_credentials WHERE user_id = $1 AND id = $2
			), ok AS (
				SELECT t.id FROM t WHERE NOT t.sign_in_enabled OR EXISTS (
					SELECT 1 FROM authkit_user_credentials c WHERE c.user_id = $1 AND c.id <> $2 AND c.sign_in_enabled)
			), d AS (
				DELETE FROM authkit_user_credentials c USING ok WHERE c.id = ok.id RETURNING c.id
			), lv AS (
				UPDATE authkit_users u SET last_verified_credential_id = '' FROM d
				WHERE u.id = $1 AND u.last_verified_credential_id = d.id
			)
			SELECT CASE
				WHEN NOT EXISTS (SELECT 1 FROM authkit_users WHERE id = $1) THEN 1
				WHEN NOT EXISTS (SELECT 1 FROM t) THEN 2
				WHEN NOT EXISTS (SELECT 1 FROM d) THEN 3
				ELSE 0 END`, userID, credentialID)
		b.Queue(userSelect+`WHERE u.id = $1`, userID)
		return a.s.batch(ctx, b, func(br pgx.BatchResults) error {
			for range 2 {
				if _, err := br.Exec(); err != nil {
					return err
				}
			}
			var st int
			if err := br.QueryRow().Scan(&st); err != nil {
				return err
			}
			var err error
			if out, _, err = scanUser(br.QueryRow()); err != nil {
				return err
			}
			switch st {
			case 1:
				return decided(account.ErrNotFound)
			case 2:
				return decided(account.ErrCredentialNotFound)
			case 3:
				return decided(account.ErrLastCredential)
			}
			return nil
		})
	})
	if err != nil {
		return authkit.User{}, err
	}
	return out, nil
}

// Get implements account.Store.
func (a *AccountStore) Get(ctx context.Context, userID string) (authkit.User, error) {
	var out authkit.User
	err := a.s.run(ctx, "account get", func(ctx context.Context) error {
		u, found, err := scanUser(a.s.pool.QueryRow(ctx, userSelect+`WHERE u.id = $1`, userID))
		if err != nil {
			return err
		}
		if !found {
			return decided(account.ErrNotFound)
		}
		out = u
		return nil
	})
	if err != nil {
		return authkit.User{}, err
	}
	return out, nil
}

// UpdateProfile implements account.Store: the patch (Profile's JSON form)
// is merged into the profile in one UPDATE, which re-reads the row when a
// concurrent update committed first, so no update is lost.
func (a *AccountStore) UpdateProfile(ctx context.Context, userID string, p account.Profile) (authkit.User, error) {
	patch, err := json.Marshal(p)
	if err != nil {
		return authkit.User{}, fmt.Errorf("%w: profile: %v", ErrInvalidArgument, err)
	}
	var out authkit.User
	err = a.s.run(ctx, "account update profile", func(ctx context.Context) error {
		b := &pgx.Batch{}
		b.Queue(`UPDATE authkit_users SET profile = profile || $2 WHERE id = $1`, userID, patch)
		b.Queue(userSelect+`WHERE u.id = $1`, userID)
		return a.s.batch(ctx, b, func(br pgx.BatchResults) error {
			if _, err := br.Exec(); err != nil {
				return err
			}
			var found bool
			var err error
			if out, found, err = scanUser(br.QueryRow()); err == nil && !found {
				return decided(account.ErrNotFound)
			}
			return err
		})
	})
	if err != nil {
		return authkit.User{}, err
	}
	return out, nil
}

// Delete implements account.Store; the credentials go with the user (ON
// DELETE CASCADE). Their rows are locked first, in id order, so that
// Delete takes its locks in the order of the other operations (credential,
// then user) and never deadlocks with them.
func (a *AccountStore) Delete(ctx context.Context, userID string) error {
	return a.s.run(ctx, "account delete", func(ctx context.Context) error {
		b := &pgx.Batch{}
		b.Queue(`SELECT 1 FROM authkit_user_credentials WHERE user_id = $1 ORDER BY id FOR UPDATE`, userID)
		b.Queue(`DELETE FROM authkit_users WHERE id = $1`, userID)
		return a.s.batch(ctx, b, func(br pgx.BatchResults) error {
			if _, err := br.Exec(); err != nil {
				return err
			}
			tag, err := br.Exec()
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return decided(account.ErrNotFound)
			}
			return nil
		})
	})
}
