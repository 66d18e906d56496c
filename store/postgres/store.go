package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/internal/limitrule"
)

// ErrUnavailable is wrapped by every error that comes from the database
// rather than from a decision: the server could not be reached, the
// connection broke, the context's deadline passed, or a statement failed
// (for example because Migrate was not run). No decision was made; callers
// must fail closed. When a context ended the operation, errors.Is(err,
// context.DeadlineExceeded) or errors.Is(err, context.Canceled) holds too.
// It wraps authkit.ErrStoreUnavailable.
var ErrUnavailable = fmt.Errorf("postgres: %w", authkit.ErrStoreUnavailable)

// ErrConfig is returned by New and Store.Limiter for an invalid
// configuration: a nil pool, a limiter without a name or with an invalid
// rule.
var ErrConfig = errors.New("postgres: invalid config")

// ErrInvalidArgument is returned, before any I/O, for arguments a store
// cannot hold: an empty id or token id, a TOTP step above 2^63-1.
var ErrInvalidArgument = errors.New("postgres: invalid argument")

// DefaultTimeout bounds one operation when the caller's context has no
// earlier deadline and Options.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Options configures New.
type Options struct {
	// Timeout bounds each operation (including waiting for a pooled
	// connection) when the context has no earlier deadline, so that an
	// unreachable server makes requests fail promptly instead of hanging.
	// 0 means DefaultTimeout; negative means no bound beyond the context's.
	Timeout time.Duration
	// Now is the clock of the rate limiters made by Store.Limiter (the
	// other stores take the time as an argument). nil means time.Now.
	Now func() time.Time
}

// Store is the PostgreSQL implementation of every authkit store interface.
// It is safe for concurrent use; every atomic operation is one statement
// (or one pipelined transaction), so several processes may share
// one database. Run Migrate once before use.
type Store struct {
	pool    *pgxpool.Pool
	timeout time.Duration
	now     func() time.Time
	rules   limitrule.Registry // limiter names handed out (Limiter)
}

// New returns a Store on pool, which the host owns (and closes). The pool's
// connections decide the schema: tables live in, and are looked up through,
// the search_path (see WithSchema). New does no I/O.
func New(pool *pgxpool.Pool, opts Options) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: nil pool", ErrConfig)
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &Store{pool: pool, timeout: timeout, now: clock.Or(opts.Now)}, nil
}

// Verifications returns the verification.Store view of s.
func (s *Store) Verifications() *VerificationStore { return &VerificationStore{s} }

// MFA returns the mfa.Store view of s.
func (s *Store) MFA() *MFAStore { return &MFAStore{s} }

// Sessions returns the session.Store view of s.
func (s *Store) Sessions() *SessionStore { return &SessionStore{s} }

// OAuthStates returns the oauth.Store view of s.
func (s *Store) OAuthStates() *OAuthStateStore { return &OAuthStateStore{s} }

// op bounds ctx by the store's timeout unless it already ends sooner.
func (s *Store) op(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout < 0 {
		return ctx, func() {}
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= s.timeout {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

// maxRetries bounds the re-runs of an operation whose statement lost a race
// it cannot classify (see classify) or hit a deadlock or serialization
// failure. Each re-run sees a newer snapshot, so a handful always suffices
// in practice; running out is reported as ErrUnavailable, never a success.
const maxRetries = 16

// errRetry is returned by an operation's body when the statement changed
// nothing but its snapshot says it should have: a concurrent transaction
// changed the row in between. Nothing was written, so running it again is
// safe.
var errRetry = errors.New("postgres: concurrent change, retry")

// run executes body with a bounded context, retrying on errRetry and on
// transient PostgreSQL errors (serialization failure, deadlock), and wraps
// database errors in ErrUnavailable. Errors of the interfaces (sentinels of
// the implemented packages) pass through unchanged.
func (s *Store) run(ctx context.Context, name string, body func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, name, err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	var err error
	for range maxRetries {
		err = body(ctx)
		if err == nil {
			return nil
		}
		var de *decisionError
		if errors.As(err, &de) {
			return de.err
		}
		if errors.Is(err, errRetry) || transient(err) {
			if ctx.Err() != nil {
				break
			}
			continue
		}
		break
	}
	return s.unavailable(ctx, name, err)
}

// unavailable wraps a database error so that ErrUnavailable and, when the
// context ended, the context's error both match.
func (s *Store) unavailable(ctx context.Context, name string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %s: %w (%w)", ErrUnavailable, name, err, cerr)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, name, err)
}

// decisionError carries an answer of the interface (ErrNotFound, …) out of
// an operation's body so that run does not mistake it for a database
// failure.
type decisionError struct{ err error }

func (e *decisionError) Error() string { return e.err.Error() }

// decided marks err as the store's answer, not a failure.
func decided(err error) error { return &decisionError{err} }

// transient reports PostgreSQL errors after which the whole operation may be
// re-run: its transaction was rolled back.
func transient(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		}
	}
	return false
}

// beginReadCommitted starts every transaction the store runs. The
// multi-statement operations take a lock first and then decide on what is
// committed once it is granted, which only READ COMMITTED guarantees (each
// statement takes a new snapshot). Under REPEATABLE READ or SERIALIZABLE,
// which a host may set as default_transaction_isolation, the snapshot would
// date from before the lock: a device limit could be exceeded, a remaining
// count repeated, a concurrent Migrate fail. So the level is never left to
// the session's default.
const beginReadCommitted = `BEGIN ISOLATION LEVEL READ COMMITTED`

// batch sends b's statements as one pipelined transaction (one round trip
// once the statements are prepared), at READ COMMITTED whatever the
// session's default, and hands their results to read. The transaction
// commits only if read returned nil and every statement succeeded; a failed
// one leaves it aborted, and pgxpool then discards the connection rather
// than reuse it.
func (s *Store) batch(ctx context.Context, b *pgx.Batch, read func(pgx.BatchResults) error) error {
	tb := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(b.QueuedQueries)+2)}
	tb.Queue(beginReadCommitted)
	tb.QueuedQueries = append(tb.QueuedQueries, b.QueuedQueries...)
	tb.Queue(`COMMIT`)
	br := s.pool.SendBatch(ctx, tb)
	_, err := br.Exec()
	if err == nil {
		err = read(br)
	}
	if err == nil {
		var tag pgconn.CommandTag
		if tag, err = br.Exec(); err == nil && tag.String() != "COMMIT" {
			err = fmt.Errorf("transaction not committed (%s)", tag)
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// timeOf reads a nullable timestamptz back as a UTC time (zero for NULL).
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// micro truncates t to the microsecond, the precision of timestamptz, so
// that comparisons made in Go agree with those made in SQL.
func micro(t time.Time) time.Time { return t.Truncate(time.Microsecond) }
