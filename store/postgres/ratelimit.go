package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/ratelimit"
)

// Limiter is a ratelimit.Counter on PostgreSQL, deciding exactly as
// ratelimit.Memory does: for GCRA one theoretical arrival time per key (unix
// nanoseconds) decided and recorded by one upsert, for a Sliding rule the
// key's events decided and recorded by one call of
// authkit_rate_limit_sliding. Every process sharing the database shares the
// limit. Get it from Store.Limiter.
type Limiter struct {
	s        *Store
	name     string
	rule     ratelimit.Rule
	interval int64 // GCRA: ns per event
	span     int64 // GCRA: interval × Limit, the largest burst, in ns
	now      func() time.Time
}

var (
	_ ratelimit.Counter = (*Limiter)(nil)
	_ ratelimit.Backend = (*Store)(nil)
)

// maxKeyLen is the longest key stored as is; longer keys are stored as their
// SHA-256 digest, as ratelimit.Memory does.
const maxKeyLen = 128

// Limiter implements ratelimit.Backend: a limiter applying cfg.Rule to
// every key under cfg.Name. Limiters with different names never share
// keys; processes that should share a limit use the same name and rule.
// The clock is cfg.Now, else Options.Now.
//
// A name this Store already handed out with another Rule is an error
// wrapping ErrConfig and ratelimit.ErrConfig, as with
// ratelimit.MemoryBackend: two rules would count one set of keys. The
// stored keys do not record their rule, so two processes (or two Store
// values) giving one name different rules are not caught.
func (s *Store) Limiter(cfg ratelimit.LimiterConfig) (ratelimit.Counter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := s.rules.Claim(cfg.Name, cfg.Rule); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	l := &Limiter{s: s, name: cfg.Name, rule: cfg.Rule, now: clock.Or(cfg.Now)}
	if cfg.Now == nil {
		l.now = s.now
	}
	if !cfg.Rule.Sliding {
		l.interval = int64(cfg.Rule.Window) / int64(cfg.Rule.Limit)
		l.span = l.interval * int64(cfg.Rule.Limit)
	}
	return l, nil
}

func dbKey(key string) []byte {
	k := []byte(key)
	if len(k) > maxKeyLen {
		sum := sha256.Sum256(k)
		k = sum[:]
	}
	return k
}

// Allow implements ratelimit.Limiter: one statement. When the database
// cannot decide, the error wraps ErrUnavailable and the caller must deny.
func (l *Limiter) Allow(ctx context.Context, key string) (ratelimit.Decision, error) {
	k := dbKey(key)
	now := l.now().UnixNano()
	if l.rule.Sliding {
		return l.allowSliding(ctx, k, now)
	}
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

func (l *Limiter) allowSliding(ctx context.Context, k []byte, now int64) (ratelimit.Decision, error) {
	var (
		allowed bool
		wait    int64
		n, cnt  int
	)
	err := l.s.run(ctx, "ratelimit allow", func(ctx context.Context) error {
		return l.s.pool.QueryRow(ctx, `SELECT allowed, wait, n, cnt FROM authkit_rate_limit_sliding($1, $2, $3, $4, $5, $6, $7)`,
			l.name, k, now, l.rule.Limit, int64(l.rule.Window), int64(l.rule.Cooldown), l.rule.Lifetime).Scan(&allowed, &wait, &n, &cnt)
	})
	switch {
	case err != nil:
		return ratelimit.Decision{}, err
	case !allowed:
		return ratelimit.Decision{RetryAfter: time.Duration(wait)}, nil
	}
	return ratelimit.Decision{Allowed: true, Remaining: l.rule.Remaining(n, cnt)}, nil
}

// Refund implements ratelimit.Counter in one UPDATE: a GCRA key's TAT goes
// back one interval; a sliding key drops its newest event if that is still
// in the window, and one from its lifetime count (with nothing left, the
// row equals an unseen key until Cleanup removes it).
func (l *Limiter) Refund(ctx context.Context, key string) error {
	k := dbKey(key)
	now := l.now().UnixNano()
	return l.s.run(ctx, "ratelimit refund", func(ctx context.Context) error {
		if !l.rule.Sliding {
			_, err := l.s.pool.Exec(ctx, `
				UPDATE authkit_rate_limits SET tat = tat - $3
				WHERE name = $1 AND key = $2 AND tat > $4`, l.name, k, l.interval, now)
			return err
		}
		_, err := l.s.pool.Exec(ctx, `
			WITH cur AS (
				SELECT name, key, greatest(total - 1, 0) AS total,
					CASE WHEN cardinality(events) > 0 AND events[cardinality(events)] > $3::bigint - $4::bigint
						THEN events[1:cardinality(events) - 1] ELSE events END AS events
				FROM authkit_rate_limits WHERE name = $1 AND key = $2 FOR UPDATE
			)
			UPDATE authkit_rate_limits r SET total = cur.total, events = cur.events,
				tat = CASE WHEN cur.total > 0 THEN 9223372036854775807
					WHEN cardinality(cur.events) > 0 THEN cur.events[cardinality(cur.events)] + $4::bigint
					ELSE $3::bigint END
			FROM cur WHERE r.name = cur.name AND r.key = cur.key`,
			l.name, k, now, int64(l.rule.Window))
		return err
	})
}

// Reset implements ratelimit.Counter.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	k := dbKey(key)
	return l.s.run(ctx, "ratelimit reset", func(ctx context.Context) error {
		_, err := l.s.pool.Exec(ctx, `DELETE FROM authkit_rate_limits WHERE name = $1 AND key = $2`, l.name, k)
		return err
	})
}

// Limiter implements mfa.Store: Store.Limiter, so MFA failures are rows of
// authkit_rate_limits like every other limit.
func (m *MFAStore) Limiter(cfg ratelimit.LimiterConfig) (ratelimit.Counter, error) {
	return m.s.Limiter(cfg)
}
