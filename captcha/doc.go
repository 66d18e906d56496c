// Package captcha checks captcha tokens with the provider's siteverify API:
// Cloudflare Turnstile, hCaptcha, and Google reCAPTCHA v2 and v3.
//
// Code that needs a captcha check depends on the one-method [Verifier]
// interface; a [Client] built by [New] implements it for any of the
// supported providers, and [VerifierFunc] adapts a function (for tests or a
// provider not covered here). verification.Config.Captcha takes a Verifier
// and checks the request's token before sending a code; a host checks it
// itself on its other routes (sign-up, password reset). The remoteIP it
// passes should be the client's address as the host's own proxy reports
// it, not a header any client can set.
//
// # Failing closed
//
// A captcha that cannot be checked counts as failed: a transport error, a
// timeout, a non-200 status, an oversized or undecodable body, a body
// without a "success" field, or the provider rejecting our own secret all
// return [ErrUnavailable], never nil. Callers must treat any non-nil error
// as "do not proceed"; the two sentinels only let a server choose between
// telling the user to retry the challenge ([ErrFailed], [ErrMissingToken])
// and reporting a server-side problem ([ErrUnavailable]).
//
// Beyond "success", the client enforces what the host configured: the
// hostname the challenge was solved on, the action (Turnstile and
// reCAPTCHA v3) and, for reCAPTCHA v3, a minimum score.
//
// Neither the token nor the secret ever appears in an error or a log line.
// Tokens are single-use at every provider, so the client never retries a
// request by itself.
package captcha
