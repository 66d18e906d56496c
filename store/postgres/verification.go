package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/verification"
)

// VerificationStore implements verification.Store on PostgreSQL. Get it
// from Store.Verifications.
//
// Codes are compared in SQL (bytea equality, not constant-time): the values
// compared are HMACs under a server secret, so their timing tells an
// attacker nothing they could steer, and each wrong guess costs one of the
// few attempts.
type VerificationStore struct{ s *Store }

var _ verification.Store = (*VerificationStore)(nil)

const verificationCols = `id, channel, destination, phone_country_code, phone_national, phone_region,
	code_hash, attempts, sends, created_at, sent_at, expires_at, purge_at, used_at`

// scanVerification reads verificationCols.
func scanVerification(row pgx.Row, r *verification.Record) error {
	var ch string
	var used *time.Time
	if err := row.Scan(&r.ID, &ch, &r.Destination, &r.PhoneCountryCode, &r.PhoneNational, &r.PhoneRegion,
		&r.CodeHash, &r.Attempts, &r.Sends, &r.CreatedAt, &r.SentAt, &r.ExpiresAt, &r.PurgeAt, &used); err != nil {
		return err
	}
	r.Channel = verification.Channel(ch)
	r.CreatedAt, r.SentAt, r.ExpiresAt, r.PurgeAt = r.CreatedAt.UTC(), r.SentAt.UTC(), r.ExpiresAt.UTC(), r.PurgeAt.UTC()
	r.UsedAt = timeOf(used)
	return nil
}

