package session

import "errors"

// ErrInvalidToken is the parent of every refusal of a token: malformed or
// too large, an unknown key or algorithm, a bad signature, the wrong typ
// (kind), issuer, audience or environment, outside exp/nbf/iat, no token
// at all, a revoked or expired session, a superseded generation, a
// single-use token used twice. One errors.Is(err, ErrInvalidToken) is the
// HTTP 401 of RFC 6750 §3.1; the message names the reason, never the
// token. The children below are exported because a caller acts on them.
var ErrInvalidToken = errors.New("session: invalid token")

// Refusals a caller tells apart; each matches ErrInvalidToken.
var (
	// ErrExpired: exp is in the past (beyond the leeway): refresh.
	ErrExpired error = &tokenError{"token expired"}
	// ErrNoToken: the request carries no token at all; its challenge has
	// no error code (RFC 6750 §3.1).
	ErrNoToken error = &tokenError{"no token"}
	// ErrRevoked: the session was revoked (logout, refresh-token reuse)
	// or is unknown to the store: sign in again.
	ErrRevoked error = &tokenError{"session revoked"}
	// ErrRefreshReuse: a superseded token was presented to Refresh after
	// the grace window; the session is revoked, so every token of it, the
	// legitimate client's included, stops working (RFC 9700 §4.14.2). It
	// also matches ErrRevoked.
	ErrRefreshReuse = errors.New("session: superseded token reused; session revoked")
	// ErrAlreadyUsed: a single-use token id (jti) was already consumed:
	// VerifyElevated returns it for a single-use elevated token used
	// twice, and Store.ConsumeJTI for a jti it holds.
	ErrAlreadyUsed error = &tokenError{"already used"}
)

// Store errors. Store implementations return these (wrapped or not), and
// ErrAlreadyUsed, so that the Manager can branch with errors.Is.
var (
	// ErrNotFound: no session record with that id.
	ErrNotFound = errors.New("session: not found")
	// ErrDuplicate: Create was called with an id that is already stored.
	ErrDuplicate = errors.New("session: already exists")
	// ErrReused: Rotate was given a superseded generation outside the
	// grace window, so the store revoked the session (refresh-token reuse,
	// RFC 9700 §4.14.2). Manager.Refresh returns ErrRefreshReuse.
	ErrReused = errors.New("session: superseded generation presented")
)

// Other errors of the package.
var (
	// ErrKeyInvalid: key material that cannot be used (wrong curve, RSA
	// under 2048 bits, a JWK whose members do not match, an unsupported
	// algorithm, a private key asked of a KMS signer, …).
	ErrKeyInvalid = errors.New("session: invalid key")
	// ErrCSRF: a cookie-authenticated request came from an untrusted
	// Origin (403).
	ErrCSRF = errors.New("session: cross-site request rejected")
	// ErrStepUpRequired: the action needs a valid elevated-access token
	// and the request has none, or one that is expired, used, for another
	// session or another scope. The cause is wrapped in a *StepUpError.
	ErrStepUpRequired = errors.New("session: step-up authentication required")
	// ErrMFATokenInvalid: the request's MFA token is unknown, expired,
	// used or another user's. It is the cause of a *StepUpError.
	ErrMFATokenInvalid = errors.New("session: invalid MFA token")
	// ErrInsufficientScope: a valid token lacks a required scope (403).
	ErrInsufficientScope = errors.New("session: insufficient scope")
	// ErrInvalidScope: a scope that may not be requested (an elevated
	// token may carry only the 18 token scopes).
	ErrInvalidScope = errors.New("session: invalid scope")
	// ErrNoStore: the operation needs a Store (refresh, revoke,
	// single-use elevated tokens) and the Manager is Stateless.
	ErrNoStore = errors.New("session: no session store configured")
	// ErrInvalidRequest: bad arguments to Mint or MintElevated (empty
	// user id, malformed session public key, …).
	ErrInvalidRequest = errors.New("session: invalid request")
	// ErrConfig: New was given an invalid Config.
	ErrConfig = errors.New("session: invalid config")
)

// tokenError is a refusal of a token: it matches ErrInvalidToken.
type tokenError struct{ reason string }

func (e *tokenError) Error() string { return "session: invalid token: " + e.reason }
func (e *tokenError) Unwrap() error { return ErrInvalidToken }

// The reasons callers do not branch on: tests and logs see them through
// the message and errors.Is within the package.
var (
	errMalformed       error = &tokenError{"malformed"}
	errTooLarge        error = &tokenError{"too large"}
	errUnknownKey      error = &tokenError{"unknown signing key"}
	errBadSignature    error = &tokenError{"bad signature"}
	errAlgorithm       error = &tokenError{"algorithm not allowed"}
	errNotYetValid     error = &tokenError{"not yet valid"}
	errIssuer          error = &tokenError{"wrong issuer"}
	errAudience        error = &tokenError{"wrong audience"}
	errWrongKind       error = &tokenError{"wrong token kind"}
	errSessionExpired  error = &tokenError{"session passed its maximum age"}
	errSessionMismatch error = &tokenError{"token does not belong to this session"}
	// errHighS: an ES256 signature whose s is above half the group order,
	// always wrapped together with errBadSignature (see lowS).
	errHighS = errors.New("session: ES256 signature not in low-S form")
)
