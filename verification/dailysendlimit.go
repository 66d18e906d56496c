package verification

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"

	"github.com/authkit/authkit/ratelimit"
)

// DefaultDailySendRule returns the rule of the default daily send cap:
// DefaultDailySendLimit sends per DefaultDailySendWindow (20 per 24 h). A
// host that shares a limiter between instances builds it with this rule
// (see Config.DailySendLimiter).
func DefaultDailySendRule() ratelimit.Rule {
	return ratelimit.Rule{Limit: DefaultDailySendLimit, Window: DefaultDailySendWindow}
}

// NoDailySendLimit, set as Config.DailySendLimiter, turns the daily send
// cap off: the Service then never asks a daily limiter, and only SendLimit
// and Cooldown bound sends. Use it only where something else caps the
// guesses per destination or account (NIST SP 800-63B-4 §3.2.2: at most
// 100 consecutive failures). As a ratelimit.Limiter it allows everything.
type NoDailySendLimit struct{}

// Allow implements ratelimit.Limiter: every event is allowed.
func (NoDailySendLimit) Allow(context.Context, string) (ratelimit.Decision, error) {
	return ratelimit.Decision{Allowed: true, Remaining: math.MaxInt}, nil
}

// dailySendLimiter resolves Config.DailySendLimiter: nil means the default
// in-memory limiter, NoDailySendLimit means none (nil).
func dailySendLimiter(cfg Config) (ratelimit.Limiter, error) {
	switch l := cfg.DailySendLimiter.(type) {
	case nil:
		m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Rule: DefaultDailySendRule(), Now: cfg.Now})
		if err != nil {
			return nil, fmt.Errorf("verification: daily send limiter: %w", err)
		}
		return m, nil
	case NoDailySendLimit, *NoDailySendLimit:
		return nil, nil
	default:
		return l, nil
	}
}

// SendLimiterName is the name under which the Service asks its Store for
// the limiter of SendLimit, SendWindow and Cooldown. Services sharing a
// store share these limits, so they must agree on them.
const SendLimiterName = "verification-sends"

// sendRule is the rule of SendLimit, SendWindow and Cooldown (defaults
// filled in): a sliding window with a doubling cooldown; ok = false when
// both the count limit and the cooldown are off.
func sendRule(cfg Config) (ratelimit.Rule, bool) {
	r := ratelimit.Rule{Sliding: true, Limit: max(cfg.SendLimit, 0), Window: cfg.SendWindow, Cooldown: max(cfg.Cooldown, 0)}
	return r, r.Limit > 0 || r.Cooldown > 0
}

// reserveSend asks the send limits for one send to d: first the
// per-window limits (SendLimit, Cooldown), then the daily cap.
//
// Both count the send as they allow it and neither can take it back, so
// whichever is asked first counts a send that the second may refuse. The
// window limits go first: then a send refused by the daily cap leaves an
// unsent entry in the window's history (harmless while the destination is
// capped; it delays the first send after the cap lifts by at most
// SendWindow), whereas the other way round every cooldown refusal, such as a user
// pressing Resend early, would spend one of the day's sends, and a few
// quick taps would lock the destination out for hours.
func (s *Service) reserveSend(ctx context.Context, d destination) error {
	key := d.limitKey()
	if s.sends != nil {
		dec, err := s.sends.Allow(ctx, key)
		if err != nil {
			return s.limitUnavailable(ctx, d, err)
		}
		if !dec.Allowed {
			return s.limited(ctx, d, dec)
		}
	}
	if s.daily == nil {
		return nil
	}
	dec, err := s.daily.Allow(ctx, key)
	if err != nil {
		return s.limitUnavailable(ctx, d, err)
	}
	if !dec.Allowed {
		return s.limited(ctx, d, dec)
	}
	return nil
}

// limitUnavailable fails a send closed when a limit could not decide: no
// decision, no send.
func (s *Service) limitUnavailable(ctx context.Context, d destination, err error) error {
	err = fmt.Errorf("%w: %w", ErrSendLimitUnavailable, err)
	s.logRefused(ctx, d, err)
	return err
}

// limited is the refusal of a send by a limit's Decision dec.
func (s *Service) limited(ctx context.Context, d destination, dec ratelimit.Decision) error {
	err := dec.ErrAs(ErrRateLimited)
	s.logRefused(ctx, d, err)
	return err
}

// createLimited is reserveSend followed by Store.Create, in one atomic
// step when the Store is a LimitedCreator that can decide the limiters.
func (s *Service) createLimited(ctx context.Context, d destination, rec Record) error {
	if s.creator != nil {
		refused, dec, err := s.creator.CreateLimited(ctx, rec, d.limitKey(), s.limits)
		switch {
		case errors.Is(err, errors.ErrUnsupported):
			// Not the store's own limiters: one by one below.
		case errors.Is(err, ErrDuplicate):
			return fmt.Errorf("verification: storing: %w", err)
		case err != nil:
			return s.limitUnavailable(ctx, d, err)
		case refused >= 0:
			return s.limited(ctx, d, dec)
		default:
			return nil
		}
	}
	if err := s.reserveSend(ctx, d); err != nil {
		return err
	}
	if err := s.cfg.Store.Create(ctx, rec); err != nil {
		return fmt.Errorf("verification: storing: %w", err)
	}
	return nil
}

func (s *Service) logRefused(ctx context.Context, d destination, err error) {
	if s.cfg.Logger != nil {
		s.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "verification send refused",
			slog.String("channel", string(d.channel)), slog.String("to", d.masked), slog.String("error", err.Error()))
	}
}
