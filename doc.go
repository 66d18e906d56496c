// Package authkit is an embeddable library of authentication primitives for
// Go services: phone and email one-time codes, TOTP MFA with recovery codes,
// OAuth sign-in with PKCE, and JWT sessions. The feature set and wire format
// follow Dynamic's SDK API.
//
// This root package holds only the shared vocabulary, the types every other
// package speaks: [User], [VerifiedCredential], [CredentialFormat],
// [ProviderType], [Scope] and the RFC 8176 AMR values
// ([AMROneTimePassword], …). Their JSON tags are exactly those on the wire
// (camelCase on the user, snake_case on credentials except the keys Dynamic
// keeps in camelCase), so a host can return them from its own handlers.
//
// The primitives live in sub-packages, each usable alone:
//
//   - phone: parse and validate numbers; an SMS region/type policy.
//   - captcha: Turnstile, hCaptcha and reCAPTCHA siteverify clients.
//   - ratelimit: keyed limiters with RetryAfter, the one place that counts.
//   - verification: one-time codes over SMS or email (start, resend, check),
//     returning a VerifiedCredential of format phoneNumber or email.
//   - mfa: TOTP devices, recovery codes and MFA tokens.
//   - oauth: authorization-code sign-in with PKCE, state and nonce, returning
//     a VerifiedCredential of format oauth; oauth/oauthdev is a fake
//     provider for development servers only.
//   - passkey: WebAuthn registration, passkey sign-in and passkey MFA.
//   - account: users and their credentials (find or create, link, unlink).
//   - session: JWT minting and verification, keys and JWKS, revocation,
//     refresh, elevated-access tokens and HTTP middleware; session/stepup
//     is the step-up policy and guard; session/keysync shares keys between
//     instances.
//   - devicebind: single-use nonces and proof of a device key.
//   - httperr: an HTTP status and stable code for every error above.
//
// Every package that keeps state takes a Store interface in its Config and
// ships NewMemoryStore for one process (ratelimit: NewMemory, or a Backend);
// store/postgres and store/redis implement every one of them for several
// instances, and each package's …test sub-package has the conformance
// suite a store of the host's own must pass. Config.Store is required: New reports a nil one as the
// package's ErrConfig (session alone runs without one, with Stateless
// set, and then cannot revoke or refresh). Adapters wrap
// ErrStoreUnavailable when the backend cannot decide.
//
// A sign-in composes them: verification, oauth or passkey proves a
// credential, account finds or creates its User, mfa gates the session
// when the user has a second factor, and session mints the tokens.
// examples/server composes all of them behind Dynamic's routes.
package authkit
