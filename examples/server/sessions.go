package main

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

// Refresh with rotation, and the session inventory as Dynamic's
// deviceRegistrations routes: one device registration per session.

// refresh is POST refresh: the next generation's tokens for the same
// session. It reads the token itself (bearer, or the cookie in cookie mode
// with the same Origin check as the middleware) because a superseded token
// must reach Refresh: presented after the grace window it revokes the
// whole session (theft detection), and both the thief and the victim get
// 401.
func (s *server) refresh(w http.ResponseWriter, r *http.Request) error {
	tok, fromCookie, err := s.sessionHTTP.Token(r)
	if tok == "" || err != nil {
		s.refuse(w, r, classifySession(cmp.Or(err, session.ErrNoToken)))
		return nil
	}
	if fromCookie && !s.sessionHTTP.SameOrigin(r) {
		return errCSRF()
	}
	if err := s.sameDevice(r, tok); err != nil {
		return err
	}
	var u authkit.User
	users := func(ctx context.Context, id string) (authkit.User, error) {
		var err error
		u, err = s.accounts.Get(ctx, id)
		return u, err
	}
	toks, err := s.sessions.Refresh(r.Context(), tok, users)
	if err != nil {
		if s.cfg.CookieAuth && errors.Is(err, session.ErrRefreshReuse) {
			s.sessionHTTP.ClearCookie(w)
		}
		if errors.Is(err, session.ErrInvalidToken) {
			s.refuse(w, r, classifySession(err)) // with its WWW-Authenticate challenge
			return nil
		}
		return classifySession(err)
	}
	resp, err := s.tokenResponse(w, r, u, toks)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// deviceRegistration is one entry of GET deviceRegistrations.
type deviceRegistration struct {
	ID              string    `json:"id"`
	IsCurrentDevice bool      `json:"isCurrentDevice"`
	UserAgent       *string   `json:"userAgent"`
	CreatedAt       time.Time `json:"createdAt"`
	// Beyond Dynamic's schema (clients ignore unknown members).
	LastSeenAt time.Time `json:"lastSeenAt"`
	IPPrefix   string    `json:"ipPrefix,omitempty"`
}

// deviceRegistrationsList is GET deviceRegistrations: the user's live
// sessions, most recently seen first; the request's own is the current
// device.
func (s *server) deviceRegistrationsList(w http.ResponseWriter, r *http.Request) error {
	c := claimsOf(r)
	recs, err := s.sessions.Sessions(r.Context(), c.Subject)
	if err != nil {
		return classifySession(err)
	}
	out := struct {
		Count               int                  `json:"count"`
		DeviceRegistrations []deviceRegistration `json:"deviceRegistrations"`
	}{Count: len(recs), DeviceRegistrations: make([]deviceRegistration, 0, len(recs))}
	for _, rec := range recs {
		d := deviceRegistration{
			ID: rec.ID, IsCurrentDevice: rec.ID == c.SessionID, CreatedAt: rec.CreatedAt.UTC(),
			LastSeenAt: rec.LastSeenAt.UTC(), IPPrefix: rec.IPPrefix,
		}
		if rec.UserAgent != "" {
			d.UserAgent = &rec.UserAgent
		}
		out.DeviceRegistrations = append(out.DeviceRegistrations, d)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
	return nil
}

// revokedResponse is the body of the DELETE deviceRegistrations routes;
// when currentDeviceRevoked is true the client logs out.
type revokedResponse struct {
	CurrentDeviceRevoked bool `json:"currentDeviceRevoked"`
}

// deviceRegistrationRevoke is DELETE deviceRegistrations/{id}: end one of
// the user's sessions. Another user's session id is 404, like an unknown
// one.
func (s *server) deviceRegistrationRevoke(w http.ResponseWriter, r *http.Request) error {
	c := claimsOf(r)
	id := r.PathValue("id")
	if err := s.sessions.RevokeSession(r.Context(), c.Subject, id); err != nil {
		if errors.Is(err, session.ErrNotFound) {
			return errNotFound()
		}
		return classifySession(err)
	}
	current := id == c.SessionID
	if current && s.cfg.CookieAuth {
		s.sessionHTTP.ClearCookie(w)
	}
	writeJSON(w, http.StatusOK, revokedResponse{CurrentDeviceRevoked: current})
	return nil
}

// deviceRegistrationsRevokeOthers is DELETE deviceRegistrations: sign out
// every other device; the request's own session stays.
func (s *server) deviceRegistrationsRevokeOthers(w http.ResponseWriter, r *http.Request) error {
	c := claimsOf(r)
	if _, err := s.sessions.RevokeOthers(r.Context(), c.Subject, c.SessionID); err != nil {
		return classifySession(err)
	}
	writeJSON(w, http.StatusOK, revokedResponse{CurrentDeviceRevoked: false})
	return nil
}

// sameDevice refuses, before the session rotates, a refresh whose token
// names a device (the key its sign-in proved) that the request did not
// prove, or whose x-dyn-session-public-key is not the session's. A token
// that does not parse is left to Refresh to refuse.
func (s *server) sameDevice(r *http.Request, tok string) error {
	c, err := s.sessions.ParseSession(tok)
	if err != nil {
		return nil
	}
	if c.DevicePublicKey != "" && deviceOf(r).PublicKey != c.DevicePublicKey {
		return errDeviceSignatureRequired()
	}
	if k := r.Header.Get(hdrSessionPublicKey); k != "" && c.SessionPublicKey != "" && k != c.SessionPublicKey {
		return errInvalidSessionPublicKey()
	}
	return nil
}
