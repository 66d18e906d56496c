package devicebind

import (
	"errors"
	"fmt"
)

// ErrInvalidProof is the parent of every error that refuses a device proof:
// errors.Is(err, ErrInvalidProof) tells a refusal from a store failure.
var ErrInvalidProof = errors.New("devicebind: invalid device proof")

// Refusals of a device proof; each wraps ErrInvalidProof.
var (
	// ErrMalformed: a header is missing while others are present, or a
	// value is not of its form (hex, length, a point on the curve).
	ErrMalformed = fmt.Errorf("%w: malformed", ErrInvalidProof)
	// ErrBadSignature: the signature does not verify with the public key.
	ErrBadSignature = fmt.Errorf("%w: bad signature", ErrInvalidProof)
	// ErrUnknownNonce: the nonce was never issued, is used or has expired.
	ErrUnknownNonce = fmt.Errorf("%w: unknown, used or expired nonce", ErrInvalidProof)
)

// ErrNotFound is what a Store returns from ConsumeNonce for a digest it
// does not hold unexpired at now.
var ErrNotFound = errors.New("devicebind: nonce not found")

// ErrDuplicate is what a Store returns from CreateNonce for a digest it
// already holds.
var ErrDuplicate = errors.New("devicebind: nonce exists")

// ErrConfig is wrapped by every error New returns: the Config is unusable.
var ErrConfig = errors.New("devicebind: invalid config")
