// Package oauthtest helps test code built on package oauth: a conformance
// suite for StateStore implementations (RunStoreTests) and a fake OAuth 2.0 /
// OpenID Connect provider that enforces PKCE S256, exact redirect URIs,
// single-use codes and client authentication.
package oauthtest
