package devicebindtest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authkit/authkit/devicebind"
)

// A host checks its own store by calling RunStoreTests from a test:
//
//	func TestMyStore(t *testing.T) {
//		devicebindtest.RunStoreTests(t, func(t *testing.T) devicebind.Store { return newMyStore(t) })
//	}
//
// The suite's central rule, shown on the memory store: a nonce is consumed
// once.
func Example() {
	var s devicebind.Store = devicebind.NewMemoryStore()
	ctx, now := context.Background(), time.Now()
	digest := make([]byte, 32)
	_ = s.CreateNonce(ctx, digest, now.Add(time.Hour))
	fmt.Println(s.ConsumeNonce(ctx, digest, now))
	fmt.Println(errors.Is(s.ConsumeNonce(ctx, digest, now), devicebind.ErrNotFound))
	// Output:
	// <nil>
	// true
}
