package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/verification"
)

// The one-time-code routes: smsVerifications/{create,retry,signin,verify}
// and emailVerifications/{create,retry,signin,verify}. Both channels share
// the handlers; they differ in the destination fields and in the error
// codes (channelCodes).

// channelCodes are a channel's 422 error codes.
type channelCodes struct {
	wrong   string // wrong code, 1st to 5th failure
	tooMany string // after the 5th failure
	expired string // code older than 10 minutes
	invalid string // unknown or used verificationUUID
}

var (
	smsCodes = channelCodes{
		wrong:   "invalid_sms_verification",
		tooMany: "too_many_sms_verification_attempts",
		expired: "sms_verification_expired",
		invalid: "invalid_sms_verification",
	}
	emailCodes = channelCodes{
		wrong:   "wrong_email_verification_token",
		tooMany: "too_many_email_verification_attempts",
		expired: "email_verification_expired",
		invalid: "invalid_email_verification",
	}
)

func codesOf(ch verification.Channel) channelCodes {
	if ch == verification.ChannelEmail {
		return emailCodes
	}
	return smsCodes
}

// smsDestination is the phone part of SMS create and retry bodies.
type smsDestination struct {
	PhoneCountryCode string `json:"phoneCountryCode"`
	PhoneNumber      string `json:"phoneNumber"`
	IsoCountryCode   string `json:"isoCountryCode"`
	CaptchaToken     string `json:"captchaToken,omitempty"`
}

// smsRetryRequest is the body of smsVerifications/retry.
type smsRetryRequest struct {
	VerificationUUID string `json:"verificationUUID"`
	smsDestination
}

// smsCreateResponse is the 201 answer of SMS create and retry.
type smsCreateResponse struct {
	VerificationUUID string `json:"verificationUUID"`
	PhoneNumber      string `json:"phoneNumber"`
	PhoneCountryCode string `json:"phoneCountryCode"`
	IsoCountryCode   string `json:"isoCountryCode"`
}

// emailCreateRequest is the body of emailVerifications/create and, with
// the UUID, of retry.
type emailCreateRequest struct {
	VerificationUUID string `json:"verificationUUID,omitempty"`
	Email            string `json:"email"`
	CaptchaToken     string `json:"captchaToken,omitempty"`
}

// emailCreateResponse is the 201 answer of email create and retry.
type emailCreateResponse struct {
	VerificationUUID string `json:"verificationUUID"`
	Email            string `json:"email"`
}

// codeSubmission is the body of signin and verify on both channels.
type codeSubmission struct {
	VerificationUUID  string          `json:"verificationUUID"`
	VerificationToken otpCode         `json:"verificationToken"`
	CaptchaToken      string          `json:"captchaToken,omitempty"`
	SessionPublicKey  string          `json:"sessionPublicKey,omitempty"`
	RequestedScopes   *[]string       `json:"requestedScopes,omitempty"`
	CreateMfaToken    *mfaTokenOption `json:"createMfaToken,omitempty"`
}

// otpCode is a verificationToken: a string of 6 digits, or (as some old
// clients send it) a JSON number, kept as its literal digits.
type otpCode string

func (c *otpCode) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = otpCode(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*c = otpCode(n.String())
	return nil
}

var (
	sixDigits   = regexp.MustCompile(`^[0-9]{6}$`)
	isoCountry  = regexp.MustCompile(`^[a-zA-Z]{2,4}\d?$`)
	emailFormat = regexp.MustCompile(`^[^@]{1,64}@[^@]+$`)
)

// maxNameLen bounds every name-style string of the API.
const maxNameLen = 255

// validUUIDField checks a verificationUUID against the API's UUID pattern.
func validUUIDField(s string) error {
	if !isUUID(s) {
		return errValidation("verificationUUID must be a UUID.")
	}
	return nil
}

