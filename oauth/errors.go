package oauth

import (
	"errors"
	"fmt"
)

// Errors of the sign-in flow. Package httperr answers each with a status
// and a stable code; the state errors, which all wrap ErrInvalidState, are
// with the Store interface.
var (
	// ErrConfig is wrapped by every error New returns: the Config is
	// unusable (no providers, no Store, a provider without credentials).
	ErrConfig = errors.New("oauth: invalid config")
	// ErrUnknownProvider: no provider of that name is configured.
	ErrUnknownProvider = errors.New("oauth: unknown provider")
	// ErrRedirectURLNotAllowed: a redirect or return URL that is not exactly
	// one of the configured ones.
	ErrRedirectURLNotAllowed = errors.New("oauth: redirect URL not allowed")
	// ErrInvalidStateValue: a client-chosen state that is not 16–128
	// URL-safe characters.
	ErrInvalidStateValue = errors.New("oauth: state must be 16-128 URL-safe characters")
	// ErrInvalidCodeChallenge: a client-supplied PKCE challenge that is not
	// an S256 challenge (43 base64url characters), or any challenge given
	// to BeginBrowser.
	ErrInvalidCodeChallenge = errors.New("oauth: code challenge must be S256 (43 base64url characters)")
	// ErrInvalidCodeVerifier: the client holds the PKCE verifier and sent
	// none, a malformed one or one that does not match the challenge.
	// The state is consumed all the same.
	ErrInvalidCodeVerifier = errors.New("oauth: invalid code verifier")
	// ErrExchangeFailed: the callback was unreadable or carried neither a
	// code nor an error, or a code over MaxCodeLen; the code differs from
	// the one recorded at the callback, is missing, or the provider refused
	// it at the token endpoint; or the provider's profile was unusable.
	ErrExchangeFailed = errors.New("oauth: code exchange failed")
	// ErrInvalidIDToken: the ID token is missing or fails OpenID Connect
	// verification (Core §3.1.3.7).
	ErrInvalidIDToken = errors.New("oauth: invalid ID token")
	// ErrUserInfoSubjectMismatch: an OpenID provider's user-info response
	// has no sub, or one that is not exactly the ID token's, so it may
	// describe another account and none of it is used (OpenID Connect
	// Core §5.3.2). It wraps ErrInvalidIDToken: the ID token cannot be
	// bound to the profile.
	ErrUserInfoSubjectMismatch = fmt.Errorf("%w: user-info sub does not match the ID token's", ErrInvalidIDToken)
	// ErrProviderError: the provider redirected back with an error instead
	// of a code, such as access_denied when the user declined. The
	// concrete error is a *ProviderError carrying the provider's error code.
	ErrProviderError = errors.New("oauth: provider returned an error")
	// ErrProviderUnavailable: the provider (its discovery, JWKS, token or
	// profile endpoint) could not be reached, timed out or answered 5xx.
	ErrProviderUnavailable = errors.New("oauth: provider unavailable")
)

// ProviderError is the error a provider reported on its redirect
// (RFC 6749 §4.1.2.1): access_denied, invalid_scope, server_error, …
// errors.Is(err, ErrProviderError) holds for it.
type ProviderError struct {
	// Code is the provider's error parameter, as received.
	Code string
	// Description is the provider's error_description, if any. It comes
	// from the browser: display it escaped, never trust it.
	Description string
}

// Error describes the provider's error. Both fields come from the
// browser, so both are quoted: they cannot forge log lines.
func (e *ProviderError) Error() string {
	if e.Description != "" {
		return fmt.Sprintf("oauth: provider returned error %q: %q", e.Code, e.Description)
	}
	return fmt.Sprintf("oauth: provider returned error %q", e.Code)
}

// Is makes errors.Is(err, ErrProviderError) true.
func (e *ProviderError) Is(target error) bool { return target == ErrProviderError }
