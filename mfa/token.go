package mfa

import (
	"context"
	"errors"
	"time"

	"github.com/authkit/authkit/internal/random"
)

// tokenBytes is the MFA token entropy: 256 bits (RFC 6749 §10.10 asks for at
// least 128), encoded as 43 characters of unpadded base64url.
const (
	tokenBytes = 32
	tokenLen   = 43
)

// IssueToken mints an opaque MFA token for userID (Dynamic's createMfaToken).
// Call it only right after a successful AuthenticateTOTP or
// AuthenticateRecovery for that user. When sessionID is not "", the token only
// works in that session. A single-use token lives SingleUseTokenTTL (5 min)
// and is used up by its first use; a multi-use one lives MultiUseTokenTTL
// (10 min). Only a keyed hash of the token is stored.
func (s *Service) IssueToken(ctx context.Context, userID, sessionID string, singleUse bool) (token string, expiresAt time.Time, err error) {
	if userID == "" {
		return "", time.Time{}, ErrInvalidUser
	}
	token, err = random.Token(s.rand, tokenBytes)
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.now()
	ttl := s.multiTTL
	if singleUse {
		ttl = s.singleTTL
	}
	rec := TokenRecord{
		Digest:    s.hash.Sum(userID, token),
		UserID:    userID,
		SessionID: sessionID,
		SingleUse: singleUse,
		CreatedAt: now,
		ExpiresAt: now.Add(ttl),
	}
	if err := s.store.CreateToken(ctx, rec); err != nil {
		return "", time.Time{}, err
	}
	s.log.InfoContext(ctx, "mfa: token issued", "user", userID, "single_use", singleUse)
	return token, rec.ExpiresAt, nil
}

// ConsumeToken uses an MFA token presented for a sensitive action (the
// x-mfa-auth-token header): it must have been issued to userID, to sessionID
// or to no session, and not have expired; a single-use token is used up
// atomically, so of concurrent uses exactly one succeeds. Any failure is
// ErrTokenInvalid. There is deliberately no check-without-use method for
// single-use tokens: checking and acting separately would let two actions
// share one token.
func (s *Service) ConsumeToken(ctx context.Context, userID, sessionID, token string) error {
	if userID == "" || len(token) != tokenLen || !isBase64URL(token) {
		return ErrTokenInvalid
	}
	now := s.now()
	for _, d := range s.hash.SumAll(userID, token) {
		_, err := s.store.UseToken(ctx, d, userID, sessionID, now)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		s.log.InfoContext(ctx, "mfa: token used", "user", userID)
		return nil
	}
	s.log.InfoContext(ctx, "mfa: token rejected", "user", userID)
	return ErrTokenInvalid
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
