package session

import "errors"

// Verification and minting errors. Every rejection wraps exactly one of
// these, so callers branch with errors.Is; the message never includes the
// token.
var (
	// ErrMalformed: not a compact JWS, bad base64 or JSON, a required
	// claim missing, or an unsupported critical header.
	ErrMalformed = errors.New("session: malformed token")
	// ErrTooLarge: the token exceeds MaxTokenSize; it was not parsed.
	ErrTooLarge = errors.New("session: token too large")
	// ErrUnknownKey: no published key has the token's kid (or the kid is
	// missing or not a well-formed key id).
	ErrUnknownKey = errors.New("session: unknown signing key")
	// ErrBadSignature: the signature does not verify with the key.
	ErrBadSignature = errors.New("session: bad signature")
	// ErrAlgorithm: the header's alg is not the algorithm of the key
	// named by kid ("none" and HMAC never are).
	ErrAlgorithm = errors.New("session: algorithm not allowed")
	// ErrExpired: exp is in the past (beyond the leeway).
	ErrExpired = errors.New("session: token expired")
	// ErrNotYetValid: nbf or iat is in the future (beyond the leeway).
	ErrNotYetValid = errors.New("session: token not yet valid")
	// ErrIssuer: iss is not the configured issuer.
	ErrIssuer = errors.New("session: wrong issuer")
	// ErrAudience: aud is missing or not an accepted audience.
	ErrAudience = errors.New("session: wrong audience")
	// ErrWrongKind: the typ header is not that of the expected token kind
	// (an elevated token presented as a session token, or the reverse).
	ErrWrongKind = errors.New("session: wrong token kind")
	// ErrRevoked: the token's session was revoked (logout) or is unknown
	// to the store.
	ErrRevoked = errors.New("session: session revoked")
	// ErrSessionExpired: the session passed its maximum age; the user must
	// sign in again.
	ErrSessionExpired = errors.New("session: session expired")
	// ErrInsufficientScope: the token lacks a required scope.
	ErrInsufficientScope = errors.New("session: insufficient scope")
	// ErrInvalidScope: a scope that may not be requested (an elevated
	// token may carry only the 18 token scopes).
	ErrInvalidScope = errors.New("session: invalid scope")
	// ErrSessionMismatch: a token or session belongs to another user or
	// session than the one it is used with.
	ErrSessionMismatch = errors.New("session: token does not belong to this session")
	// ErrNoStore: the operation needs a Store (refresh, revoke,
	// single-use elevated tokens) and Config.Store is nil.
	ErrNoStore = errors.New("session: no session store configured")
	// ErrInvalidRequest: bad arguments to Mint or MintElevated (empty
	// user id, malformed session public key, …).
	ErrInvalidRequest = errors.New("session: invalid request")
	// ErrConfig: New was given an invalid Config.
	ErrConfig = errors.New("session: invalid config")
)
