// Package postgres stores authkit's state in PostgreSQL through a
// [github.com/jackc/pgx/v5/pgxpool.Pool] that the host supplies. One [Store]
// implements every store interface of the library:
//
//   - verification.Store: [Store.Verifications]
//   - mfa.Store (devices, recovery codes, MFA tokens, failure limiters) and
//     mfa.RecoveryAttempter (recovery-code failures kept with the set): [Store.MFA]
//   - session.Store: [Store.Sessions]
//   - oauth.Store: [Store.OAuthStates]
//   - account.Store (users and their credentials): [Store.Accounts]
//   - ratelimit.Counter, one per named rule: [Store.Limiter] (Store is a
//     ratelimit.Backend, as the Redis store is)
//
// and passes each package's conformance suite, concurrency cases included.
//
// # Schema
//
// The schema is a list of versioned SQL files embedded in the binary
// ([Migrations]). [Store.Migrate] applies the missing ones in one
// transaction, serialised across processes by an advisory lock, so every
// instance may call it at start-up. Tables (all named authkit_*) live in the
// first schema of the connections' search_path: use [WithSchema] or
// options=-c search_path=… in the DSN to give authkit a schema of its own.
// [Store.Cleanup] deletes rows that can no longer affect a decision; schedule
// it every few minutes.
//
// # Atomicity
//
// Every read-modify-write of the interfaces is decided inside PostgreSQL,
// never by reading a row into Go and writing it back: a conditional UPDATE
// (UPDATE … WHERE used_at IS NULL AND attempts < $max RETURNING …), an upsert
// (INSERT … ON CONFLICT … DO UPDATE … WHERE), a DELETE … RETURNING, or, where
// a decision spans rows (a user's device count or default device, a recovery
// set), a short transaction whose first statement takes a row or
// advisory lock, sent as one pipelined batch. Transactions run at READ
// COMMITTED whatever the database's default_transaction_isolation (a
// statement after the lock must see what the previous holder committed).
// Under READ COMMITTED a concurrent change makes PostgreSQL re-check the
// WHERE clause on the newest row version; under a stricter default a single
// statement that loses a race fails with a serialization error and is run
// again. Either way, of N concurrent uses of one code, step, state or token
// exactly one wins. Each operation is one round trip to the server when the
// statements are prepared; a refused operation whose statement snapshot
// cannot say why it was refused (it raced with a concurrent change) is run
// again, which is safe because it wrote nothing.
//
// # Failures
//
// Every error that is not an answer of the interface (ErrNotFound,
// ErrWrongCode, …) wraps [ErrUnavailable] and, when a context ended the
// operation, the context's error. No operation reports success, or accepts
// a code, TOTP step, recovery code, state or token, unless its statement
// committed. Each operation is bounded by Options.Timeout (5 s by default)
// when the caller's context has no earlier deadline, so that a dead server
// fails requests promptly; pgxpool replaces broken connections, so the store
// works again as soon as the server is back.
//
// By default pgx gives up on a timed-out statement by abandoning the
// connection, and the server may still run it (for instance once a row
// lock it waited for is released): the caller accepted nothing, so this
// fails closed, but a code or state may be used up unseen. Configure the
// pool with [CancelQueriesOnTimeout] to have such statements canceled and
// rolled back instead.
//
// # Costs
//
// The hot operations (a verification check, a TOTP step, a state or token
// id consumed, a rate-limit decision) are one round trip each once pgx has
// prepared their statements; a test counts them. The benchmarks report
// latency percentiles and round trips per operation next to a bare
// SELECT's.
//
// A recovery-code attempt is one round trip too: the failure limit, the
// consume and the failure count are one call of
// authkit_mfa_recovery_attempt, which locks the user's recovery set row
// and then the user's failures (a sliding rule's events and lifetime
// count, kept in a row of their own that outlives the set), instead of a
// reserve on a failure limiter, the consume and a refund (three round
// trips). Both it and the sliding limiter compute their wait
// with one SQL function, authkit_sliding_wait, the port of ratelimit's
// sliding rule.
//
// Times are stored with microsecond precision (timestamptz); the store
// truncates the now it is given to microseconds before comparing.
package postgres
