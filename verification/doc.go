// Package verification sends one-time codes over SMS or email and checks
// them: Start a verification for a destination, Resend a new code, Check a
// submitted code, which returns the destination as an
// authkit.VerifiedCredential (format phoneNumber or email).
//
// # Security
//
// Codes are drawn from crypto/rand without modulo bias and stored only as
// HMAC-SHA256 under a server key, bound to the verification id, so a
// leaked store reveals no code and a hash copied to another record does not
// verify there. Config.HashKeys is a list, newest first: new codes use the
// newest, and a check computes one hash per key and lets the store compare
// them all in constant time, so keys rotate without breaking pending codes.
// Codes never reach a log.
//
// A check is one atomic Store operation (Store.Attempt): of N concurrent
// submissions no more than MaxAttempts wrong codes are ever evaluated, and of
// N concurrent right ones exactly one succeeds. A resend replaces the code
// (the old one stops working) but keeps the failed-attempt counter, so
// resending does not buy more guesses. Malformed input is rejected before the
// store is touched and costs no attempt.
//
// # Send limits
//
// Sends to one destination (starts and resends together) are limited to
// SendLimit per SendWindow, with a cooldown after each send that doubles
// with every send still in the window (30 s, 60 s, 120 s, …). This lives in
// the Store (Store.RecordSend) rather than in a generic ratelimit.Limiter
// because the doubling cooldown depends on the history of sends, which a
// token bucket does not keep, and because check-and-record must be one
// atomic step shared by every instance of the host. A refused send records
// nothing and sends nothing. Per-IP limits are the host's business
// (ratelimit.Limiter in front of its handlers).
//
// Those limits renew every window, so on their own they would let one
// destination be sent 720 codes a day, each good for MaxAttempts guesses.
// A daily cap (Config.DailySendLimiter, a ratelimit.Limiter: 20 sends per
// destination per 24 h by default) bounds that to 20 × 5 = 100 wrong codes
// a day, NIST SP 800-63B-4's limit of 100 consecutive failures (§3.2.2). It
// is asked only for sends the window limits allow, so an early Resend
// refused by the cooldown spends none of the day's sends; a send the cap
// refuses has still been counted in the window. The default cap lives in
// the process's memory: hosts with several instances pass a limiter on
// their shared store.
//
// The history is kept per mailbox, not per spelling: a phone number is
// always its E.164 form, an email's domain is kept in its ASCII (IDNA)
// form, and the address is folded (NFC, sub-address "+tag", Gmail's dots,
// full-width letters) so that one inbox cannot be flooded through variants
// of its address; NormalizeEmail refuses quoted, commented and
// angle-bracketed forms and invisible characters outright.
//
// # Stores
//
// Store is small and purpose-named so that a SQL backend can implement each
// method as one statement and Redis as one script: Create, Get, ReplaceCode
// (a resend), Attempt (a check) and RecordSend (the send limits). Records
// are plain data with absolute times, and every method takes now from the
// caller, so expiry is testable without a clock. MemoryStore is the
// in-process implementation; verificationtest.RunStoreTests is the suite
// every implementation must pass, concurrency cases included.
//
// # Senders
//
// A Sender delivers a Message. TwilioSender sends
// SMS through Twilio's Programmable Messaging API; SMTPSender sends email
// over SMTP with STARTTLS required off loopback. Provider errors that blame
// the destination unwrap to ErrInvalidDestination or ErrDestinationRejected.
//
// The package knows nothing of users, so Start and Resend behave the same for
// destinations that belong to an account and for those that do not.
//
// Config.Store is required, as in every authkit package: NewMemoryStore
// for one process, store/postgres or store/redis for several. New reports
// an unusable Config as ErrConfig.
package verification
