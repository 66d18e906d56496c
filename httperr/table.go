package httperr

import (
	"errors"
	"net/http"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/captcha"
	"github.com/authkit/authkit/devicebind"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/keysync"
	"github.com/authkit/authkit/session/stepup"
	"github.com/authkit/authkit/verification"
)

// row answers one sentinel.
type row struct {
	err    error
	status int
	code   string
}

// Status shorthands keep the table one row per line.
const (
	s400 = http.StatusBadRequest
	s401 = http.StatusUnauthorized
	s403 = http.StatusForbidden
	s404 = http.StatusNotFound
	s409 = http.StatusConflict
	s422 = http.StatusUnprocessableEntity
	s429 = http.StatusTooManyRequests
	s500 = http.StatusInternalServerError
	s502 = http.StatusBadGateway
	s503 = http.StatusServiceUnavailable
)

// rows is searched in order and the first match wins, so order carries
// meaning where one error matches several sentinels:
//   - an outage first: a store or checker that could not decide is 503
//     whichever operation it failed;
//   - a child before its parent (oauth's state errors before
//     ErrInvalidState, session's refresh errors before ErrRevoked, a
//     lockout before the rate limit it is joined with);
//   - a cause that says more before the wrapper (captcha's errors before
//     verification.ErrCaptchaFailed, phone's before verification's);
//   - ratelimit.ErrLimited last among rate limits, after the packages'
//     own sentinels that may wrap it.
//
// The test proves that every exported sentinel of every package has a row
// and that each row answers its own sentinel.
var rows = []row{
	{authkit.ErrStoreUnavailable, s503, "store_unavailable"},

	{captcha.ErrUnavailable, s503, "captcha_unavailable"},
	{captcha.ErrMissingToken, s400, "captcha_required"},
	{captcha.ErrFailed, s422, "captcha_failed"},
	{captcha.ErrConfig, s500, CodeInternal},

	{phone.ErrInvalidInput, s400, "phone_invalid_input"},
	{phone.ErrUnknownRegion, s400, "phone_unknown_region"},
	{phone.ErrRegionMismatch, s400, "phone_region_mismatch"},
	{phone.ErrInvalidNumber, s400, "phone_invalid_number"},
	{phone.ErrNotAllowed, s422, "phone_not_allowed"},

	{verification.ErrRateLimited, s429, "verification_rate_limited"},
	{verification.ErrSendLimitUnavailable, s503, "verification_send_limit_unavailable"},
	{verification.ErrNotFound, s404, "verification_not_found"},
	{verification.ErrExpired, s422, "verification_expired"},
	{verification.ErrWrongCode, s422, "verification_wrong_code"},
	{verification.ErrTooManyAttempts, s422, "verification_too_many_attempts"},
	{verification.ErrAlreadyUsed, s409, "verification_already_used"},
	{verification.ErrCaptchaFailed, s422, "captcha_failed"},
	{verification.ErrDestinationRejected, s422, "verification_destination_rejected"},
	{verification.ErrInvalidCode, s400, "verification_invalid_code"},
	{verification.ErrInvalidDestination, s400, "verification_invalid_destination"},
	{verification.ErrChannelUnavailable, s404, "verification_channel_unavailable"},
	{verification.ErrSendFailed, s502, "verification_send_failed"},
	{verification.ErrDuplicate, s500, CodeInternal},
	{verification.ErrConfig, s500, CodeInternal},

	{mfa.ErrLockedOut, s429, "mfa_locked_out"},
	{mfa.ErrRateLimited, s429, "mfa_rate_limited"},
	{mfa.ErrInvalidCode, s422, "mfa_invalid_code"},
	{mfa.ErrStepUsed, s422, "mfa_invalid_code"},
	{mfa.ErrNoPendingDevice, s404, "mfa_no_pending_device"},
	{mfa.ErrDeviceNotFound, s404, "mfa_device_not_found"},
	{mfa.ErrNotFound, s404, "mfa_not_found"},
	{mfa.ErrTooManyDevices, s409, "mfa_too_many_devices"},
	{mfa.ErrAlreadyConfirmed, s409, "mfa_already_confirmed"},
	{mfa.ErrInvalidRecoveryCode, s422, "mfa_invalid_recovery_code"},
	{mfa.ErrNoRecoveryCodes, s404, "mfa_no_recovery_codes"},
	{mfa.ErrRecoveryCodesAcknowledged, s409, "mfa_recovery_codes_acknowledged"},
	{mfa.ErrTokenInvalid, s403, "mfa_token_invalid"},
	{mfa.ErrInvalidLabel, s400, "mfa_invalid_label"},
	{mfa.ErrInvalidUser, s400, "mfa_invalid_user"},
	{mfa.ErrDuplicate, s500, CodeInternal},
	{mfa.ErrSealedOpen, s500, CodeInternal},
	{mfa.ErrSealerKey, s500, CodeInternal},
	{mfa.ErrConfig, s500, CodeInternal},
	{mfa.ErrQRCode, s500, CodeInternal},

	// The codes and statuses of session.MiddlewareConfig.WriteError, and
	// stepup.WriteError for step-up refusals.
	{stepup.ErrRequired, s401, "step_up_required"},
	{stepup.ErrMFATokenInvalid, s403, "mfa_token_invalid"},
	{session.ErrInsufficientScope, s403, "insufficient_scope"},
	{session.ErrCSRF, s403, "csrf_rejected"},
	{session.ErrNoToken, s401, "unauthorized"},
	{session.ErrRefreshReuse, s401, "invalid_token"},
	{session.ErrRevoked, s401, "invalid_token"},
	{session.ErrExpired, s401, "invalid_token"},
	{session.ErrAlreadyUsed, s401, "invalid_token"},
	{session.ErrInvalidToken, s401, "invalid_token"}, // every other refusal of a token
	{session.ErrNotFound, s401, "invalid_token"},
	{session.ErrInvalidRequest, s400, "invalid_request"},
	{session.ErrDuplicate, s500, CodeInternal},
	{session.ErrConfig, s500, CodeInternal},
	{keysync.ErrSchedule, s500, CodeInternal},

	{oauth.ErrNotFound, s400, "oauth_state_not_found"},
	{oauth.ErrStateExpired, s400, "oauth_state_expired"},
	{oauth.ErrStateUsed, s400, "oauth_state_used"},
	{oauth.ErrDuplicate, s409, "oauth_state_exists"},
	{oauth.ErrStateMismatch, s400, "oauth_state_mismatch"},
	{oauth.ErrCallbackRecorded, s400, "oauth_callback_recorded"},
	{oauth.ErrBrowserMismatch, s403, "oauth_browser_mismatch"},
	{oauth.ErrInvalidState, s400, "oauth_invalid_state"},
	{oauth.ErrUnknownProvider, s404, "oauth_unknown_provider"},
	{oauth.ErrRedirectURLNotAllowed, s400, "oauth_redirect_url_not_allowed"},
	{oauth.ErrInvalidStateValue, s400, "oauth_invalid_state_value"},
	{oauth.ErrInvalidCodeChallenge, s400, "oauth_invalid_code_challenge"},
	{oauth.ErrInvalidCodeVerifier, s422, "oauth_invalid_code_verifier"},
	{oauth.ErrExchangeFailed, s422, "oauth_exchange_failed"},
	{oauth.ErrUserInfoSubjectMismatch, s422, "oauth_userinfo_subject_mismatch"},
	{oauth.ErrInvalidIDToken, s422, "oauth_invalid_id_token"},
	{oauth.ErrProviderError, s422, "oauth_provider_error"},
	{oauth.ErrProviderUnavailable, s502, "oauth_provider_unavailable"},
	{oauth.ErrConfig, s500, CodeInternal},

	{passkey.ErrInvalidUser, s400, "passkey_invalid_user"},
	{passkey.ErrUnknownRPID, s400, "passkey_unknown_rp_id"},
	{passkey.ErrInvalidResponse, s400, "passkey_invalid_response"},
	{passkey.ErrInvalidAlias, s400, "passkey_invalid_alias"},
	{passkey.ErrChallenge, s422, "passkey_invalid_challenge"},
	{passkey.ErrCeremonyMismatch, s422, "passkey_ceremony_mismatch"},
	{passkey.ErrVerification, s422, "passkey_verification_failed"},
	{passkey.ErrSignCount, s422, "passkey_sign_count"},
	{passkey.ErrCredentialNotFound, s404, "passkey_credential_not_found"},
	{passkey.ErrNoPasskeys, s404, "passkey_none"},
	{passkey.ErrNotFound, s404, "passkey_not_found"},
	{passkey.ErrCredentialExists, s409, "passkey_credential_exists"},
	{passkey.ErrDuplicate, s409, "passkey_duplicate"},
	{passkey.ErrTooManyPasskeys, s409, "passkey_too_many"},
	{passkey.ErrLastCredential, s409, "passkey_last_credential"},
	{passkey.ErrConfig, s500, CodeInternal},

	{devicebind.ErrMalformed, s403, "invalid_device_proof"},
	{devicebind.ErrBadSignature, s403, "invalid_device_proof"},
	{devicebind.ErrUnknownNonce, s403, "invalid_device_proof"},
	{devicebind.ErrInvalidProof, s403, "invalid_device_proof"},
	{devicebind.ErrNotFound, s403, "invalid_device_proof"},
	{devicebind.ErrDuplicate, s500, CodeInternal},
	{devicebind.ErrConfig, s500, CodeInternal},

	{account.ErrNotFound, s404, "account_not_found"},
	{account.ErrCredentialNotFound, s404, "account_credential_not_found"},
	{account.ErrCredentialTaken, s409, "account_credential_taken"},
	{account.ErrLastCredential, s409, "account_last_credential"},
	{account.ErrInvalidCredential, s400, "account_invalid_credential"},
	{account.ErrInvalidID, s400, "account_invalid_id"},
	{account.ErrInvalidProfile, s400, "account_invalid_profile"},
	{account.ErrPurge, s500, CodeInternal},
	{account.ErrNoPurgers, s500, CodeInternal},
	{account.ErrConfig, s500, CodeInternal},

	{ratelimit.ErrLimited, s429, "rate_limited"},
	{ratelimit.ErrInvalidRule, s500, CodeInternal},
	{ratelimit.ErrConfig, s500, CodeInternal},
}

// retryAfter is the delay carried by the rate-limit error in err's chain,
// or 0 when there is none (a lockout only a reset ends).
func retryAfter(err error) time.Duration {
	// One type carries every RetryAfter: verification and mfa return a
	// *ratelimit.LimitedError with their own sentinel in Err.
	var rl *ratelimit.LimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter
	}
	return 0
}
