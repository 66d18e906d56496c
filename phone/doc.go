// Package phone turns user input into a validated phone [Number] and decides
// whether an SMS may be sent to it.
//
// Two entry points cover the ways a number arrives:
//
//   - [Parse] takes the three-part input of the API (phoneCountryCode "1",
//     phoneNumber "9172113333", isoCountryCode "US");
//   - [ParseE164] takes a stored or canonical "+19172113333".
//
// A Number remembers that it came from the parser: [Revalidate] returns a
// parsed, unmodified Number as is and parses any other again, so a library
// that receives a Number parses it at most once per request.
//
// A number is accepted only if libphonenumber (github.com/nyaruka/phonenumbers)
// considers it valid for its region, not merely of a possible length: this
// rejects unassigned ranges before an SMS is paid for. Each kind of rejection
// has its own sentinel error ([ErrInvalidInput], [ErrUnknownRegion],
// [ErrRegionMismatch], [ErrInvalidNumber]); none of the error messages
// repeats the number.
//
// # SMS pumping
//
// Attackers request codes to premium-rate and expensive destinations and
// share the revenue ("SMS pumping", "toll fraud"). A [Policy] restricts the
// regions and number types a host will text: by default any region, and only
// mobile and fixed-line-or-mobile numbers. Premium-rate, shared-cost and
// unknown types are refused even if listed. Combine it with per-destination
// and per-IP rate limits (package ratelimit) and a captcha.
//
// # Logging
//
// A Number's String method returns the masked form ("+1 *** *** 3333"), and
// it implements slog.LogValuer the same way, so a number that is logged by
// accident does not leak. Use the E164 field where the full number is needed.
package phone
