// Package oauthdev is a fake OAuth 2.0 / OpenID Connect provider for
// DEVELOPMENT ONLY. NEVER MOUNT IT IN PRODUCTION: its authorize endpoint
// approves every sign-in, for a fixed identity, without asking anyone, so
// anyone who can reach it can sign in as that user.
//
// It exists so a development server (and tests, through package
// oauth/oauthtest) can run the whole authorization-code flow offline. It is
// strict where a real provider is strict: the token endpoint enforces
// client authentication (RFC 6749 §2.3.1), PKCE S256 (RFC 7636 §4.6), the
// exact redirect URI of the authorization request (RFC 6749 §4.1.3) and
// single-use, short-lived codes (RFC 6749 §4.1.2); ID tokens are RS256
// (OpenID Connect Core 1.0 §2) and carry the request's nonce. It imports
// neither package testing nor any test helper, so binaries may link it.
package oauthdev
