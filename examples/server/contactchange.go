package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/verification"
)

// Email and phone change through PUT users: a new address or number is
// not written on the user; a code goes to it, and
// {email,sms}Verifications/verify links it and retires the user's older
// credentials of that format, since the SDK's user has a single email and
// a single phone number.

// updateSelfResponse is UpdateSelfResponse with the verification an email
// or phone change started.
type updateSelfResponse struct {
	verifyResponse
	EmailVerification *emailCreateResponse `json:"emailVerification,omitempty"`
	SMSVerification   *smsCreateResponse   `json:"smsVerification,omitempty"`
}

// parseChangeFields validates the email and phoneNumber of a PUT users
// body, both before any code is sent, so that a refused request sends
// none.
func parseChangeFields(email, phoneNumber *string) (*phone.Number, error) {
	if email != nil {
		if err := validEmailField(*email); err != nil {
			return nil, err
		}
	}
	if phoneNumber == nil {
		return nil, nil
	}
	n, err := phone.ParseE164(*phoneNumber)
	if err != nil {
		return nil, errValidation("phoneNumber must be an E.164 number.")
	}
	return &n, nil
}

// startEmailChange sends a code to a validated address when it differs
// from the user's. It returns nil for the same address.
func (s *server) startEmailChange(r *http.Request, u authkit.User, email, captchaToken string) (*emailCreateResponse, error) {
	st, err := s.startChange(r, u, authkit.VerifiedCredential{Format: authkit.FormatEmail, Email: email}, verification.StartRequest{
		Channel: verification.ChannelEmail, Email: email, CaptchaToken: captchaToken, RemoteIP: remoteIP(r),
	})
	if st == nil || err != nil {
		return nil, err
	}
	return &emailCreateResponse{VerificationUUID: st.ID, Email: st.Email}, nil
}

// startPhoneChange sends a code to a validated number when it differs
// from the user's. It returns nil for the same number.
func (s *server) startPhoneChange(r *http.Request, u authkit.User, n phone.Number, captchaToken string) (*smsCreateResponse, error) {
	cred := authkit.VerifiedCredential{Format: authkit.FormatPhoneNumber, PhoneCountryCode: n.CallingCode, PhoneNumber: n.NationalNumber, IsoCountryCode: n.Region}
	st, err := s.startChange(r, u, cred, verification.StartRequest{
		Channel: verification.ChannelSMS, Phone: &n, CaptchaToken: captchaToken, RemoteIP: remoteIP(r),
	})
	if st == nil || err != nil {
		return nil, err
	}
	out := smsStarted(*st, n)
	return &out, nil
}

// startChange sends a code for want unless u already holds a credential
// with its key; it returns nil then.
func (s *server) startChange(r *http.Request, u authkit.User, want authkit.VerifiedCredential, req verification.StartRequest) (*verification.Started, error) {
	if _, _, err := s.accounts.Key(want); err != nil {
		return nil, errValidation("The new " + string(want.Format) + " is malformed.")
	}
	if s.holdsCredential(u, want) {
		return nil, nil
	}
	st, err := s.codes.Start(r.Context(), req)
	if err != nil {
		return nil, classifyVerification(err, req.Channel)
	}
	return &st, nil
}

// retireOthers unlinks the user's credentials of cred's format attached
// before cred, which was just linked. Credentials keep their attach order,
// so two changes verified at once end with the later-linked one alone,
// never with none. A credential a concurrent request already removed stays
// removed.
func (s *server) retireOthers(ctx context.Context, u authkit.User, cred authkit.VerifiedCredential) (authkit.User, error) {
	_, key, err := s.accounts.Key(cred)
	if err != nil {
		return u, err
	}
	changed := false
	for _, c := range u.VerifiedCredentials {
		if c.Format != cred.Format {
			continue
		}
		if _, k, err := s.accounts.Key(c); err == nil && k == key {
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