// Create implements verification.Store.
func (v *VerificationStore) Create(ctx context.Context, r verification.Record) error {
	if r.ID == "" {
		return ErrInvalidArgument
	}
	return v.s.run(ctx, "verification create", func(ctx context.Context) error {
		tag, err := v.s.pool.Exec(ctx, `INSERT INTO authkit_verifications (`+verificationCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (id) DO NOTHING`,
			r.ID, string(r.Channel), r.Destination, r.PhoneCountryCode, r.PhoneNational, r.PhoneRegion,
			nonNil(r.CodeHash), r.Attempts, r.Sends, r.CreatedAt, r.SentAt, r.ExpiresAt, r.PurgeAt, nullTime(r.UsedAt))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return decided(verification.ErrDuplicate)
		}
		return nil
	})
}

var _ verification.LimitedCreator = (*VerificationStore)(nil)

// CreateLimited implements verification.LimitedCreator in one statement,
// a call of authkit_verification_create: the limiters' events and the
// insert are one transaction and one round trip. Each limiter must be a
// *Limiter of a Store on this Store's pool (else errors.ErrUnsupported);
// each decides at its own clock, as its Allow does.
func (v *VerificationStore) CreateLimited(ctx context.Context, r verification.Record, key string, limits []ratelimit.Limiter) (int, ratelimit.Decision, error) {
	if r.ID == "" {
		return -1, ratelimit.Decision{}, ErrInvalidArgument
	}
	n := len(limits)
	names, sliding := make([]string, n), make([]bool, n)
	nows, limit, window, cooldown := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	lifetime, interval, span := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, l := range limits {
		pl, ok := l.(*Limiter)
		if !ok || pl.s.pool != v.s.pool {
			return -1, ratelimit.Decision{}, fmt.Errorf("postgres: limiter %d is not of this store: %w", i, errors.ErrUnsupported)
		}
		rule := pl.rule
		names[i], sliding[i], nows[i] = pl.name, rule.Sliding, pl.now().UnixNano()
		limit[i], window[i], cooldown[i], lifetime[i] = int64(rule.Limit), int64(rule.Window), int64(rule.Cooldown), int64(rule.Lifetime)
		interval[i], span[i] = pl.interval, pl.span
	}
	refused, d := -1, ratelimit.Decision{}
	err := v.s.run(ctx, "verification create", func(ctx context.Context) error {
		var (
			ref     int
			wait    int64
			created bool
		)
		err := v.s.pool.QueryRow(ctx, `SELECT refused, wait, created FROM authkit_verification_create(
				$1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
				$11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`,
			names, dbKey(key), nows, sliding, limit, window, cooldown, lifetime, interval, span,
			r.ID, string(r.Channel), r.Destination, r.PhoneCountryCode, r.PhoneNational, r.PhoneRegion,
			nonNil(r.CodeHash), r.Attempts, r.Sends, r.CreatedAt, r.SentAt, r.ExpiresAt, r.PurgeAt, nullTime(r.UsedAt),
		).Scan(&ref, &wait, &created)
		switch {
		case err != nil:
			return err
		case ref > 0:
			refused, d = ref-1, ratelimit.Decision{RetryAfter: time.Duration(wait)}
		case !created:
			return decided(verification.ErrDuplicate)
		}
		return nil
	})
	if err != nil {
		return -1, ratelimit.Decision{}, err
	}
	return refused, d, nil
}

// Get implements verification.Store.
func (v *VerificationStore) Get(ctx context.Context, id string) (verification.Record, error) {
	var r verification.Record
	err := v.s.run(ctx, "verification get", func(ctx context.Context) error {
		err := scanVerification(v.s.pool.QueryRow(ctx, `SELECT `+verificationCols+` FROM authkit_verifications WHERE id = $1`, id), &r)
		if errors.Is(err, pgx.ErrNoRows) {
			return decided(verification.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return verification.Record{}, err
	}
	return r, nil
}

// The conditional statements below all follow one pattern: a CTE "cur"
// reads the row as of the statement's snapshot, a CTE "upd" changes it only
// if the operation's condition holds (re-checked by PostgreSQL on the newest
// row version if a concurrent transaction changed it), and the result
// carries both. When upd changed nothing, cur says why; if cur says the
// condition held, the row changed concurrently and the statement is re-run
// (errRetry): it wrote nothing, so that is safe. One round trip in every
// case without contention.

// updVerification receives the "upd." columns of a conditional
// statement: all NULL when the row was not changed.
type updVerification struct {
	id, ch, dest, cc, nat, reg        *string
	hash                              []byte
	attempts, sends                   *int
	created, sent, exp, purge, usedAt *time.Time
}

func (u *updVerification) targets() []any {
	return []any{&u.id, &u.ch, &u.dest, &u.cc, &u.nat, &u.reg, &u.hash, &u.attempts, &u.sends,
		&u.created, &u.sent, &u.exp, &u.purge, &u.usedAt}
}

func (u *updVerification) record() verification.Record {
	return verification.Record{
		ID: *u.id, Channel: verification.Channel(*u.ch), Destination: *u.dest,
		PhoneCountryCode: *u.cc, PhoneNational: *u.nat, PhoneRegion: *u.reg,
		CodeHash: u.hash, Attempts: *u.attempts, Sends: *u.sends,
		CreatedAt: timeOf(u.created), SentAt: timeOf(u.sent), ExpiresAt: timeOf(u.exp),
		PurgeAt: timeOf(u.purge), UsedAt: timeOf(u.usedAt),
	}
}

const updVerificationCols = `upd.id, upd.channel, upd.destination, upd.phone_country_code,
	upd.phone_national, upd.phone_region, upd.code_hash, upd.attempts, upd.sends,
	upd.created_at, upd.sent_at, upd.expires_at, upd.purge_at, upd.used_at`

// ReplaceCode implements verification.Store in one conditional UPDATE.
func (v *VerificationStore) ReplaceCode(ctx context.Context, id string, codeHash []byte, now, expiresAt, purgeAt time.Time, maxAttempts int) (verification.Record, error) {
	var r verification.Record
	err := v.s.run(ctx, "verification replace code", func(ctx context.Context) error {
		var (
			curUsed     *time.Time
			curAttempts *int
			u           updVerification
		)
		row := v.s.pool.QueryRow(ctx, `
			WITH cur AS (
				SELECT used_at, attempts FROM authkit_verifications WHERE id = $1
			), upd AS (
				UPDATE authkit_verifications
				SET code_hash = $2, sent_at = $3, expires_at = $4, purge_at = $5, sends = sends + 1
				WHERE id = $1 AND used_at IS NULL AND attempts < $6
				RETURNING `+verificationCols+`
			)
			SELECT cur.used_at, cur.attempts, `+updVerificationCols+`
			FROM (SELECT 1) AS one LEFT JOIN cur ON true LEFT JOIN upd ON true`,
			id, nonNil(codeHash), now, expiresAt, purgeAt, maxAttempts)
		if err := row.Scan(append([]any{&curUsed, &curAttempts}, u.targets()...)...); err != nil {
			return err
		}
		switch {
		case u.id != nil:
			r = u.record()
			return nil
		case curAttempts == nil:
			return decided(verification.ErrNotFound)
		case curUsed != nil:
			return decided(verification.ErrAlreadyUsed)
		case *curAttempts >= maxAttempts:
			return decided(verification.ErrTooManyAttempts)
		}
		return errRetry
	})
	return r, err
}

// Attempt implements verification.Store in one conditional UPDATE: a right
// code sets used_at, a wrong one adds an attempt, and neither happens unless
// the verification is unused, unexpired and below maxAttempts.
func (v *VerificationStore) Attempt(ctx context.Context, id string, candidates [][]byte, now time.Time, maxAttempts int) (verification.Record, error) {
	return v.attempt(ctx, "", id, candidates, now, maxAttempts)
}

var _ verification.ChannelAttempter = (*VerificationStore)(nil)

// AttemptOn implements verification.ChannelAttempter: Attempt's statement
// with the channel in its conditions, so a record of another channel is
// neither read nor changed.
func (v *VerificationStore) AttemptOn(ctx context.Context, ch verification.Channel, id string, candidates [][]byte, now time.Time, maxAttempts int) (verification.Record, error) {
	if ch == "" {
		return verification.Record{}, verification.ErrNotFound
	}
	return v.attempt(ctx, ch, id, candidates, now, maxAttempts)
}

// attempt is Attempt (ch "") and AttemptOn.
func (v *VerificationStore) attempt(ctx context.Context, ch verification.Channel, id string, candidates [][]byte, now time.Time, maxAttempts int) (verification.Record, error) {
	if candidates == nil {
		candidates = [][]byte{}
	}
	now = micro(now)
	var r verification.Record
	err := v.s.run(ctx, "verification attempt", func(ctx context.Context) error {
		var (
			curUsed, curExp *time.Time
			curAttempts     *int
			u               updVerification
		)
		row := v.s.pool.QueryRow(ctx, `
			WITH cur AS (
				SELECT used_at, expires_at, attempts FROM authkit_verifications
				WHERE id = $1 AND ($5 = '' OR channel = $5)
			), upd AS (
				UPDATE authkit_verifications
				SET attempts = attempts + CASE WHEN code_hash = ANY($2::bytea[]) THEN 0 ELSE 1 END,
				    used_at = CASE WHEN code_hash = ANY($2::bytea[]) THEN $3 ELSE NULL END
				WHERE id = $1 AND ($5 = '' OR channel = $5) AND used_at IS NULL AND expires_at > $3 AND attempts < $4
				RETURNING `+verificationCols+`
			)
			SELECT cur.used_at, cur.expires_at, cur.attempts, `+updVerificationCols+`
			FROM (SELECT 1) AS one LEFT JOIN cur ON true LEFT JOIN upd ON true`,
			id, candidates, now, maxAttempts, string(ch))
		if err := row.Scan(append([]any{&curUsed, &curExp, &curAttempts}, u.targets()...)...); err != nil {
			return err
		}
		switch {
		case u.id != nil:
			r = u.record()
			return nil
		case curAttempts == nil:
			return decided(verification.ErrNotFound)
		case curUsed != nil:
			return decided(verification.ErrAlreadyUsed)
		case !now.Before(*curExp):
			return decided(verification.ErrExpired)
		case *curAttempts >= maxAttempts:
			return decided(verification.ErrTooManyAttempts)
		}
		return errRetry
	})
	if err != nil {
		return verification.Record{}, err
	}
	if r.UsedAt.IsZero() {
		// The row was changed, but by adding an attempt: a wrong code.
		return r, verification.ErrWrongCode
	}
	return r, nil
}

// Limiter implements verification.Store: Store.Limiter, so the send
// limits are rows of authkit_rate_limits like every other limit.
func (v *VerificationStore) Limiter(cfg ratelimit.LimiterConfig) (ratelimit.Counter, error) {
	return v.s.Limiter(cfg)
}

// nonNil stores a nil byte slice as an empty bytea rather than NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
