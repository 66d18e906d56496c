package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/authkit/authkit/ratelimit"
)

// Limiter is a ratelimit.Limiter on PostgreSQL: the same GCRA as
// ratelimit.Memory (one theoretical arrival time per key, in unix
// nanoseconds), decided and recorded by one upsert, so every process sharing
// the database shares the limit. Get it from Store.Limiter.
type Limiter struct {
	s        *Store
	name     string
	interval int64 // ns per event
	span     int64 // interval × Limit: the largest burst, in ns
}

var _ ratelimit.Limiter = (*Limiter)(nil)

// maxKeyLen is the longest key stored as is; longer keys are stored as their
// SHA-256 digest, as ratelimit.Memory does.
const maxKeyLen = 128

// Limiter returns a limiter applying rule to every key under name. Limiters
// with different names never share keys; processes that should share a
// limit use the same name and rule. The clock is Options.Now.
func (s *Store) Limiter(name string, rule ratelimit.Rule) (*Limiter, error) {
	if err := rule.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if name == "" {
		return nil, fmt.Errorf("%w: empty limiter name", ErrConfig)
	}
	interval := int64(rule.Window) / int64(rule.Limit)
	return &Limiter{s: s, name: name, interval: interval, span: interval * int64(rule.Limit)}, nil
}

// Allow implements ratelimit.Limiter. When the database cannot decide, the
// error wraps ErrUnavailable and the caller must deny.
func (l *Limiter) Allow(ctx context.Context, key string) (ratelimit.Decision, error) {
	k := []byte(key)
	if len(k) > maxKeyLen {
		sum := sha256.Sum256(k)
		k = sum[:]
	}
	now := l.s.now().UnixNano()
	var d ratelimit.Decision
	err := l.s.run(ctx, "ratelimit allow", func(ctx context.Context) error {
		var newTAT, curTAT *int64
		// Allowed: tat = max(tat, now) + interval, if that lies within span
		// of now. Denied: nothing is written and the snapshot's tat gives
		// RetryAfter; a snapshot that cannot explain the denial (the key
		// changed concurrently) makes the statement run again.
		err := l.s.pool.QueryRow(ctx, `
			WITH cur AS (
				SELECT tat FROM authkit_rate_limits WHERE name = $1 AND key = $2
			), up AS (
				INSERT INTO authkit_rate_limits AS r (name, key, tat) VALUES ($1, $2, $3::bigint + $4::bigint)
				ON CONFLICT (name, key) DO UPDATE SET tat = greatest(r.tat, $3::bigint) + $4::bigint
				WHERE greatest(r.tat, $3::bigint) + $4::bigint - $3::bigint <= $5::bigint
				RETURNING tat
			)
			SELECT (SELECT tat FROM up), (SELECT tat FROM cur)`,
			l.name, k, now, l.interval, l.span).Scan(&newTAT, &curTAT)
		if err != nil {
			return err
		}
		if newTAT != nil {
			d = ratelimit.Decision{Allowed: true, Remaining: int((l.span - (*newTAT - now)) / l.interval)}
			return nil
		}
		if curTAT != nil {
			next := max(*curTAT, now) + l.interval
			if next-now > l.span {
				d = ratelimit.Decision{RetryAfter: time.Duration(next - l.span - now)}
				return nil
			}
		}
		return errRetry
	})
	if err != nil {
		return ratelimit.Decision{}, err
	}
	return d, nil
}
