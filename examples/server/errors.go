package main

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/captcha"
	"github.com/authkit/authkit/devicebind"
	"github.com/authkit/authkit/httperr"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/verification"
)

// This file is the one place where errors become HTTP answers: every
// handler returns an error, and writeError turns it into a status, a
// Dynamic-style {"error", "code"} body and, for rate limits, Retry-After.

// apiError is an error with its HTTP answer.
type apiError struct {
	Status int
	Code   string
	Msg    string
	// RetryAfter, when positive, is sent as the Retry-After header
	// (whole seconds, rounded up).
	RetryAfter time.Duration
	// cause is the library error behind it, for errors.Is and the log.
	cause error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.Msg
}

func (e *apiError) Unwrap() error { return e.cause }

// errorBody is the JSON of every error response.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// Constructors for the API errors (Dynamic's codes) that do not come from a
// library package.
func errValidation(msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "validation_error", Msg: msg}
}

func errUnauthorized() *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: "unauthorized", Msg: "Missing, invalid, expired or revoked token."}
}

func errInsufficientScope() *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "insufficient_scope", Msg: "The token lacks a scope this route needs."}
}

func errMFATokenRequired() *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "mfa_token_required", Msg: "A valid x-mfa-auth-token header is required."}
}

func errCSRF() *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "csrf_rejected", Msg: "Cross-site request refused."}
}

func errNotFound() *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "not_found", Msg: "No such route."}
}

func errEnvironmentNotFound() *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "environment_not_found", Msg: "No such environment."}
}

func errMethodNotAllowed() *apiError {
	return &apiError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Msg: "Method not allowed on this route."}
}

func errBodyTooLarge() *apiError {
	return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Msg: "Request body over 64 KiB."}
}

func errRateLimited(retryAfter time.Duration, cause error) *apiError {
	return &apiError{Status: http.StatusTooManyRequests, Code: "rate_limited", Msg: "Too many requests. Please try again later.", RetryAfter: retryAfter, cause: cause}
}

func errUnprocessable(code, msg string, cause error) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: code, Msg: msg, cause: cause}
}

func errInternal(cause error) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: "internal_error", Msg: "Internal error.", cause: cause}
}

// asAPIError maps any error to its answer. Errors already mapped pass
// through; the errors of the server's own helpers (users, body decoding)
// are mapped here; library errors are mapped by the handler that knows
// their context (SMS or email, …) through the classify* functions, which
// all live in this file, with Dynamic's codes; what no handler classified
// gets httperr's generic answer; anything else is a 500.
func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errBodyTooLarge()
	case errors.Is(err, errUserNotFound):
		// A token that outlived its user: treat like a revoked session.
		return errUnauthorized()
	case errors.Is(err, errCredentialInUse):
		return errUnprocessable("credential_already_linked", "This credential belongs to another user.", err)
	case errors.Is(err, account.ErrLastCredential):
		return errUnprocessable("cannot_delete_last_sign_in_verified_credential", "The last sign-in credential cannot be removed.", err)
	case errors.Is(err, account.ErrCredentialNotFound), errors.Is(err, account.ErrInvalidID):
		return errUnprocessable("invalid_unlink_request", "This credential is not the user's.", err)
	case errors.Is(err, account.ErrInvalidProfile):
		return errUnprocessable("invalid_update", "A profile field is malformed.", err)
	case errors.Is(err, account.ErrInvalidCredential):
		return errUnprocessable("invalid_verification", "The credential cannot be used.", err)
	}
	if ae := classifyLibraryError(err); ae != nil {
		return ae
	}
	return errInternal(err)
}

// writeError answers with err mapped by asAPIError.
func writeError(w http.ResponseWriter, err error) *apiError {
	ae := asAPIError(err)
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(httperr.RetryAfterSeconds(ae.RetryAfter)))
	}
	writeJSON(w, ae.Status, errorBody{Error: ae.Msg, Code: ae.Code})
	return ae
}

