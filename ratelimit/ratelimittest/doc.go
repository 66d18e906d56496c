// Package ratelimittest helps test code around [ratelimit.Limiter]:
//
//   - [RunLimiterTests] is the conformance suite every Limiter
//     implementation must pass (the in-memory one runs it; a Redis or SQL
//     one should too), including goroutines racing on one key, GCRA and
//     Sliding rules, Refund and Reset, and every decision compared with
//     ratelimit.Memory;
//   - [RunBackendTests] runs it on the limiters a ratelimit.Backend hands
//     out (the verification and mfa store suites use it);
//   - [Fixed] is a limiter with a canned answer that records the keys it
//     was asked about, for testing a caller's "rate limited" path.
package ratelimittest
