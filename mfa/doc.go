// Package mfa implements second factors for a host's own HTTP handlers:
// TOTP authenticator devices (RFC 6238), recovery codes and MFA tokens,
// following the MFA routes of Dynamic's SDK API.
//
// A Service is built from a Config holding a Store (NewMemoryStore, or the
// Postgres and Redis adapters), a Sealer (NewAESGCMSealer or a KMS), HMAC
// keys for hashing recovery codes and tokens, and the issuer name shown in
// authenticator apps.
//
//   - TOTP: EnrollTOTP creates an unverified device with a 160-bit secret and
//     returns its otpauth:// URI (QRCodePNG renders it, on request only: it
//     costs milliseconds). ConfirmTOTP verifies the newest unverified device
//     with a first code; the first confirmed device is the default.
//     AuthenticateTOTP checks later codes. SHA1, 6 digits, 30 s, ±1 step.
//   - Recovery codes: RecoveryCodes (creating a set of 10 on first use,
//     revealing it only while the acknowledgement is pending; the caller
//     shows it only to a session that just passed MFA), RecoveryStatus (the
//     count, never the codes), RegenerateRecoveryCodes, AuthenticateRecovery,
//     and the pending → complete acknowledgement.
//   - MFA tokens: IssueToken after a successful second factor;
//     ConsumeToken (and DeleteDevice, which requires one) use them.
//
// # Security
//
// Replay: RFC 6238 §5.2 forbids accepting an OTP twice. A yes/no validator
// is not enough, so the Service computes the codes of the allowed steps
// itself (HOTP, RFC 4226 §5.3, from the raw secret), compares them in
// constant time to learn which step matched, and the store's MarkStepUsed
// accepts the step only if it is later than the device's last one,
// atomically. A code, or any code of an earlier step, therefore works once,
// even under concurrency.
//
// Devices: the rules that span a user's devices (the MaxDevices cap, the
// oldest unverified device giving way to a new one, the default device on
// confirmation, deletion and SetDefaultDevice) are Devices' methods, run
// atomically by every store through DeviceStore.UpdateDevices.
//
// Guessing: failed TOTP attempts are limited per user (at most 5 in any 5
// minutes, a sliding window); after that every attempt, a right one
// included, gets *ratelimit.LimitedError (ErrRateLimited) until the oldest
// failure leaves the window. A slot is taken atomically before a code is
// evaluated and refunded on success, so parallel wrong guesses never get
// more than the limit evaluated. Recovery-code attempts are counted apart,
// in the same window, and a new set keeps their count. The counting is
// done by ratelimit limiters the Store hands out (Store.Limiter), the same
// ones every other limit uses; a Store that is also a RecoveryAttempter
// (the memory, PostgreSQL and Redis stores) keeps the recovery failures
// beside the user's recovery codes instead, so that the limit, the
// consume and the count are one atomic step.
//
// Slow guessing: the same limiter also counts a user's TOTP failures with
// no window at all (the rule's Lifetime; NIST SP 800-63B-4 §3.2.2: at most
// 100), in the same atomic step. A success gives back only its own slot,
// so the count is not reset by the user's own sign-ins between an
// attacker's guesses. At the cap TOTP fails
// with ErrLockedOut until the host calls ResetFailures from its support
// path. Recovery codes, with 80 bits each, have no such cap.
//
// At rest: TOTP secrets are sealed (AES-256-GCM, the key id stored with the
// ciphertext, the device id as associated data so a sealed secret cannot be
// moved to another device). Recovery codes (80 bits each) and MFA tokens
// (256 bits) are stored as HMAC-SHA256 digests under a server key, bound to
// the user, so checking one is one hash plus one lookup. Recovery codes are
// also kept sealed, only because the API shows the existing set again (GET
// users/mfa/recovery); a database dump alone reveals neither. Keys for both
// rotate: new values use the newest key, checks accept any configured key.
//
// Codes, secrets and tokens are never logged; the Logger receives user and
// device ids only.
//
// Config.Store is required, as in every authkit package: NewMemoryStore
// for one process, store/postgres or store/redis for several. New reports
// an unusable Config as ErrConfig.
package mfa
