// Package httperr maps the errors of every authkit package to HTTP answers:
// a status, a stable machine-readable code and a safe message, plus the
// delay to send as Retry-After for rate limits.
//
// A handler that calls authkit services returns their errors unchanged and
// answers with [Write], or reads the [Answer] of [Of] to shape its own
// body:
//
//	if _, err := verifications.Check(ctx, id, code); err != nil {
//		httperr.Write(w, err)
//		return
//	}
//
// A host with codes of its own (a wire format it must keep) matches its
// exceptions first and falls back to [Lookup]; see the example.
//
// Write adds the WWW-Authenticate challenge a 401 needs (RFC 9110
// §15.5.2) to the token refusals of package session (RFC 6750 §3, as
// session.MiddlewareConfig.WriteError sends it) and to step-up refusals
// (RFC 9470 §3, as stepup.WriteError sends it).
//
// Every exported sentinel of every package has a row: the status follows
// RFC 9110 §15 (400 malformed input, 401 a missing or refused token as in
// RFC 6750 §3.1, 403 refused by policy, 404 unknown, 409 a conflict with
// the stored state, 422 well-formed but refused, 429 rate limited with
// Retry-After per RFC 6585 §4, 502 an upstream provider failed, 503 a
// store or checker could not decide). Errors that only a misconfiguration
// or a bug can produce, and unknown errors, are 500 "internal_error" with
// no detail. Codes are part of the API: they never change once released.
//
// The package imports every service package; none of them imports it, so a
// host pays for it only when it wants the mapping.
//
// # Table
//
// The adapters' outages (store/postgres.ErrUnavailable,
// store/redis.ErrUnavailable) wrap authkit.ErrStoreUnavailable; their other
// errors mean a bug and are 500. Error types are matched through the
// sentinel they wrap or match: a *ratelimit.LimitedError through its Err
// (or ratelimit.ErrLimited), with its RetryAfter; an *oauth.ProviderError
// as oauth.ErrProviderError; a *stepup.Error as stepup.ErrRequired.
//
// Each sentinel's status and code, in the order they are matched (the
// first row that errors.Is matches wins, so a child comes before its
// parent and an outage before everything):
//
//	authkit.ErrStoreUnavailable          503 store_unavailable
//	captcha.ErrUnavailable               503 captcha_unavailable
//	captcha.ErrMissingToken              400 captcha_required
//	captcha.ErrFailed                    422 captcha_failed
//	captcha.ErrConfig                    500 internal_error
//	phone.ErrInvalidInput                400 phone_invalid_input
//	phone.ErrUnknownRegion               400 phone_unknown_region
//	phone.ErrRegionMismatch              400 phone_region_mismatch
//	phone.ErrInvalidNumber               400 phone_invalid_number
//	phone.ErrNotAllowed                  422 phone_not_allowed
//	verification.ErrRateLimited          429 verification_rate_limited
//	verification.ErrSendLimitUnavailable 503 verification_send_limit_unavailable
//	verification.ErrNotFound             404 verification_not_found
//	verification.ErrExpired              422 verification_expired
//	verification.ErrWrongCode            422 verification_wrong_code
//	verification.ErrTooManyAttempts      422 verification_too_many_attempts
//	verification.ErrAlreadyUsed          409 verification_already_used
//	verification.ErrCaptchaFailed        422 captcha_failed
//	verification.ErrDestinationRejected  422 verification_destination_rejected
//	verification.ErrInvalidCode          400 verification_invalid_code
//	verification.ErrInvalidDestination   400 verification_invalid_destination
//	verification.ErrChannelUnavailable   404 verification_channel_unavailable
//	verification.ErrSendFailed           502 verification_send_failed
//	verification.ErrDuplicate            500 internal_error
//	verification.ErrConfig               500 internal_error
//	mfa.ErrLockedOut                     429 mfa_locked_out
//	mfa.ErrRateLimited                   429 mfa_rate_limited
//	mfa.ErrInvalidCode                   422 mfa_invalid_code
//	mfa.ErrStepUsed                      422 mfa_invalid_code
//	mfa.ErrNoPendingDevice               404 mfa_no_pending_device
//	mfa.ErrDeviceNotFound                404 mfa_device_not_found
//	mfa.ErrNotFound                      404 mfa_not_found
//	mfa.ErrTooManyDevices                409 mfa_too_many_devices
//	mfa.ErrAlreadyConfirmed              409 mfa_already_confirmed
//	mfa.ErrInvalidRecoveryCode           422 mfa_invalid_recovery_code
//	mfa.ErrNoRecoveryCodes               404 mfa_no_recovery_codes
//	mfa.ErrRecoveryCodesAcknowledged     409 mfa_recovery_codes_acknowledged
//	mfa.ErrTokenInvalid                  403 mfa_token_invalid
//	mfa.ErrInvalidLabel                  400 mfa_invalid_label
//	mfa.ErrInvalidUser                   400 mfa_invalid_user
//	mfa.ErrDuplicate                     500 internal_error
//	mfa.ErrSealedOpen                    500 internal_error
//	mfa.ErrSealerKey                     500 internal_error
//	mfa.ErrConfig                        500 internal_error
//	mfa.ErrQRCode                        500 internal_error
//	stepup.ErrRequired                   401 step_up_required
//	stepup.ErrMFATokenInvalid            403 mfa_token_invalid
//	session.ErrInsufficientScope         403 insufficient_scope
//	session.ErrCSRF                      403 csrf_rejected
//	session.ErrNoToken                   401 unauthorized
//	session.ErrRefreshReuse              401 invalid_token
//	session.ErrRevoked                   401 invalid_token
//	session.ErrExpired                   401 invalid_token
//	session.ErrAlreadyUsed               401 invalid_token
//	session.ErrInvalidToken              401 invalid_token
//	session.ErrNotFound                  401 invalid_token
//	session.ErrInvalidRequest            400 invalid_request
//	session.ErrDuplicate                 500 internal_error
//	session.ErrConfig                    500 internal_error
//	keysync.ErrSchedule                  500 internal_error
//	oauth.ErrNotFound                    400 oauth_state_not_found
//	oauth.ErrStateExpired                400 oauth_state_expired
//	oauth.ErrStateUsed                   400 oauth_state_used
//	oauth.ErrDuplicate                   409 oauth_state_exists
//	oauth.ErrStateMismatch               400 oauth_state_mismatch
//	oauth.ErrCallbackRecorded            400 oauth_callback_recorded
//	oauth.ErrBrowserMismatch             403 oauth_browser_mismatch
//	oauth.ErrInvalidState                400 oauth_invalid_state
//	oauth.ErrUnknownProvider             404 oauth_unknown_provider
//	oauth.ErrRedirectURLNotAllowed       400 oauth_redirect_url_not_allowed
//	oauth.ErrInvalidStateValue           400 oauth_invalid_state_value
//	oauth.ErrInvalidCodeChallenge        400 oauth_invalid_code_challenge
//	oauth.ErrInvalidCodeVerifier         422 oauth_invalid_code_verifier
//	oauth.ErrExchangeFailed              422 oauth_exchange_failed
//	oauth.ErrUserInfoSubjectMismatch     422 oauth_userinfo_subject_mismatch
//	oauth.ErrInvalidIDToken              422 oauth_invalid_id_token
//	oauth.ErrProviderError               422 oauth_provider_error
//	oauth.ErrProviderUnavailable         502 oauth_provider_unavailable
//	oauth.ErrConfig                      500 internal_error
//	passkey.ErrInvalidUser               400 passkey_invalid_user
//	passkey.ErrUnknownRPID               400 passkey_unknown_rp_id
//	passkey.ErrInvalidResponse           400 passkey_invalid_response
//	passkey.ErrInvalidAlias              400 passkey_invalid_alias
//	passkey.ErrChallenge                 422 passkey_invalid_challenge
//	passkey.ErrCeremonyMismatch          422 passkey_ceremony_mismatch
//	passkey.ErrVerification              422 passkey_verification_failed
//	passkey.ErrSignCount                 422 passkey_sign_count
//	passkey.ErrCredentialNotFound        404 passkey_credential_not_found
//	passkey.ErrNoPasskeys                404 passkey_none
//	passkey.ErrNotFound                  404 passkey_not_found
//	passkey.ErrCredentialExists          409 passkey_credential_exists
//	passkey.ErrDuplicate                 409 passkey_duplicate
//	passkey.ErrTooManyPasskeys           409 passkey_too_many
//	passkey.ErrLastCredential            409 passkey_last_credential
//	passkey.ErrConfig                    500 internal_error
//	devicebind.ErrMalformed              403 invalid_device_proof
//	devicebind.ErrBadSignature           403 invalid_device_proof
//	devicebind.ErrUnknownNonce           403 invalid_device_proof
//	devicebind.ErrInvalidProof           403 invalid_device_proof
//	devicebind.ErrNotFound               403 invalid_device_proof
//	devicebind.ErrDuplicate              500 internal_error
//	devicebind.ErrConfig                 500 internal_error
//	account.ErrNotFound                  404 account_not_found
//	account.ErrCredentialNotFound        404 account_credential_not_found
//	account.ErrCredentialTaken           409 account_credential_taken
//	account.ErrLastCredential            409 account_last_credential
//	account.ErrInvalidCredential         400 account_invalid_credential
//	account.ErrInvalidID                 400 account_invalid_id
//	account.ErrInvalidProfile            400 account_invalid_profile
//	account.ErrPurge                     500 internal_error
//	account.ErrNoPurgers                 500 internal_error
//	account.ErrConfig                    500 internal_error
//	ratelimit.ErrLimited                 429 rate_limited
//	ratelimit.ErrInvalidRule             500 internal_error
//	ratelimit.ErrConfig                  500 internal_error
package httperr
