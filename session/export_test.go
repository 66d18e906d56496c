package session

import (
	"fmt"

	"github.com/authkit/authkit"
)

// The unexported refusals under their former names, for the tests that
// assert each attack's exact reason.
var (
	ErrMalformed        = errMalformed
	ErrTooLarge         = errTooLarge
	ErrUnknownKey       = errUnknownKey
	ErrBadSignature     = errBadSignature
	ErrAlgorithm        = errAlgorithm
	ErrNotYetValid      = errNotYetValid
	ErrIssuer           = errIssuer
	ErrAudience         = errAudience
	ErrWrongKind        = errWrongKind
	ErrSessionExpired   = errSessionExpired
	ErrSessionMismatch  = errSessionMismatch
	ErrHighS            = errHighS
	ErrKeyAlgorithm     = errKeyAlgorithm
	ErrKeyNotExportable = errKeyNotExportable
	ErrNoSigningKey     = errNoSigningKey
	ErrSuperseded       = errSuperseded
)

// Helpers hosts never call, under their former names.
var (
	HashCredentials = hashCredentials
	IPPrefix        = ipPrefix
)

// The typ headers and limits, under their former names.
const (
	TypFull            = typFull
	TypMinified        = typMinified
	TypElevated        = typElevated
	MaxUserAgentLength = maxUserAgentLength
)

// The children of ErrConfig and ErrInvalidRequest, under their former
// exported names.
var (
	ErrKeyInvalid   = errKeyInvalid
	ErrNoStore      = errNoStore
	ErrInvalidScope = errInvalidScope
	NewPublicKey    = newPublicKey
	WithClaims      = withClaims
	HTTPStatus      = httpStatus
	ErrorCode       = errorCode
)

// JWK and JWKSet are the JSON shapes of a key and a key set.
type (
	JWK    = jsonWebKey
	JWKSet = jwkSet
)

// PublicJWK is the JWK a key set publishes for k.
func (k *Key) PublicJWK() JWK { return k.publishedJWK() }

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of the JWK's public
// members (base64url), or an error for an unsupported kty.
func (j jsonWebKey) Thumbprint() (string, error) {
	switch j.Kty {
	case "EC", "OKP", "RSA":
		return j.thumbprint(), nil
	}
	return "", fmt.Errorf("%w: kty %q", errKeyInvalid, j.Kty)
}

// The defaults and limits, under their former names.
const (
	DefaultTTL                  = defaultTTL
	DefaultMFAPendingTTL        = defaultMFAPendingTTL
	DefaultMaxAge               = defaultMaxAge
	DefaultElevatedSingleUseTTL = defaultElevatedSingleUseTTL
	DefaultElevatedMultiUseTTL  = defaultElevatedMultiUseTTL
	DefaultLeeway               = defaultLeeway
	DefaultRefreshGrace         = defaultRefreshGrace
	DefaultTouchInterval        = defaultTouchInterval
	DefaultJWKSMaxAge           = defaultJWKSMaxAge
	DefaultCookieName           = defaultCookieName
	MaxTokenSize                = maxTokenSize
	MaxLeeway                   = maxLeeway
	MaxRefreshGrace             = maxRefreshGrace
)

// NewScopeError is the refusal of RequireScope for scope.
func NewScopeError(scope authkit.Scope) error { return &scopeError{required: scope} }