// classifyVerification maps the errors of verification and phone to
// the API's answers for the channel.
func classifyVerification(err error, ch verification.Channel) error {
	c := codesOf(ch)
	var rl *ratelimit.LimitedError
	switch {
	case errors.As(err, &rl):
		return errRateLimited(rl.RetryAfter, err)
	case errors.Is(err, verification.ErrWrongCode):
		return errUnprocessable(c.wrong, "Wrong verification code.", err)
	case errors.Is(err, verification.ErrTooManyAttempts):
		return errUnprocessable(c.tooMany, "Too many wrong codes; start a new verification.", err)
	case errors.Is(err, verification.ErrExpired):
		return errUnprocessable(c.expired, "The verification code has expired.", err)
	case errors.Is(err, verification.ErrNotFound), errors.Is(err, verification.ErrAlreadyUsed):
		return errUnprocessable(c.invalid, "Unknown or already used verification.", err)
	case errors.Is(err, verification.ErrInvalidCode):
		return errValidation("verificationToken must be 6 digits.")
	case errors.Is(err, verification.ErrDestinationRejected):
		if ch == verification.ChannelSMS {
			return &apiError{Status: http.StatusBadRequest, Code: "phone_number_not_allowed", Msg: "SMS cannot be sent to this number.", cause: err}
		}
		return errUnprocessable("email_not_allowed", "Email cannot be sent to this address.", err)
	case errors.Is(err, verification.ErrInvalidDestination):
		if ch == verification.ChannelSMS {
			return classifyPhone(err)
		}
		return errValidation("email is malformed.")
	case errors.Is(err, verification.ErrCaptchaFailed):
		return classifyCaptcha(err)
	case errors.Is(err, verification.ErrChannelUnavailable):
		return errNotFound()
	case errors.Is(err, verification.ErrSendLimitUnavailable):
		return &apiError{Status: http.StatusServiceUnavailable, Code: "service_unavailable", Msg: "The code could not be sent now; try again later.", cause: err}
	case errors.Is(err, verification.ErrSendFailed):
		return &apiError{Status: http.StatusBadGateway, Code: "send_failed", Msg: "The code could not be sent.", cause: err}
	}
	return err
}

// classifyCaptcha maps a captcha check's error. Every error is a refusal
// (fail closed): a provider that could not be asked is 503, anything else
// (no token, a token refused) is 422 captcha_failed.
func classifyCaptcha(err error) error {
	if errors.Is(err, captcha.ErrUnavailable) {
		return &apiError{Status: http.StatusServiceUnavailable, Code: "service_unavailable", Msg: "Captcha verification is unavailable; try again later.", cause: err}
	}
	return errUnprocessable("captcha_failed", "Captcha verification failed.", err)
}

// classifyPhone maps the errors of phone.Parse: malformed input is a
// validation error, a number that is not valid for its region is
// invalid_phone_number.
func classifyPhone(err error) error {
	switch {
	case errors.Is(err, phone.ErrInvalidInput):
		return errValidation("A phone field is malformed.")
	case errors.Is(err, phone.ErrUnknownRegion), errors.Is(err, phone.ErrRegionMismatch), errors.Is(err, phone.ErrInvalidNumber):
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_phone_number", Msg: "Invalid phone number.", cause: err}
	case errors.Is(err, phone.ErrNotAllowed):
		return &apiError{Status: http.StatusBadRequest, Code: "phone_number_not_allowed", Msg: "SMS cannot be sent to this number.", cause: err}
	}
	return &apiError{Status: http.StatusBadRequest, Code: "invalid_phone_number", Msg: "Invalid phone number.", cause: err}
}

