// Package oauthtest helps test code built on package oauth: a conformance
// suite for Store implementations (RunStoreTests) and NewServer, which
// runs the fake OAuth 2.0 / OpenID Connect provider of package
// oauth/oauthdev on a test server. The provider enforces PKCE S256, exact
// redirect URIs, single-use codes and client authentication.
package oauthtest
