package session

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
