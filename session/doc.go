// Package session mints and verifies the JWTs of a signed-in user: signing
// keys and their JWKS, session records with revocation and refresh,
// MFA-pending sessions, elevated-access (step-up) tokens, and HTTP
// middleware for bearer and cookie authentication. The token format follows
// Dynamic's SDK API.
//
// # Setting up
//
// A [Manager] does everything; build it once with [New]:
//
//	key, err := session.ParseKey(pemBytes)       // or GenerateKey(session.ES256)
//	keys, err := session.NewKeySet(key)
//	m, err := session.New(session.Config{
//		Keys:      keys,
//		Issuer:    "auth.example.com/" + envID,
//		Audiences: allowedOrigins,               // aud values Verify accepts
//		Store:     session.NewMemoryStore(),     // or a Postgres/Redis store
//	})
//
// Defaults: ES256 keys, tokens living 2 h (10 min while MFA is pending),
// sessions refreshable for 30 days, elevated tokens 5 min single-use or
// 10 min multi-use, 30 s clock-skew leeway (at most 60 s).
//
// # Keys
//
// A [Key] is bound to exactly one [Algorithm]: ES256 (default), EdDSA
// (Ed25519) or RS256 (≥ 2048 bits). Its kid is the RFC 7638 thumbprint of
// the public key. Keys load ([ParseKey]) and save as PEM ([Key.MarshalPEM])
// and JWK ([Key.MarshalJWK]). A [KeySet] has one active signing
// key and any number of verification-only keys. [Manager.Rotate] switches
// the signing key and keeps the old one published until every token it
// signed has expired; [KeySet.Add] pre-publishes the next key so that
// verifiers with a cached JWKS know it before it signs anything.
// [NewKey] takes any crypto.Signer, so the private key may stay in a KMS
// or HSM. Several instances share one key set through package keysync
// (public keys and their schedule, never a private key): it publishes the
// next key at once and signs with it from a later time ("publish at T,
// sign from T+overlap"), so every cached JWKS knows a key before any
// token carries it.
// [Manager.JWKSHandler] serves the JWKS (kty, kid, alg, use "sig", no
// private members) with Cache-Control and an ETag.
//
// # Tokens
//
// [Manager.Mint] issues, for a user and a session, two tokens with the same
// sid and exp ([Tokens]):
//
//   - the full JWT (typ "authkit-id+jwt"): an ID token for the client with
//     the profile and verified_credentials;
//   - the minified JWT (typ "at+jwt", RFC 9068): the access token servers
//     verify and the cookie holds. Instead of the credential list it has
//     verifiedCredentialsHashes, one hash per credential format, so its size
//     does not grow with the number of credentials.
//
// Every token has iss, sub, aud (one string), exp, iat, jti, sid and
// environment_id. A sign-in that still needs MFA is minted with
// MintOptions.MFAPending: its scope is "requiresAdditionalAuth" without
// "user:basic", so [RequireScope](authkit.ScopeUserBasic) refuses it;
// [Manager.Upgrade] re-issues the session with "user:basic" once MFA passed.
//
// # Verification
//
// [Manager.Verify] checks a token of an expected [Kind]: at most
// 8 KiB before any parsing; the kid is looked up in the key
// set's map and nothing else (no jku, x5u or embedded jwk is ever used); the
// header alg must be that key's algorithm, so "none" and HMAC tokens (such
// as HS256 "signed" with a public key) are refused; the typ must be the
// expected kind's, so an elevated token never passes as a session token nor
// the reverse; then the signature, iss, aud, exp, nbf and iat with the
// leeway. With a Store, the session must exist, be unrevoked and be within
// its maximum age. Every refusal wraps one sentinel error ([ErrExpired],
// [ErrRevoked], …), and every one [ErrInvalidToken], for errors.Is.
//
// # Sessions
//
// A [Store] keeps session [Record]s and consumed token ids; each method is
// one atomic operation. [MemoryStore] is the in-memory implementation and
// package sessiontest the conformance suite for others. [Manager.Refresh]
// exchanges a valid token of a live session for new tokens with the same
// sid, the next refresh generation and a later exp, never past the
// session's maximum age. The replaced token keeps working for a short grace
// window (Config.RefreshGrace, 5 s by default, for two tabs refreshing
// at once), then
// stops; presenting it to Refresh after that is theft detection (RFC 9700
// §4.14.2): the whole session is revoked ([ErrRefreshReuse]). The window is
// a trade-off: a copy of the token refreshed within it is taken for the
// second tab and gets the current generation's tokens, without alarm. The
// thief and the victim then hold the same generation: whichever refreshes
// first supersedes the other, whose next refresh outside the window
// revokes the session.
// [Manager.Revoke] (logout) and [Manager.RevokeAll] (sign out everywhere)
// make every token of the session fail at once. [Manager.Sessions],
// [Manager.RevokeSession] and [Manager.RevokeOthers] are the session
// inventory (created, last seen, user agent, network prefix).
//
// Config.Store is required. Config.Stateless runs without one and is
// unsafe: tokens then stay valid until exp whatever happens, with no
// logout, refresh or theft detection.
//
// # Elevated access
//
// After a re-authentication, [Manager.MintElevated] issues a token (typ
// "authkit-elevated+jwt") bound to the session's sid and sub, carrying the
// requested token scopes (only the 18 of [authkit.TokenScopes]), auth_time
// and amr. [Manager.VerifyElevated] checks it for an action's scope and, for
// a single-use token, consumes its jti atomically: of any number of
// concurrent uses, exactly one succeeds.
//
// # Step-up
//
// [Manager.UpgradeMFA] marks a session that just proved a second factor
// with amr and auth_time (RFC 8176 §2; [Claims.FreshMFA]). Package stepup
// holds the step-up policy (which action needs which elevated scope) and
// the guard that enforces it with RFC 9470's challenge.
//
// # HTTP
//
// [Middleware] authenticates requests from "Authorization: Bearer" or, in
// cookie mode, from the HttpOnly cookie (default name "DYNAMIC_JWT_TOKEN"),
// refusing cookie requests from foreign Origins, and puts the claims in the
// context ([ClaimsFromContext]). [MiddlewareConfig.RequireScope] answers 401
// or 403 with an RFC 6750 WWW-Authenticate challenge, through the same
// ErrorHandler; [MiddlewareConfig.Token] and [MiddlewareConfig.SameOrigin]
// are the token extraction and Origin check for handlers that read the
// token themselves, and [MiddlewareConfig.WriteError] answers a refusal
// as the middleware does.
// [MiddlewareConfig.SetCookie] and [MiddlewareConfig.ClearCookie] write
// the cookie (HttpOnly, Secure, SameSite=Lax, Path=/, Max-Age to exp).
//
// Tokens and keys never appear in errors or logs.
package session