// classifyMFA maps the mfa package's errors to the codes Dynamic's SDK
// turns into its error classes: mfa_invalid_code (MfaInvalidOtpError) for
// a wrong or replayed TOTP or recovery code, mfa_rate_limited
// (MfaRateLimitedError) for the lockout, mfa_device_not_found otherwise.
func classifyMFA(err error) error {
	var tm *ratelimit.LimitedError
	switch {
	case errors.Is(err, mfa.ErrRateLimited) && errors.As(err, &tm):
		return &apiError{Status: http.StatusTooManyRequests, Code: "mfa_rate_limited", Msg: "Too many MFA attempts. Please try again later.", RetryAfter: tm.RetryAfter, cause: err}
	case errors.Is(err, mfa.ErrLockedOut):
		// No Retry-After: only an administrator's reset ends it.
		return &apiError{Status: http.StatusTooManyRequests, Code: "mfa_rate_limited", Msg: "Too many failed MFA attempts. Contact support to unlock.", cause: err}
	case errors.Is(err, mfa.ErrInvalidCode):
		return errUnprocessable("mfa_invalid_code", "Invalid TOTP code.", err)
	case errors.Is(err, mfa.ErrNoPendingDevice):
		return errUnprocessable("mfa_device_not_found", "No unverified device to confirm.", err)
	case errors.Is(err, mfa.ErrDeviceNotFound):
		return errUnprocessable("mfa_device_not_found", "No such MFA device.", err)
	case errors.Is(err, mfa.ErrTooManyDevices):
		return errUnprocessable("too_many_mfa_devices", "Too many MFA devices.", err)
	case errors.Is(err, mfa.ErrInvalidRecoveryCode):
		return errUnprocessable("mfa_invalid_code", "Invalid recovery code.", err)
	case errors.Is(err, mfa.ErrNoRecoveryCodes):
		return errUnprocessable("no_recovery_codes", "No recovery codes have been issued.", err)
	case errors.Is(err, mfa.ErrTokenInvalid):
		return errMFATokenRequired()
	}
	return err
}

// errMFARequestInvalid is a malformed MFA request (a type other than totp).
func errMFARequestInvalid(msg string) *apiError {
	return errUnprocessable("mfa_invalid_request", msg, nil)
}

// classifyPasskey maps the passkey package's errors to Dynamic's codes: a
// failed ceremony is other_verify_failure, which the enum offers for
// failed verifications.
func classifyPasskey(err error) error {
	switch {
	case errors.Is(err, passkey.ErrInvalidResponse):
		return errValidation("Malformed WebAuthn response.")
	case errors.Is(err, passkey.ErrUnknownRPID):
		return errValidation("relatedOriginRpId names no configured relying party.")
	case errors.Is(err, passkey.ErrInvalidAlias):
		return errValidation("alias is too long or not UTF-8.")
	case errors.Is(err, passkey.ErrChallenge), errors.Is(err, passkey.ErrCeremonyMismatch):
		return errUnprocessable("other_verify_failure", "Unknown, expired or already used passkey challenge.", err)
	case errors.Is(err, passkey.ErrVerification):
		return errUnprocessable("other_verify_failure", "The passkey response failed verification.", err)
	case errors.Is(err, passkey.ErrSignCount):
		return errUnprocessable("other_verify_failure", "The passkey's signature counter went backwards; it may have been cloned.", err)
	case errors.Is(err, passkey.ErrCredentialExists):
		return errUnprocessable("other_verify_failure", "This passkey is already registered.", err)
	case errors.Is(err, passkey.ErrCredentialNotFound), errors.Is(err, passkey.ErrNoPasskeys):
		return errUnprocessable("passkey_not_found", "No such passkey.", err)
	case errors.Is(err, passkey.ErrTooManyPasskeys):
		return errUnprocessable("max_passkeys_per_user", "Too many passkeys.", err)
	case errors.Is(err, passkey.ErrLastCredential):
		return errUnprocessable("cannot_delete_last_sign_in_verified_credential", "This passkey is the last way to sign in.", err)
	}
	return err
}

// classifySession maps the session package's errors: anything wrong with
// the token or its session is 401 unauthorized.
func classifySession(err error) error {
	switch {
	case errors.Is(err, session.ErrCSRF):
		return errCSRF()
	case errors.Is(err, session.ErrInsufficientScope):
		return errInsufficientScope()
	case errors.Is(err, session.ErrInvalidRequest):
		return errValidation("Invalid request.")
	}
	if errors.Is(err, session.ErrInvalidToken) {
		return &apiError{Status: http.StatusUnauthorized, Code: "unauthorized", Msg: "Missing, invalid, expired or revoked token.", cause: err}
	}
	return err
}

