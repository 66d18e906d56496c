// Package authkit is an embeddable library of authentication primitives for
// Go services: phone and email one-time codes, TOTP MFA with recovery codes,
// OAuth sign-in with PKCE, and JWT sessions. The feature set and wire format
// follow Dynamic's SDK API.
//
// This root package holds only the shared vocabulary, the types every other
// package speaks: [User], [VerifiedCredential], [CredentialFormat],
// [ProviderType] and [Scope]. Their JSON tags are exactly those on the wire
// (camelCase on the user, snake_case on credentials except the keys Dynamic
// keeps in camelCase), so a host can return them from its own handlers.
//
// The primitives live in sub-packages, each usable alone, each with its own
// store interface and an in-memory store:
//
//   - phone: parse and validate numbers; an SMS region/type policy.
//   - captcha: Turnstile, hCaptcha and reCAPTCHA siteverify clients.
//   - ratelimit: a keyed limiter with RetryAfter.
//   - verification: one-time codes over SMS or email (start, resend, check),
//     returning a VerifiedCredential of format phoneNumber or email.
//   - mfa: TOTP devices, recovery codes and MFA tokens.
//   - oauth: authorization-code sign-in with PKCE, state and nonce, returning
//     a VerifiedCredential of format oauth.
//   - session: JWT minting and verification, keys and JWKS, revocation,
//     refresh, elevated-access tokens and HTTP middleware.
//
// A sign-in composes them: verification (or oauth) proves a credential, the
// host finds or creates its User, mfa gates the session when the user has a
// device, and session mints the tokens. examples/server composes all of them
// behind Dynamic's routes.
package authkit
