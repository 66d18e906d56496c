package main

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/verification"
)

// Email change through PUT users: a new address is not written on the
// user; a code goes to it, and emailVerifications/verify links it and
// retires the user's older email credentials, since the SDK's user has a
// single email.

// updateSelfResponse is UpdateSelfResponse with the verification an email
// change started.
type updateSelfResponse struct {
	verifyResponse
	EmailVerification *emailCreateResponse `json:"emailVerification,omitempty"`
}

// startEmailChange validates the requested address and, when it differs
// from the user's, sends it a code. It returns nil for the same address.
func (s *server) startEmailChange(r *http.Request, current, email, captchaToken string) (*emailCreateResponse, error) {
	if err := validEmailField(email); err != nil {
		return nil, err
	}
	if strings.EqualFold(strings.TrimSpace(email), current) {
		return nil, nil
	}
	st, err := s.codes.Start(r.Context(), verification.StartRequest{
		Channel: verification.ChannelEmail, Email: email, CaptchaToken: captchaToken, RemoteIP: remoteIP(r),
	})
	if err != nil {
		return nil, classifyVerification(err, verification.ChannelEmail)
	}
	return &emailCreateResponse{VerificationUUID: st.ID, Email: st.Email}, nil
}

// retireOtherEmails unlinks the user's email credentials attached before
// the one cred just linked. Credentials keep their attach order, so two
// changes verified at once end with the later-linked address alone, never
// with none. A credential a concurrent request already removed stays
// removed.
func (s *server) retireOtherEmails(ctx context.Context, u authkit.User, cred authkit.VerifiedCredential) (authkit.User, error) {
	canon, _, err := s.accounts.Key(cred)
	if err != nil {
		return u, err
	}
	changed := false
	for _, c := range u.VerifiedCredentials {
		if c.Format != authkit.FormatEmail {
			continue
		}
		if strings.EqualFold(c.Email, canon.Email) {
			break
		}
		_, err := s.accounts.Unlink(ctx, u.ID, c.ID)
		switch {
		case err == nil:
			changed = true
		case errors.Is(err, account.ErrCredentialNotFound):
		default:
			return u, err
		}
	}
	if !changed {
		return u, nil
	}
	return s.accounts.Get(ctx, u.ID)
}
