// Package verificationtest helps hosts test code built on the verification
// package: RunStoreTests is the conformance suite every verification.Store
// must pass (the memory, Postgres and Redis stores all run it), and Recorder
// is a Sender that keeps the messages it was given so a test can read the
// code that "went out".
package verificationtest
