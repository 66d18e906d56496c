package main

import (
	"errors"
	"net/http"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/verification"
)

// errNotOwnEmail is the cause when users/mfa/auth/email is given a
// verification of an address the user has not verified.
var errNotOwnEmail = errors.New("the verification is not for one of the user's verified emails")

// errSameFactor is the cause when the email offered as the second factor
// is the credential the session signed in with: a second code to the same
// inbox proves the same factor twice (NIST SP 800-63B §2.2 needs two
// different factors).
var errSameFactor = errors.New("the email is the session's own sign-in credential")

// mfaAuthEmail is POST users/mfa/auth/email: the second factor is a code
// sent (emailVerifications/create) to one of the user's own verified
// email addresses. A code proving any other address is refused: it proves
// nothing about this user.
func (s *server) mfaAuthEmail(w http.ResponseWriter, r *http.Request) error {
	cred, body, err := s.checkSubmission(r, verification.ChannelEmail)
	if err != nil {
		return err
	}
	scopes, _ := parseRequestedScopes(body.RequestedScopes)
	c := claimsOf(r)
	u, err := s.accounts.Get(r.Context(), c.Subject)
	if err != nil {
		return err
	}
	if !s.holdsCredential(u, cred) {
		return errUnprocessable("invalid_email_verification", "The verification is not for your verified email.", errNotOwnEmail)
	}
	signinID := c.SigninCredentialID
	if signinID == "" { // left out of the token when it repeats the last one
		signinID = c.LastVerifiedCredentialID
	}
	if s.signedInWith(u, signinID, cred) {
		return errUnprocessable("invalid_email_verification", "The email you signed in with cannot also be your second factor.", errSameFactor)
	}
	return s.mfaUpgrade(w, r, c, body.CreateMfaToken, scopes, authkit.AMROneTimePassword)
}

// holdsCredential reports whether u has a credential with cred's key.
func (s *server) holdsCredential(u authkit.User, cred authkit.VerifiedCredential) bool {
	_, key, err := s.accounts.Key(cred)
	if err != nil {
		return false
	}
	for _, c := range u.VerifiedCredentials {
		if c.Format != cred.Format {
			continue
		}
		if _, k, err := s.accounts.Key(c); err == nil && k == key {
			return true
		}
	}
	return false
}

// signedInWith reports whether cred is the credential the session signed
// in with. An unknown sign-in credential counts as a match, failing closed.
func (s *server) signedInWith(u authkit.User, signinID string, cred authkit.VerifiedCredential) bool {
	for _, c := range u.VerifiedCredentials {
		if c.ID == signinID {
			return s.holdsCredential(authkit.User{VerifiedCredentials: []authkit.VerifiedCredential{c}}, cred)
		}
	}
	return true
}