// parsePhone validates the three phone fields: a malformed field is 400
// validation_error; a number libphonenumber does not consider valid for
// its region is 400 invalid_phone_number.
func parsePhone(d smsDestination) (phone.Number, error) {
	if d.PhoneCountryCode == "" || d.PhoneNumber == "" || d.IsoCountryCode == "" {
		return phone.Number{}, errValidation("phoneCountryCode, phoneNumber and isoCountryCode are required.")
	}
	if len(d.IsoCountryCode) > 4 || !isoCountry.MatchString(d.IsoCountryCode) {
		return phone.Number{}, errValidation("isoCountryCode is malformed.")
	}
	if len(d.PhoneCountryCode) > maxNameLen || len(d.PhoneNumber) > maxNameLen || len(d.CaptchaToken) > 4096 {
		return phone.Number{}, errValidation("A field is too long.")
	}
	n, err := phone.Parse(d.PhoneCountryCode, d.PhoneNumber, d.IsoCountryCode)
	if err != nil {
		return phone.Number{}, classifyPhone(err)
	}
	return n, nil
}

// validEmailField checks an email field against the API's pattern.
func validEmailField(email string) error {
	if len(email) > maxNameLen || !emailFormat.MatchString(email) {
		return errValidation("email is malformed.")
	}
	return nil
}

// smsCreate is POST smsVerifications/create.
func (s *server) smsCreate(w http.ResponseWriter, r *http.Request) error {
	var body smsDestination
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	n, err := parsePhone(body)
	if err != nil {
		return err
	}
	st, err := s.codes.Start(r.Context(), verification.StartRequest{
		Channel: verification.ChannelSMS, Phone: &n, CaptchaToken: body.CaptchaToken, RemoteIP: remoteIP(r),
	})
	if err != nil {
		return classifyVerification(err, verification.ChannelSMS)
	}
	writeJSON(w, http.StatusCreated, smsStarted(st, n))
	return nil
}

func smsStarted(st verification.Started, n phone.Number) smsCreateResponse {
	if st.Phone != nil {
		n = *st.Phone
	}
	return smsCreateResponse{
		VerificationUUID: st.ID,
		PhoneNumber:      n.NationalNumber,
		PhoneCountryCode: n.CallingCode,
		IsoCountryCode:   n.Region,
	}
}

// smsRetry is POST smsVerifications/retry: a new code for the same
// verification (the previous code stops working).
func (s *server) smsRetry(w http.ResponseWriter, r *http.Request) error {
	var body smsRetryRequest
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if err := validUUIDField(body.VerificationUUID); err != nil {
		return err
	}
	n, err := parsePhone(body.smsDestination)
	if err != nil {
		return err
	}
	if err := s.sameChannel(r.Context(), body.VerificationUUID, verification.ChannelSMS); err != nil {
		return err
	}
	// The SDK repeats the destination: another one is refused as unknown.
	st, err := s.codes.Resend(r.Context(), body.VerificationUUID, verification.ResendRequest{
		Phone: &n, CaptchaToken: body.CaptchaToken, RemoteIP: remoteIP(r),
	})
	if err != nil {
		return classifyVerification(err, verification.ChannelSMS)
	}
	writeJSON(w, http.StatusCreated, smsStarted(st, n))
	return nil
}

// emailCreate is POST emailVerifications/create.
func (s *server) emailCreate(w http.ResponseWriter, r *http.Request) error {
	var body emailCreateRequest
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if err := validEmailField(body.Email); err != nil {
		return err
	}
	st, err := s.codes.Start(r.Context(), verification.StartRequest{
		Channel: verification.ChannelEmail, Email: body.Email, CaptchaToken: body.CaptchaToken, RemoteIP: remoteIP(r),
	})
	if err != nil {
		return classifyVerification(err, verification.ChannelEmail)
	}
	writeJSON(w, http.StatusCreated, emailCreateResponse{VerificationUUID: st.ID, Email: st.Email})
	return nil
}

