// Package redis stores authkit's records in Redis (standalone, Sentinel or
// Cluster) through a go-redis UniversalClient the host creates:
//
//	store, err := redis.New(client, redis.Options{Prefix: "myapp"})
//	verification.Config{Store: store.Verifications(), …}
//	mfa.Config{Store: store.MFA(), …}
//	session.Config{Store: store.Sessions(), …}
//	oauth.Config{Store: store.OAuthStates(), …}
//	account.Config{Store: store.Accounts(), …}
//	limiter, err := store.Limiter(ratelimit.LimiterConfig{Name: "signin", Rule: rule})
//
// Every store passes its package's conformance suite (verificationtest,
// mfatest, sessiontest, oauthtest, ratelimittest) against a real server,
// standalone and as a three-node Cluster.
//
// # Atomicity
//
// Every read-modify-write (checking a code, marking a TOTP step used,
// consuming a recovery code, an MFA token, an OAuth state or a jti, a
// rate-limit decision) is one Lua script or one command on one key, so
// Redis runs it atomically and of N concurrent calls exactly the allowed
// number succeed. Scripts run with EVALSHA and are loaded on a miss (EVAL),
// so each atomic operation is one round trip once warm. Times are passed in
// by the caller (the Config.Now of each service), never read from the Redis
// clock, and are stored as whole microseconds.
//
// # Keys and Cluster
//
// Keys are "{<prefix>:<kind>:<id>}": the braces make the whole name the
// hash tag, so a script only ever touches one slot and runs on Cluster
// unchanged. A record that needs a second key puts a suffix after the tag
// ("{<prefix>:att:<key>}:mfalt", the lifetime TOTP failure count next to
// its attempt window), so both stay in one slot and one script. Data that
// spans records of one user is kept under one key tagged by the user id:
// all of a user's MFA devices are one hash (the device limit, the default
// device and promotion on delete are then one script), as are their
// recovery codes and the recovery-code failures counted against them
// (which DeleteUser keeps): MFAStore is an mfa.RecoveryAttempter, so the
// failure limit (ratelimit's Sliding rule, ported once to Lua and shared
// with Limiter), the consume and the failure count of a recovery-code
// attempt are one script, one round trip. Sessions are the exception, because
// Get and Revoke know only the session id: a session is a hash keyed by its
// id (one round trip for the per-request check) and each user has an index
// of session ids; RevokeAllForUser reads the index and revokes each session
// with a pipelined script (two round trips). The account directory is the
// other exception the other way round: all of it shares one hash tag, so
// that claiming a credential key and creating or changing its user is one
// script (see AccountStore). Identifiers other than
// [A-Za-z0-9._@+-] are base64url-encoded in keys, and long ones hashed, so
// no id can forge another key or a brace.
//
// Every key expires when its record can no longer matter: a verification at
// PurgeAt, a session or MFA token at ExpiresAt, an OAuth state an hour after
// ExpiresAt, a consumed token id a minute after its expiresAt (so that a
// host whose clock lags still finds it), an attempt window or send history
// at the window's end, a rate-limit key when fully refilled. The TTL is set as a duration (PEXPIRE
// of end − now, by the caller's clock) rather than PEXPIREAT, so that clock
// skew between host and server does not shorten it; it only reclaims memory,
// as every decision compares the record's absolute times with the caller's
// now. MFA devices, recovery sets (with their failures) and lifetime
// failure counts do not expire (a lifetime count is deleted when it
// returns to 0); the recovery failures DeleteUser leaves expire one
// failure window later unless they hold a lifetime count.
//
// # Security
//
// Lua has no constant-time comparison. The only secret-derived values a
// script compares are keyed hashes — HMAC-SHA256 digests of codes under a
// server secret — compared with '==' (verification codes), or used as key
// and field names (MFA tokens, recovery codes). Timing can reveal at most
// how much of a digest an attacker's guess matched, and since nobody can
// compute the digest of a guess without the secret, that tells them nothing
// about which code to try next.
//
// Errors fail closed. A failure to reach Redis, a timeout or a canceled
// context returns an error wrapping ErrUnavailable (with
// context.DeadlineExceeded or context.Canceled visible through errors.Is),
// never a success: a call whose outcome is unknown is reported as failed,
// so no code, step, recovery code, token, state or jti is accepted because
// of an error. The context deadline bounds every call: with a client made
// with ContextTimeoutEnabled the socket reads themselves; otherwise the
// store returns at the deadline and leaves the command to finish in the
// background. go-redis may retry a command after a network error (see
// Options.MaxRetries). A retried script that had already run finds its record
// used or counts an attempt or a send twice, which fails closed; the one
// script that gives something back, Limiter.Refund, carries a random id so
// that its retry is a no-op (no extra TOTP attempt).
//
// Redis must keep what it is given: MFA devices, recovery codes and
// revocations are permanent records, and a consumed jti, used TOTP step or
// consumed state must not come back after a restart. Run Redis with
// persistence (appendonly yes; appendfsync always to lose nothing,
// everysec to risk one second of writes) and replicas, and use a prefix per
// deployment on a shared server. Replication is asynchronous, so a
// failover can lose the last writes the old primary acknowledged (a
// consumed code or jti among them): a risk inherent to Redis replication.
//
// Set maxmemory-policy noeviction (the Redis default). Under an allkeys-* or
// volatile-* policy a full server silently drops keys: an evicted jti or
// consumed state key lets a single-use token be used again, an evicted
// attempt window or rate-limit key resets a limit, and evicted MFA devices
// or recovery codes are lost. With noeviction a full server refuses writes,
// which the store reports as ErrUnavailable (fail closed).
//
// Do not route reads to replicas (ReadOnly, RouteByLatency or
// RouteRandomly on a cluster client, ReplicaOnly on a failover client).
// Every decision is a script or command on the primary, but Get reads: a
// replica that lags behind would show a session revoked a moment ago as
// live.
package redis
