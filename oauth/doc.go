// Package oauth signs users in with OAuth 2.0 and OpenID Connect providers
// using the authorization-code flow with PKCE, and maps the provider's
// profile to an authkit.VerifiedCredential of format oauth.
//
// A sign-in has three steps. Begin (or Init, then AuthCodeURL) creates a
// state, a PKCE S256 verifier and, for OpenID providers, a nonce, stores
// them in a Store and returns the provider's authorization URL.
// Callback records what the provider's redirect carried (a code or an
// error) under the state. Complete consumes the state, exchanges the code
// with the verifier, verifies the ID token and fetches the profile.
//
// A server-rendered host that redirects the browser itself needs only two
// calls: BeginBrowser in its login handler and CompleteBrowser as its whole
// callback handler. They bind the state to the browser with a cookie,
// which a state alone cannot do (login CSRF, RFC 9700 §4.7.1). A client
// that drives the steps itself (a single-page or mobile app, Dynamic's
// SDK) uses Init or Begin, Callback, Result and Complete, and must bind
// the state to itself likewise.
//
// Errors are sentinels (wrapped with %w, matched with errors.Is); package
// httperr answers each with an HTTP status and a stable code. A user who
// declines at the provider comes back as a *ProviderError.
//
// Config.Store is required, as in every authkit package: NewMemoryStore
// keeps states in one process; store/postgres and store/redis share them
// between instances. New reports an unusable Config as ErrConfig.
//
// Security reasoning, briefly:
//
//   - The state is single-use (consumed atomically by the store whatever the
//     outcome), short-lived (10 minutes) and bound to the provider and
//     redirect URL it was made for, so a state or code cannot be replayed or
//     moved between providers (RFC 9700 §2.1, mix-up defence).
//   - PKCE is always S256 (never plain), with a 256-bit verifier, so an
//     intercepted code is useless without the verifier (RFC 7636, RFC 9700
//     §2.1.1). A client may hold the verifier itself; then only the challenge
//     is stored and the verifier is checked at completion.
//   - BeginBrowser binds the state to the browser with a __Host- cookie
//     (HttpOnly, Secure) that CompleteBrowser compares in constant time
//     and clears, so a callback delivered to another browser, the login
//     CSRF of RFC 9700 §4.7.1, is refused (ErrBrowserMismatch). A client
//     that calls Init and Complete itself must bind the state likewise.
//   - Redirect URLs are compared by exact string match; no prefix or pattern.
//   - ID tokens are verified per OpenID Connect Core §3.1.3.7 (signature
//     against the issuer's JWKS, iss, aud, azp, exp, iat, nonce) by
//     coreos/go-oidc, with a key set that refetches on an unknown kid at most
//     once per interval, so forged kids cannot make us hammer the provider.
//   - An OpenID provider's user-info response is used only when its sub is
//     exactly the ID token's (Core §5.3.2); a missing or different sub fails
//     the sign-in with ErrUserInfoSubjectMismatch, so a profile about
//     another account never lends this one its emails.
//   - An email counts for account linking only when the provider says it is
//     verified: Identity.LinkableEmails, and oauth_emails of the credential,
//     hold only those.
//   - Every HTTP call uses the configured *http.Client (with a timeout) and
//     the caller's context.
package oauth
