package authkit

import "errors"

// ErrStoreUnavailable is wrapped by every store adapter's "unavailable"
// error (store/postgres.ErrUnavailable, store/redis.ErrUnavailable): the
// backend could not be reached or could not run the operation, so no
// decision was made and the caller must fail closed. It lets a host answer
// an outage (HTTP 503) without importing the adapter's package.
var ErrStoreUnavailable = errors.New("store unavailable")
