package account

import "errors"

// Errors of the package. Stores return ErrNotFound, ErrCredentialNotFound,
// ErrCredentialTaken and ErrLastCredential (wrapped or not); the Service
// returns every one of them, each errors.Is-able.
var (
	// ErrNotFound: no user with that id.
	ErrNotFound = errors.New("account: user not found")
	// ErrCredentialNotFound: the user holds no credential with that id.
	ErrCredentialNotFound = errors.New("account: credential not found")
	// ErrCredentialTaken: the credential belongs to another user. Nothing
	// was changed.
	ErrCredentialTaken = errors.New("account: credential belongs to another user")
	// ErrLastCredential: the unlink would leave the user without a
	// sign-in-enabled credential, so no way to sign in again.
	ErrLastCredential = errors.New("account: cannot remove the last sign-in credential")
	// ErrInvalidCredential: a credential that is malformed, over-long or of a
	// format with no key function. Returned before any store call.
	ErrInvalidCredential = errors.New("account: invalid credential")
	// ErrInvalidID: a user or credential id that is empty, over-long or holds
	// characters outside [A-Za-z0-9._~:@-]. Returned before any store call.
	ErrInvalidID = errors.New("account: invalid id")
	// ErrInvalidProfile: a profile field that is over-long, not UTF-8, holds
	// a control character, or metadata that is not a JSON object within the
	// size limit. Returned before any store call.
	ErrInvalidProfile = errors.New("account: invalid profile field")
	// ErrNoPurgers: Delete or ResetMFA was called on a Service configured
	// without the purgers that revoke the user's sessions and factors, so
	// the user's tokens would outlive the operation. Nothing was changed.
	ErrNoPurgers = errors.New("account: no purgers configured")
	// ErrPurge wraps a purger's failure. Delete and ResetMFA return it;
	// the operation may be retried (every purger is idempotent).
	ErrPurge = errors.New("account: purge failed")
	// ErrConfig is returned by New for an invalid configuration.
	ErrConfig = errors.New("account: invalid config")
)
