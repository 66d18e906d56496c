package devicebind

import (
	"context"
	"time"
)

// Store keeps issued nonces as SHA-256 digests. Each method is one atomic
// operation; expiry is decided by the now passed in, never the store's own
// clock, so one conformance suite (devicebindtest.RunStoreTests) runs on
// every backend.
type Store interface {
	// CreateNonce stores a digest valid until expiresAt; ErrDuplicate if the
	// digest is already held.
	CreateNonce(ctx context.Context, digest []byte, expiresAt time.Time) error
	// ConsumeNonce removes the digest if it is held and unexpired at now;
	// otherwise it returns ErrNotFound. Of concurrent calls with one digest
	// exactly one succeeds.
	ConsumeNonce(ctx context.Context, digest []byte, now time.Time) error
}
