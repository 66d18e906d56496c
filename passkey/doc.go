// Package passkey runs WebAuthn ceremonies (W3C Web Authentication Level 3)
// for passkey sign-in and for passkeys as a second factor, on top of
// github.com/go-webauthn/webauthn, which does the parsing, CBOR/COSE
// decoding and signature checks.
//
// A Service issues options as WebAuthn JSON and verifies the responses:
//
//   - registration (BeginRegistration, FinishRegistration) for a signed-in
//     user: attestation "none", resident key and user verification
//     preferred, the user's passkeys in excludeCredentials, and a per-user
//     maximum enforced atomically by the Store;
//   - sign-in (BeginSignIn, FinishSignIn) with discoverable credentials:
//     no allowCredentials, the user found by credential id (and checked
//     against the userHandle);
//   - MFA (BeginMFA, FinishMFA) for a signed-in user, with their passkeys
//     in allowCredentials;
//   - management: List, Rename, Delete, which keeps a user's last passkey
//     unless the host's Accounts says the user can sign in otherwise.
//
// Challenges are 32 bytes from crypto/rand, stored as their SHA-256, bound
// to the ceremony and to the user and session that asked, valid for 5
// minutes and consumed atomically before the response is verified, so that
// of parallel submissions of one response at most one passes. A challenge
// answered in the wrong ceremony, user or session is refused with
// ErrCeremonyMismatch and stays usable by its rightful owner. The signature
// counter must advance (or stay 0 on authenticators without one), checked
// and stored in one atomic step (WebAuthn Level 3 §6.1.1); a counter that
// does not advance is ErrSignCount, a possible cloned authenticator.
//
// A host's handlers pass each Begin result to the page as JSON, which
// hands it to PublicKeyCredential.parseCreationOptionsFromJSON (or
// parseRequestOptionsFromJSON) and navigator.credentials, and post back
// the credential's toJSON() as the response bytes of the Finish call.
// Registration and MFA are for a signed-in user and bound to the host's
// session id, so begin and finish must come from the same session. After
// FinishSignIn, Passkey.UserID is the user to sign in (and
// Passkey.UserVerified says whether it counts as two factors). Errors are
// sentinels; package httperr answers each with an HTTP status and code.
//
// The Store holds challenges and credentials. Config.Store is required, as
// in every authkit package: NewMemoryStore for one process, store/postgres
// or store/redis for several. New reports an unusable Config as ErrConfig.
// passkeytest has the conformance suite and a virtual authenticator for
// host tests.
package passkey
