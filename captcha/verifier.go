package captcha

import (
	"context"
	"errors"
)

// Verifier checks a captcha token that a client obtained by solving a
// challenge. remoteIP is the end user's address, passed to the provider as
// an extra signal; it may be empty.
//
// Verify returns nil only if the token is valid; every other outcome,
// including "could not ask the provider", is an error (fail closed).
type Verifier interface {
	Verify(ctx context.Context, token, remoteIP string) error
}

// VerifierFunc adapts a function to the [Verifier] interface.
type VerifierFunc func(ctx context.Context, token, remoteIP string) error

// Verify calls f.
func (f VerifierFunc) Verify(ctx context.Context, token, remoteIP string) error {
	return f(ctx, token, remoteIP)
}

// Errors of Verify and New; package httperr answers each with an HTTP
// status and code.
var (
	// ErrMissingToken: no token was supplied, so no request was made.
	ErrMissingToken = errors.New("captcha: missing token")
	// ErrFailed: the provider rejected the token (invalid, expired, already
	// used), or accepted it for another hostname or action, or with too
	// low a score; or the token is longer than MaxTokenLen.
	ErrFailed = errors.New("captcha: verification failed")
	// ErrUnavailable: the token could not be checked (transport error,
	// timeout, non-200 status, undecodable response) or the provider
	// rejected our secret or request. The check still failed.
	ErrUnavailable = errors.New("captcha: verification unavailable")
	// ErrConfig: New was given an unusable Config.
	ErrConfig = errors.New("captcha: invalid config")
)
