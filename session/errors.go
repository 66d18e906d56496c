package session

import (
	"errors"
	"fmt"
)

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
	// legitimate client's included, stops working (RFC 9700 §4.14.2).
	// Manager.Refresh's error also matches ErrRevoked; Store.Rotate
	// returns it bare.
	ErrRefreshReuse = errors.New("session: superseded token reused; session revoked")
	// ErrAlreadyUsed: a single-use token id (jti) was already consumed:
	// VerifyElevated returns it for a single-use elevated token used
	// twice, and Store.ConsumeJTI for a jti it holds.
	ErrAlreadyUsed error = &tokenError{"already used"}
)

// Store errors. Store implementations return these (wrapped or not), and
// ErrAlreadyUsed and ErrRefreshReuse, so that the Manager can branch with
// errors.Is.
var (
	// ErrNotFound: no session record with that id.
	ErrNotFound = errors.New("session: not found")
	// ErrDuplicate: Create was called with an id that is already stored.
	ErrDuplicate = errors.New("session: already exists")
)

// Other errors of the package.
var (
	// ErrCSRF: a cookie-authenticated request came from an untrusted
	// Origin (403).
	ErrCSRF = errors.New("session: cross-site request rejected")
	// ErrInsufficientScope: a valid token lacks a required scope (403).
	// The refusals of RequireScope and VerifyElevated have a method
	// RequiredScope() authkit.Scope naming the scope needed (for the
	// WWW-Authenticate scope parameter of RFC 6750 §3).
	ErrInsufficientScope = errors.New("session: insufficient scope")
	// ErrInvalidRequest: bad arguments to Mint or MintElevated (empty
	// user id, malformed session public key, a scope that may not be
	// requested: an elevated token carries only the 18 token scopes, …).
	ErrInvalidRequest = errors.New("session: invalid request")
	// ErrConfig: an invalid Config given to New, or key material that
	// cannot be used (wrong curve, RSA under 2048 bits, a JWK whose
	// members do not match, an unsupported algorithm, a private key asked
	// of a KMS signer, …), or an operation that needs a Store (refresh,
	// revoke, single-use elevated tokens) on a Stateless Manager.
	ErrConfig = errors.New("session: invalid config")
)

// The children of ErrConfig and ErrInvalidRequest callers do not branch on.
var (
	errKeyInvalid   = fmt.Errorf("%w: invalid key", ErrConfig)
	errNoStore      = fmt.Errorf("%w: no session store configured", ErrConfig)
	errInvalidScope = fmt.Errorf("%w: invalid scope", ErrInvalidRequest)
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
