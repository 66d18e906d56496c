package verification

import "errors"

// Errors returned by the Service and by every Store. Callers branch with
// errors.Is; httperr.Write answers each with its HTTP status and stable
// code.
var (
	// ErrNotFound: no verification has that id (or it was purged, or the
	// destination repeated on a resend is not the one it was made for).
	ErrNotFound = errors.New("verification: not found")
	// ErrExpired: the current code is older than the TTL.
	ErrExpired = errors.New("verification: code expired")
	// ErrWrongCode: the submitted code does not match; one attempt was used.
	ErrWrongCode = errors.New("verification: wrong code")
	// ErrTooManyAttempts: MaxAttempts wrong codes were submitted; every
	// further submission, the right code included, is refused.
	ErrTooManyAttempts = errors.New("verification: too many attempts")
	// ErrAlreadyUsed: the verification already succeeded once.
	ErrAlreadyUsed = errors.New("verification: already used")
	// ErrRateLimited: a send to this destination is refused for now. The
	// error is a *ratelimit.LimitedError carrying RetryAfter, with this
	// sentinel as its Err.
	ErrRateLimited = errors.New("verification: too many sends to this destination")
	// ErrSendLimitUnavailable: a send limit could not be decided (the
	// store's send limiter or the daily send limiter returned an error,
	// such as an unreachable shared store, which stays reachable with
	// errors.Is). The send is refused: limits fail closed.
	ErrSendLimitUnavailable = errors.New("verification: send limit unavailable")
	// ErrCaptchaFailed: a captcha verifier is configured and the token was
	// missing or refused (or the verifier could not be reached).
	ErrCaptchaFailed = errors.New("verification: captcha failed")
	// ErrDestinationRejected: the destination is well-formed but refused by
	// policy (the SMS region/type policy, or the provider refuses it).
	ErrDestinationRejected = errors.New("verification: destination rejected")
	// ErrInvalidCode: the submitted code is not CodeLength decimal digits
	// (white space around it and one space or dash in its middle aside).
	// No attempt is counted.
	ErrInvalidCode = errors.New("verification: code is not well-formed")
	// ErrInvalidDestination: the phone number or email address is missing or
	// malformed.
	ErrInvalidDestination = errors.New("verification: invalid destination")
	// ErrChannelUnavailable: no Sender is configured for the channel.
	ErrChannelUnavailable = errors.New("verification: channel not configured")
	// ErrSendFailed: the Sender could not deliver the code. Sender errors
	// are wrapped with it, so errors.Is(err, ErrSendFailed) holds for any
	// delivery failure, and the sender's own typed error stays reachable.
	ErrSendFailed = errors.New("verification: send failed")
	// ErrDuplicate: Store.Create was given an id that is already stored.
	ErrDuplicate = errors.New("verification: id already exists")
	// ErrConfig is wrapped by every error New returns: the Config is
	// unusable.
	ErrConfig = errors.New("verification: invalid config")
)
