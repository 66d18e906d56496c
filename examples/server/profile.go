package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"unicode"

	"github.com/authkit/authkit"
)

// GET users and PUT users: the signed-in user's own profile.

// usersGet is GET users: the SdkUser object itself.
func (s *server) usersGet(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c := claimsOf(r)
	u, err := s.accounts.Get(ctx, c.Subject)
	if err != nil {
		return err
	}
	if err := s.decorateUser(ctx, &u); err != nil {
		return err
	}
	u.SessionID, u.Scope = c.SessionID, c.Scope
	writeJSON(w, http.StatusOK, u)
	return nil
}

// updateSelfRequest is the body of PUT users: the writable profile fields
// and the recovery-code acknowledgement.
type updateSelfRequest struct {
	userFields
	MFABackupCodeAcknowledgement *string `json:"mfaBackupCodeAcknowledgement"`
	// Email and PhoneNumber (E.164) ask for an email or phone change: a
	// code goes to the new address or number and
	// {email,sms}Verifications/verify completes it (contactchange.go).
	Email        *string `json:"email"`
	PhoneNumber  *string `json:"phoneNumber"`
	CaptchaToken string  `json:"captchaToken"`
}

// usersPut is PUT users: update the profile (and acknowledge the recovery
// codes), then re-issue the session's tokens, whose profile claims changed.
// A new email or phone number is not set here: a code is sent to it
// first, and nothing changes when that fails.
func (s *server) usersPut(w http.ResponseWriter, r *http.Request) error {
	var body updateSelfRequest
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if err := body.userFields.validate(); err != nil {
		return err
	}
	if len(body.CaptchaToken) > 4096 {
		return errValidation("captchaToken is too long.")
	}
	ctx := r.Context()
	c := claimsOf(r)
	newPhone, err := parseChangeFields(body.Email, body.PhoneNumber)
	if err != nil {
		return err
	}
	var out updateSelfResponse
	if body.Email != nil || body.PhoneNumber != nil {
		cur, err := s.accounts.Get(ctx, c.Subject)
		if err != nil {
			return err
		}
		if newPhone != nil {
			if out.SMSVerification, err = s.startPhoneChange(r, cur, *newPhone, body.CaptchaToken); err != nil {
				return err
			}
		}
		if body.Email != nil {
			if out.EmailVerification, err = s.startEmailChange(r, cur, *body.Email, body.CaptchaToken); err != nil {
				return err
			}
		}
	}
	if a := body.MFABackupCodeAcknowledgement; a != nil {
		switch authkit.BackupCodeAcknowledgement(*a) {
		case authkit.AcknowledgementComplete:
			if err := s.mfa.AcknowledgeRecoveryCodes(ctx, c.Subject); err != nil {
				return classifyMFA(err)
			}
		case authkit.AcknowledgementPending:
			// Acknowledgement only moves forward; pending is what a new
			// set starts with, so asking for it changes nothing.
		default:
			return errValidation(`mfaBackupCodeAcknowledgement must be "complete".`)
		}
	}
	u, err := s.accounts.Update(ctx, c.Subject, body.userFields.profile())
	if err != nil {
		return err
	}
	toks, err := s.reissue(ctx, c, u)
	if err != nil {
		return err
	}
	resp, err := s.tokenResponse(w, r, u, toks)
	if err != nil {
		return err
	}
	resp.NextView = "done"
	out.verifyResponse = resp
	switch {
	case out.EmailVerification != nil:
		out.NextView = "verify-email"
	case out.SMSVerification != nil:
		out.NextView = "verify-sms"
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// validate checks the profile fields: name-style strings of at most 255
// characters (Dynamic's API), a two-letter country, a JSON object as
// metadata.
func (f userFields) validate() error {
	for _, p := range []*string{f.Alias, f.FirstName, f.LastName, f.JobTitle, f.Team, f.TShirtSize, f.Username} {
		if p != nil && *p != "" && !isNameStyle(*p) {
			return errValidation("A profile field is malformed.")
		}
	}
	if f.Country != nil && *f.Country != "" && !isoCountry.MatchString(*f.Country) {
		return errValidation("country must be an ISO 3166 code.")
	}
	if f.Metadata != nil {
		m := bytes.TrimSpace(*f.Metadata)
		if len(m) == 0 || m[0] != '{' || !json.Valid(m) {
			return errValidation("metadata must be a JSON object.")
		}
	}
	return nil
}

// isNameStyle implements the API's name regex without look-around:
// 1-255 characters, no leading or trailing space, each a letter, a digit
// or one of ` _.,:!?&%@/+-'|`.
func isNameStyle(s string) bool {
	if len(s) == 0 || len([]rune(s)) > maxNameLen || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for _, c := range s {
		if unicode.IsLetter(c) || unicode.IsNumber(c) {
			continue
		}
		switch c {
		case ' ', '_', '.', ',', ':', '!', '?', '&', '%', '@', '/', '+', '-', '\'', '|':
			continue
		}
		return false
	}
	return true
}
