package verification

import (
	"context"
	"time"
)

// Channel is how a code is delivered.
type Channel string

// The channels.
const (
	ChannelSMS   Channel = "sms"
	ChannelEmail Channel = "email"
)

// Record is one verification as stored. It is plain data so any backend can
// hold it as a row or a hash; all times are absolute.
type Record struct {
	// ID is the verification's UUID (the API's verificationUUID).
	ID string
	// Channel is ChannelSMS or ChannelEmail.
	Channel Channel
	// Destination is where codes go: E.164 for SMS ("+19172113333"), the
	// lower-cased address for email. It never changes.
	Destination string
	// PhoneCountryCode, PhoneNational and PhoneRegion are the parts of an
	// SMS destination ("1", "9172113333", "US"), kept so a check can build
	// the credential without re-parsing. Empty for email.
	PhoneCountryCode string
	PhoneNational    string
	PhoneRegion      string
	// CodeHash is HMAC-SHA256(key, id ‖ code) of the current code under
	// the newest hash key at the time it was issued. The code itself is never
	// stored.
	CodeHash []byte
	// Attempts counts wrong submissions, across resends.
	Attempts int
	// Sends counts codes issued for this verification (1 + resends).
	Sends int
	// CreatedAt is when the verification was started.
	CreatedAt time.Time
	// SentAt is when the current code was issued.
	SentAt time.Time
	// ExpiresAt is when the current code stops working (valid while
	// now < ExpiresAt).
	ExpiresAt time.Time
	// PurgeAt is when the store may forget the record entirely. It lies
	// after ExpiresAt so that a late submission gets ErrExpired (and a
	// replayed one ErrAlreadyUsed) rather than ErrNotFound.
	PurgeAt time.Time
	// UsedAt is when the right code was accepted; zero while pending.
	UsedAt time.Time
}

// SendLimits bound the codes sent to one destination, counting starts and
// resends together, over a sliding window.
type SendLimits struct {
	// Max is the number of sends allowed within Window.
	Max int
	// Window is the sliding window's length.
	Window time.Duration
	// Cooldown is the wait after the first send in the window; each further
	// send in the window doubles it (30 s, 60 s, 120 s, …).
	Cooldown time.Duration
}

// Store holds verifications and per-destination send history. Every method
// that reads and writes does so as one atomic operation; times are passed
// in (stores never read a clock), so expiry is decided by the caller's now.
//
// Implementations must pass verificationtest.RunStoreTests. Hints for SQL
// and Lua are given on each method; the failure paths (classifying why an
// update matched no row) need not be atomic with it.
type Store interface {
	// Create stores a new record. It returns ErrDuplicate if the id is taken.
	Create(ctx context.Context, rec Record) error

	// Get returns the record with id, or ErrNotFound.
	Get(ctx context.Context, id string) (Record, error)

	// ReplaceCode sets a new code on a verification (a resend): CodeHash =
	// codeHash, SentAt = now, ExpiresAt and PurgeAt as given, Sends + 1.
	// Attempts is kept. It returns the updated record, or ErrNotFound,
	// ErrAlreadyUsed (UsedAt set), or ErrTooManyAttempts (Attempts ≥
	// maxAttempts). An expired record may be given a new code.
	//
	// SQL: UPDATE … WHERE id=$1 AND used_at IS NULL AND attempts < $max RETURNING ….
	ReplaceCode(ctx context.Context, id string, codeHash []byte, now, expiresAt, purgeAt time.Time, maxAttempts int) (Record, error)

	// Attempt submits a code, as its keyed hashes under each configured
	// hash key (candidates), and atomically decides:
	//   - unknown id: ErrNotFound;
	//   - UsedAt set: ErrAlreadyUsed;
	//   - now ≥ ExpiresAt: ErrExpired;
	//   - Attempts ≥ maxAttempts: ErrTooManyAttempts;
	//   - a candidate equals CodeHash: UsedAt = now, returns the record, nil;
	//   - otherwise: Attempts + 1, returns the updated record and ErrWrongCode.
	// Only the last case changes Attempts; only the one before it sets
	// UsedAt. Comparison should be constant-time where the backend allows.
	// The returned record may leave CodeHash nil: callers of Attempt have
	// no use for it, and not returning it spares a copy.
	//
	// SQL: UPDATE … SET attempts = attempts + (CASE WHEN code_hash = ANY($2)
	// THEN 0 ELSE 1 END), used_at = CASE … END WHERE id=$1 AND used_at IS
	// NULL AND expires_at > $now AND attempts < $max RETURNING …, matched.
	Attempt(ctx context.Context, id string, candidates [][]byte, now time.Time, maxAttempts int) (Record, error)

	// RecordSend asks to send to destination at now. If the sends within
	// (now − Window, now] number Max or more, or now is earlier than the
	// last of them plus Cooldown·2^(n−1) (n = sends in the window), it
	// returns a *RateLimitError (errors.Is ErrRateLimited) with the time
	// until both conditions clear, and records nothing. Otherwise it records
	// a send at now and returns nil.
	//
	// Redis: a sorted set per destination, trimmed and checked in one script.
	RecordSend(ctx context.Context, destination string, now time.Time, limits SendLimits) error
}

// SendWait returns how long until a send is allowed, given the send times
// still within the window at now (oldest first, all > now − Window), or 0 if
// a send is allowed at now. A send at time T is allowed when the sends
// within (T − Window, T] number fewer than Max and T is at least the last
// of them plus Cooldown·2^(n−1). The wait returned is exact: the earliest T
// at which both hold, as older sends leave the window.
//
// The memory store uses it; a backend that computes in Go inside a locked
// transaction can too, and a Lua script must reproduce it.
func SendWait(sends []time.Time, now time.Time, l SendLimits) time.Duration {
	n := len(sends)
	// Let k of the oldest sends have left the window; that holds for T in
	// [sends[k-1]+Window, sends[k]+Window). Try k = 0, 1, … in turn.
	for k := 0; k <= n; k++ {
		from := now
		if k > 0 {
			if t := sends[k-1].Add(l.Window); t.After(from) {
				from = t
			}
		}
		m := n - k
		if m == 0 {
			return from.Sub(now)
		}
		if l.Max > 0 && m >= l.Max {
			continue
		}
		t := sends[n-1].Add(cooldown(l, m))
		if t.Before(from) {
			t = from
		}
		if t.Before(sends[k].Add(l.Window)) {
			return t.Sub(now)
		}
	}
	return 0 // not reached: k = n always returns
}

// cooldown is the wait after the m-th send in the window: Cooldown·2^(m−1),
// doubling stopped once it reaches the window (it can grow no further use).
func cooldown(l SendLimits, m int) time.Duration {
	cd := l.Cooldown
	for i := 1; i < m && cd < l.Window; i++ {
		cd *= 2
	}
	return cd
}