// emailRetry is POST emailVerifications/retry.
func (s *server) emailRetry(w http.ResponseWriter, r *http.Request) error {
	var body emailCreateRequest
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if err := validUUIDField(body.VerificationUUID); err != nil {
		return err
	}
	if err := validEmailField(body.Email); err != nil {
		return err
	}
	if err := s.sameChannel(r.Context(), body.VerificationUUID, verification.ChannelEmail); err != nil {
		return err
	}
	st, err := s.codes.Resend(r.Context(), body.VerificationUUID, verification.ResendRequest{
		Email: body.Email, CaptchaToken: body.CaptchaToken, RemoteIP: remoteIP(r),
	})
	if err != nil {
		return classifyVerification(err, verification.ChannelEmail)
	}
	writeJSON(w, http.StatusCreated, emailCreateResponse{VerificationUUID: st.ID, Email: st.Email})
	return nil
}

// checkSubmission validates a signin/verify body and checks its code,
// returning the credential it proves.
func (s *server) checkSubmission(r *http.Request, ch verification.Channel) (authkit.VerifiedCredential, codeSubmission, error) {
	p, body, err := s.proveSubmission(r, ch)
	return p.Credential(), body, err
}

// proveSubmission is checkSubmission returning the verification's Proof.
func (s *server) proveSubmission(r *http.Request, ch verification.Channel) (verification.Proof, codeSubmission, error) {
	var body codeSubmission
	if err := decodeJSON(r, &body); err != nil {
		return verification.Proof{}, body, err
	}
	if err := validUUIDField(body.VerificationUUID); err != nil {
		return verification.Proof{}, body, err
	}
	if !sixDigits.MatchString(string(body.VerificationToken)) {
		return verification.Proof{}, body, errValidation("verificationToken must be 6 digits.")
	}
	if err := validSessionPublicKey(body.SessionPublicKey); err != nil {
		return verification.Proof{}, body, err
	}
	if _, err := parseRequestedScopes(body.RequestedScopes); err != nil {
		return verification.Proof{}, body, err
	}
	// A verification of the other channel is unknown on this route: it
	// must neither burn its attempts nor be used up here.
	p, err := s.codes.ProveOn(r.Context(), ch, body.VerificationUUID, string(body.VerificationToken))
	if err != nil {
		return p, body, classifyVerification(err, ch)
	}
	return p, body, nil
}

// sameChannel refuses the retry of a verification of the other channel
// before its captcha is checked: on this route it is unknown. (A code
// submission's channel is checked by verification.Service.ProveOn.) A
// record's channel never changes, so reading it first is not a race.
// Anything else (unknown id, a store error) is left to Resend to report.
func (s *server) sameChannel(ctx context.Context, id string, ch verification.Channel) error {
	rec, err := s.stores.Verification.Get(ctx, strings.ToLower(id))
	if err == nil && rec.Channel != ch {
		return classifyVerification(verification.ErrNotFound, ch)
	}
	return nil
}

// codeSignin is POST {sms,email}Verifications/signin: check the code, find
// or create the user, and start a session.
func (s *server) codeSignin(ch verification.Channel) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		proof, body, err := s.proveSubmission(r, ch)
		if err != nil {
			return err
		}
		// The code's destination was parsed when it was sent: not again.
		u, created, err := s.accounts.FindOrCreateProven(r.Context(), proof)
		if err != nil {
			return err
		}
		scopes, _ := parseRequestedScopes(body.RequestedScopes)
		return s.signedIn(w, r, u, created, signInOptions{
			amr:              amrOf(ch),
			sessionPublicKey: body.SessionPublicKey,
			requestedScopes:  scopes,
		})
	}
}

// codeVerify is POST {sms,email}Verifications/verify: check the code and
// link the phone number or email to the signed-in user. It replaces the
// user's other emails or phone numbers: the user has one of each (an
// email or phone change).
func (s *server) codeVerify(ch verification.Channel) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		cred, body, err := s.checkSubmission(r, ch)
		if err != nil {
			return err
		}
		scopes, _ := parseRequestedScopes(body.RequestedScopes)
		return s.linkCredential(w, r, cred, linkOptions{amr: amrOf(ch), requestedScopes: scopes, replace: true})
	}
}

// amrOf is the RFC 8176 authentication method of a channel.
func amrOf(ch verification.Channel) string {
	if ch == verification.ChannelEmail {
		return authkit.AMROneTimePassword
	}
	return "sms"
}
