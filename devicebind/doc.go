// Package devicebind proves that a request comes from the device holding a
// P-256 key: the server hands out single-use nonces, and the client signs
// one with its device key (ECDSA P-256 with SHA-256, FIPS 186-5 §6.4) and
// sends the nonce, its public key and the signature with the request. This
// is the device-bound request scheme of Dynamic's SDKs
// (x-dynamic-device-nonce, x-dynamic-device-publickey,
// x-dynamic-device-signed-nonce).
//
// A proof alone authenticates nobody: any client can make a fresh key. Its
// worth is continuity. A host verifies the proof of a sign-in request, mints
// the session with the proven key (session.MintOptions.DevicePublicKey, the
// device_public_key claim) and, on later device-bound requests such as
// refresh, refuses a token whose key is not the one the request proves:
// a stolen token then cannot be refreshed on another device. Refusals wrap
// ErrInvalidProof, which package httperr answers.
//
// Security reasoning, briefly:
//
//   - Nonces are 256-bit values from crypto/rand, stored only as their
//     SHA-256 digest, and consumed atomically by the store: of concurrent
//     requests with one nonce exactly one succeeds, so a captured proof
//     cannot be replayed.
//   - The signature is checked before the nonce is consumed, so garbage
//     signatures cannot burn a client's nonces.
//   - The public key must be a valid compressed SEC1 point on P-256
//     (SEC 1 v2 §2.3.4); the signature is raw r‖s (IEEE P1363), and both
//     low-S and high-S forms are accepted, since WebCrypto may produce either.
//   - A request without the headers is an unknown device, not an error
//     (cookie-mode and generic clients never send them); a host that wants
//     every request device-bound refuses Device.Known == false itself.
//
// Config.Store is required, as in every authkit package: NewMemoryStore
// for one process, store/postgres or store/redis for several. New reports
// an unusable Config as ErrConfig.
package devicebind
