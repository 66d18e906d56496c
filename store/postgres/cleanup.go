package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/authkit/authkit/oauth"
)

// CleanupResult counts the rows Cleanup deleted, per table.
type CleanupResult struct {
	Verifications, Tokens, Sessions, JTIs, States, RateLimits int64
	PasskeyChallenges                                         int64
	DeviceNonces                                              int64
	RecoveryFailures                                          int64
}

// Total is the number of rows deleted in all.
func (r CleanupResult) Total() int64 {
	return r.Verifications + r.Tokens + r.Sessions + r.JTIs + r.States + r.RateLimits +
		r.PasskeyChallenges + r.DeviceNonces + r.RecoveryFailures
}

// jtiSkew is how long Cleanup keeps a consumed token id past its expiry.
// Its absence would let the token be used again, and another host whose
// clock lags the one running Cleanup still accepts the token: the margin
// covers such skew.
const jtiSkew = time.Minute

// cleanupStatesSQL deletes the OAuth states a store may forget at $1
// (oauth.Store).
var cleanupStatesSQL = fmt.Sprintf(`DELETE FROM authkit_oauth_states WHERE expires_at <= $1::timestamptz - interval '%d microseconds'
	OR (expires_at <= $1 AND (callback_at IS NOT NULL OR consumed_at IS NOT NULL))`, oauth.StateRetention.Microseconds())

// Cleanup deletes the rows that no longer affect any decision at now:
// verifications past PurgeAt, MFA tokens past their expiry, token ids a
// minute past theirs (for hosts whose clocks lag now), sessions past
// ExpiresAt, OAuth states past ExpiresAt plus oauth.StateRetention,
// rate-limit keys that equal an unseen key (a GCRA key fully refilled, a
// sliding key whose events all left the window; the send limits and MFA
// failure windows are among them, lifetime caps never), passkey challenges past
// ExpiresAt, device nonces past theirs, and users' recovery-code failures
// that equal none (all left the window, no lifetime count).
// Devices and recovery codes never expire. Each table is one DELETE run on
// its own, so a host may call Cleanup from every instance on a schedule
// (every few minutes) without coordination.
func (s *Store) Cleanup(ctx context.Context, now time.Time) (CleanupResult, error) {
	var r CleanupResult
	steps := []struct {
		n   *int64
		sql string
		arg any
	}{
		{&r.Verifications, `DELETE FROM authkit_verifications WHERE purge_at <= $1`, now},
		{&r.Tokens, `DELETE FROM authkit_mfa_tokens WHERE expires_at <= $1`, now},
		{&r.Sessions, `DELETE FROM authkit_sessions WHERE expires_at < $1`, now},
		{&r.JTIs, `DELETE FROM authkit_session_jtis WHERE expires_at < $1`, now.Add(-jtiSkew)},
		{&r.States, cleanupStatesSQL, now},
		{&r.RateLimits, `DELETE FROM authkit_rate_limits WHERE tat <= $1`, now.UnixNano()},
		{&r.PasskeyChallenges, `DELETE FROM authkit_passkey_challenges WHERE expires_at <= $1`, now},
		{&r.DeviceNonces, `DELETE FROM authkit_device_nonces WHERE expires_at <= $1`, now},
		{&r.RecoveryFailures, `DELETE FROM authkit_mfa_recovery_failures WHERE clear_at <= $1`, now.UnixNano()},
	}
	for _, st := range steps {
		err := s.run(ctx, "cleanup", func(ctx context.Context) error {
			tag, err := s.pool.Exec(ctx, st.sql, st.arg)
			*st.n = tag.RowsAffected()
			return err
		})
		if err != nil {
			return r, err
		}
	}
	return r, nil
}