// classifyOAuth maps the oauth package's errors to the enum codes of
// Dynamic's UnprocessableEntity: an unusable state is invalid_verification,
// every failed completion (exchange, PKCE, ID token, provider refusal) is
// other_verify_failure.
func classifyOAuth(err error) error {
	var pe *oauth.ProviderError
	switch {
	case errors.Is(err, oauth.ErrUnknownProvider):
		return errProviderNotAvailable()
	case errors.Is(err, oauth.ErrInvalidStateValue), errors.Is(err, oauth.ErrRedirectURLNotAllowed), errors.Is(err, oauth.ErrInvalidCodeChallenge):
		return &apiError{Status: http.StatusBadRequest, Code: "validation_error", Msg: err.Error(), cause: err}
	case errors.Is(err, oauth.ErrInvalidState):
		return errUnprocessable("invalid_verification", "Unknown, expired or used OAuth state.", err)
	case errors.Is(err, oauth.ErrInvalidCodeVerifier):
		return errUnprocessable("other_verify_failure", "Missing or wrong PKCE code verifier.", err)
	case errors.As(err, &pe), errors.Is(err, oauth.ErrProviderError):
		return errUnprocessable("other_verify_failure", "The provider refused the sign-in.", err)
	case errors.Is(err, oauth.ErrInvalidIDToken):
		return errUnprocessable("other_verify_failure", "The provider's ID token failed verification.", err)
	case errors.Is(err, oauth.ErrExchangeFailed):
		return errUnprocessable("other_verify_failure", "The authorization code was refused.", err)
	case errors.Is(err, oauth.ErrProviderUnavailable):
		return &apiError{Status: http.StatusBadGateway, Code: "provider_unavailable", Msg: "The OAuth provider is unavailable.", cause: err}
	}
	return err
}

// errProviderNotAvailable answers a providers/{type} route whose type is
// not configured.
func errProviderNotAvailable() *apiError {
	return errUnprocessable("provider_not_available", "This sign-in provider is not available.", nil)
}

// classifyLink maps a credential that belongs to another user to the
// code of its kind.
func classifyLink(err error, f authkit.CredentialFormat) error {
	if !errors.Is(err, errCredentialInUse) {
		return err
	}
	switch f {
	case authkit.FormatEmail:
		return errUnprocessable("user_has_already_account_with_email", "This email belongs to another user.", err)
	case authkit.FormatPhoneNumber:
		return errUnprocessable("user_has_already_account_with_phone_number", "This phone number belongs to another user.", err)
	case authkit.FormatOAuth:
		return errUnprocessable("social_account_already_exists", "This account belongs to another user.", err)
	}
	return err
}

// classifyLibraryError maps library errors that reach asAPIError without
// a handler having classified them: the generic mapping of httperr, with
// every rate limit under the API's one code, rate_limited.
func classifyLibraryError(err error) *apiError {
	a, ok := httperr.Lookup(err)
	switch {
	case !ok:
		return nil
	case a.Status == http.StatusTooManyRequests:
		return errRateLimited(a.RetryAfter, err)
	case a.Status == http.StatusInternalServerError:
		return errInternal(err)
	}
	return &apiError{Status: a.Status, Code: a.Code, Msg: a.Message, RetryAfter: a.RetryAfter, cause: err}
}

// classifyDevice maps a refused device proof: an unknown, used or expired
// nonce, a bad signature or malformed headers are all 403
// invalid_device_signature; anything else (the store) passes through.
func classifyDevice(err error) error {
	if errors.Is(err, devicebind.ErrInvalidProof) {
		return &apiError{Status: http.StatusForbidden, Code: "invalid_device_signature", Msg: "Invalid device signature: " + errors.Unwrap(err).Error() + ".", cause: err}
	}
	return err
}

// errDeviceSignatureRequired refuses a request without a device proof
// when the server requires one, or whose proof is of another device than
// the session's.
func errDeviceSignatureRequired() *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "invalid_device_signature", Msg: "A signature of this session's device is required."}
}

// errInvalidSessionPublicKey is a malformed x-dyn-session-public-key, or
// one other than the session's.
func errInvalidSessionPublicKey() *apiError {
	return errUnprocessable("invalid_session_public_key", "Invalid session public key.", nil)
}
