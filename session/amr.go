package session

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/authkit/authkit"
)

// amrFactor is the authentication factor of an RFC 8176 §2 method: 1
// knowledge, 2 possession, 4 inherence; 0 for a method that names none
// (geo, user, mca, mfa, rba, wia, or one not registered).
func amrFactor(m string) uint8 {
	switch m {
	case "pwd", "pin", "kba":
		return 1
	case "hwk", "swk", "sc", "otp", "sms", "tel", "pop":
		return 2
	case "fpt", "face", "iris", "retina", "vbm":
		return 4
	}
	return 0
}

// multiFactor reports whether amr names methods of two different factors.
func multiFactor(amr []string) bool {
	var seen uint8
	for _, m := range amr {
		seen |= amrFactor(m)
	}
	return seen&(seen-1) != 0
}

// maxAMR bounds the amr values a token carries.
const maxAMR = 8

// sessionAMR validates MintOptions.AMR and AuthTime. An MFA-pending
// session carries neither: it has proven nothing beyond the first factor.
func (m *Manager) sessionAMR(opts MintOptions) ([]string, time.Time, error) {
	if opts.MFAPending || (len(opts.AMR) == 0 && opts.AuthTime.IsZero()) {
		return nil, time.Time{}, nil
	}
	if len(opts.AMR) == 0 || len(opts.AMR) > maxAMR || opts.AuthTime.IsZero() {
		return nil, time.Time{}, fmt.Errorf("%w: amr needs 1 to %d values and an auth time", ErrInvalidRequest, maxAMR)
	}
	for _, a := range opts.AMR {
		if a == "" || len(a) > 32 || strings.ContainsAny(a, " \t\r\n\"\\") {
			return nil, time.Time{}, fmt.Errorf("%w: amr value", ErrInvalidRequest)
		}
	}
	if opts.AuthTime.After(m.now().Add(m.cfg.Leeway)) {
		return nil, time.Time{}, fmt.Errorf("%w: auth_time in the future", ErrInvalidRequest)
	}
	amr := slices.Clone(opts.AMR)
	if !slices.Contains(amr, authkit.AMRMultiFactor) && multiFactor(amr) {
		amr = append(amr, authkit.AMRMultiFactor)
	}
	return amr, opts.AuthTime.Truncate(time.Second), nil
}

// UpgradeMFA is Upgrade for a session whose user has just proven a second
// factor by the methods in amr (RFC 8176 values such as authkit.AMROneTimePassword):
// the new tokens carry amr (with authkit.AMRMultiFactor added) and auth_time = now,
// so the session counts as fresh (Claims.FreshMFA) for step-up rules that
// accept a recent second factor. The session may be MFA-pending or already
// fully authenticated (a re-authentication).
func (m *Manager) UpgradeMFA(ctx context.Context, session *Claims, user authkit.User, extra authkit.Scopes, amr ...string) (Tokens, error) {
	methods := slices.Clone(amr)
	if !slices.Contains(methods, authkit.AMRMultiFactor) {
		methods = append(methods, authkit.AMRMultiFactor)
	}
	return m.reissue(ctx, "UpgradeMFA", session, user, extra, methods, m.now())
}

// FreshMFA reports whether the session token proved a second factor
// within window before now: its amr claim holds "mfa" (RFC 8176 §2) and
// its auth_time is at most window old (and not in the future beyond
// leeway). Tokens without these claims are never fresh.
func (c *Claims) FreshMFA(now time.Time, window, leeway time.Duration) bool {
	if c == nil || c.Kind&KindSession == 0 || c.AuthTime.IsZero() || !slices.Contains(c.AMR, authkit.AMRMultiFactor) {
		return false
	}
	at := c.AuthTime
	return !at.After(now.Add(leeway)) && now.Sub(at) <= window
}
