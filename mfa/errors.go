package mfa

import (
	"errors"
)

// Errors returned by the Service. Callers branch with errors.Is;
// httperr.Write answers each with its HTTP status and stable code.
var (
	// ErrInvalidCode: a wrong TOTP code, a malformed one, or a right code
	// whose time step was already used (the caller cannot tell which).
	ErrInvalidCode = errors.New("mfa: invalid code")
	// ErrRateLimited: too many failed attempts; the error is a
	// *ratelimit.LimitedError carrying the delay, with this sentinel as its
	// Err. Every attempt, a right code included, is
	// refused until RetryAfter has passed.
	ErrRateLimited = errors.New("mfa: too many failed attempts")
	// ErrNoPendingDevice: ConfirmTOTP found no unverified device.
	ErrNoPendingDevice = errors.New("mfa: no pending device")
	// ErrDeviceNotFound: no such device for the user, or (AuthenticateTOTP)
	// no verified device at all.
	ErrDeviceNotFound = errors.New("mfa: device not found")
	// ErrTooManyDevices: the user already holds Config.MaxDevices devices,
	// all verified (Devices.Add, and so EnrollTOTP).
	ErrTooManyDevices = errors.New("mfa: too many devices")
	// ErrInvalidRecoveryCode: a wrong, malformed or used recovery code.
	ErrInvalidRecoveryCode = errors.New("mfa: invalid recovery code")
	// ErrNoRecoveryCodes: the user has no recovery-code set yet.
	ErrNoRecoveryCodes = errors.New("mfa: no recovery codes")
	// ErrRecoveryCodesAcknowledged: the user acknowledged the recovery
	// codes, which are therefore not shown again (RecoveryStatus still
	// counts them; RegenerateRecoveryCodes issues a new set).
	ErrRecoveryCodesAcknowledged = errors.New("mfa: recovery codes already acknowledged")
	// ErrTokenInvalid: an MFA token that is missing, unknown, expired,
	// already used, or issued to another user or session.
	ErrTokenInvalid = errors.New("mfa: invalid MFA token")
	// ErrInvalidLabel: an issuer or account label that cannot go into an
	// otpauth URI (empty, over 255 bytes, not printable, or containing ':').
	ErrInvalidLabel = errLabel
	// ErrInvalidUser: an empty user id.
	ErrInvalidUser = errors.New("mfa: empty user id")
	// ErrConfig: New got an invalid Config.
	ErrConfig = errors.New("mfa: invalid config")
	// ErrLockedOut: the user's TOTP failures reached
	// Config.MaxLifetimeFailures; every TOTP attempt is refused, a right
	// code included, until Service.ResetFailures. The Service returns it
	// wrapped together with ErrRateLimited, with no RetryAfter: waiting
	// does not help.
	ErrLockedOut = errors.New("mfa: locked out after too many failed attempts; needs a reset")
)
