package session

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxUserAgentLength is how many bytes of a User-Agent a session record
// keeps: enough to name the browser and platform, and a bound on what a
// client can make the store hold.
const maxUserAgentLength = 256

// ipPrefix truncates a client address to its network: /24 for IPv4 (and
// IPv4-mapped IPv6), /48 for IPv6 (/40 for 6to4, whose /48 embeds a full
// IPv4 address), written as a CIDR prefix such as
// "203.0.113.0/24". It accepts "addr" and "addr:port" / "[addr]:port"
// (http.Request.RemoteAddr). Anything else gives "". The full address is
// never kept: the prefix tells a user "this looks like my home network"
// without recording where exactly they were (data minimisation, GDPR art.
// 5(1)(c)).
func ipPrefix(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		ap, perr := netip.ParseAddrPort(addr)
		if perr != nil {
			return ""
		}
		a = ap.Addr()
	}
	a = a.Unmap().WithZone("")
	bits := 48
	switch {
	case a.Is4():
		bits = 24
	case a.As16()[0] == 0x20 && a.As16()[1] == 0x02:
		// 6to4, 2002::/16 (RFC 3056 §2), holds the site's public IPv4
		// address in bits 16–47: its /48 would be that full address, so
		// keep only the share of its /24.
		bits = 40
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// truncateUserAgent cuts ua to maxUserAgentLength bytes on a rune boundary
// and drops control characters, so it is safe to show in a UI or a log.
func truncateUserAgent(ua string) string {
	ua = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, ua)
	if len(ua) <= maxUserAgentLength {
		return ua
	}
	ua = ua[:maxUserAgentLength]
	for !utf8.ValidString(ua) {
		ua = ua[:len(ua)-1]
	}
	return ua
}

// Sessions lists the user's live sessions (unrevoked, within their
// maximum age), most recently seen first. Needs a Store.
func (m *Manager) Sessions(ctx context.Context, userID string) ([]Record, error) {
	if m.cfg.Store == nil {
		return nil, errNoStore
	}
	recs, err := m.cfg.Store.ListForUser(ctx, userID, m.now())
	if err != nil {
		return nil, fmt.Errorf("session: store: %w", err)
	}
	slices.SortFunc(recs, func(a, b Record) int {
		if c := b.LastSeenAt.Compare(a.LastSeenAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return recs, nil
}

// RevokeSession ends one of the user's sessions (the inventory's "sign out
// that device"). A session of another user, or an unknown one, is
// ErrNotFound: the answer does not tell which. Revoking a revoked session
// succeeds. Needs a Store.
func (m *Manager) RevokeSession(ctx context.Context, userID, sid string) error {
	if m.cfg.Store == nil {
		return errNoStore
	}
	rec, err := m.cfg.Store.Get(ctx, sid)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return ErrNotFound
		}
		return fmt.Errorf("session: store: %w", err)
	}
	if rec.UserID != userID {
		return ErrNotFound
	}
	// The owner of a session never changes, so checking it before the
	// write is not a race.
	return m.cfg.Store.Revoke(ctx, sid, m.now())
}

// RevokeOthers ends every live session of the user except keepSID (the
// request's own) and returns how many it ended. Needs a Store.
func (m *Manager) RevokeOthers(ctx context.Context, userID, keepSID string) (int, error) {
	if m.cfg.Store == nil {
		return 0, errNoStore
	}
	now := m.now()
	recs, err := m.cfg.Store.ListForUser(ctx, userID, now)
	if err != nil {
		return 0, fmt.Errorf("session: store: %w", err)
	}
	n := 0
	for _, r := range recs {
		if r.ID == keepSID || r.UserID != userID {
			continue
		}
		if err := m.cfg.Store.Revoke(ctx, r.ID, now); err != nil && !errors.Is(err, ErrNotFound) {
			return n, fmt.Errorf("session: store: %w", err)
		}
		n++
	}
	return n, nil
}
