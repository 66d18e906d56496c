// Package sessiontest is the conformance suite for session.Store
// implementations. A host with its own store (Postgres, Redis, …) runs
//
//	func TestStore(t *testing.T) {
//		sessiontest.RunStoreTests(t, func(t *testing.T) session.Store { return newMyStore(t) })
//	}
//
// and gets the same checks as the in-memory store, including the concurrency
// cases: of 32 parallel ConsumeJTI calls with one jti exactly one wins, and of
// 32 parallel Creates with one id exactly one wins.
//
// The suite uses random ids, so a store shared between subtests is fine, and
// times close to the real clock (truncated to the second), so a backend that
// turns expiresAt−now into a TTL sees sensible values.
package sessiontest
