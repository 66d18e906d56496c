package verification

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/authkit/authkit/phone"
	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// maxEmailLen is the spec's limit on an email address, in characters.
const maxEmailLen = 255

// NormalizeEmail validates an email address as the API does (≤ 255
// characters, ^[^@]{1,64}@[^@]+$) and returns its canonical, lower-cased
// form, with the domain in its ASCII form (IDNA2008 as browsers look names
// up, UTS #46 "Lookup": "exämple.de" becomes "xn--exmple-cua.de"). It also
// refuses invalid UTF-8, whitespace, control characters, and invisible
// characters (Unicode format characters such as U+00AD SOFT HYPHEN or
// U+200B ZERO WIDTH SPACE, and the other default-ignorable code points such
// as U+034F and the variation selectors), which no deliverable address
// needs and which could otherwise smuggle headers into an email or spell
// one mailbox many ways. Errors wrap ErrInvalidDestination.
//
// Lower-casing the whole address makes "Jane@Example.com" and
// "jane@example.com" one destination for send limits and for the credential;
// the local part is case-sensitive in theory, never in practice. The ASCII
// domain does the same for every Unicode spelling of one domain
// (full-width letters, "。" for ".", compatibility forms), since mail
// systems resolve the domain that way.
func NormalizeEmail(s string) (string, error) {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxEmailLen {
		return "", fmt.Errorf("%w: email too long or not UTF-8", ErrInvalidDestination)
	}
	// Lower first and validate the result: lower-casing can change the
	// length ("İ" becomes two runes), and the result is what is stored.
	s = strings.ToLower(s)
	if utf8.RuneCountInString(s) > maxEmailLen {
		return "", fmt.Errorf("%w: email too long", ErrInvalidDestination)
	}
	at := strings.IndexByte(s, '@')
	if at < 0 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return "", fmt.Errorf("%w: email must hold exactly one @", ErrInvalidDestination)
	}
	local, domain := s[:at], s[at+1:]
	if n := utf8.RuneCountInString(local); n < 1 || n > 64 || domain == "" {
		return "", fmt.Errorf("%w: email local part must be 1-64 characters and the domain non-empty", ErrInvalidDestination)
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", fmt.Errorf("%w: email holds whitespace or a control character", ErrInvalidDestination)
		}
		if invisible(r) {
			return "", fmt.Errorf("%w: email holds an invisible character (U+%04X)", ErrInvalidDestination, r)
		}
	}
	// The domain as DNS sees it. IDNA mapping would silently drop some
	// invisible characters ("g\u00admail.com" is gmail.com); they were
	// refused above, so that what is sent, stored and limited is the one
	// spelling the mail system uses.
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || ascii == "" || strings.HasSuffix(ascii, ".") {
		return "", fmt.Errorf("%w: email domain is not a valid domain name", ErrInvalidDestination)
	}
	s = local + "@" + ascii
	if utf8.RuneCountInString(s) > maxEmailLen {
		return "", fmt.Errorf("%w: email too long", ErrInvalidDestination)
	}
	// Only a bare addr-spec that parses to itself: "<jane@x>", "jane@x(c)"
	// and `"jane"@x` are the mailbox jane@x to a mail system, and would
	// otherwise each get a send history of their own.
	if a, err := mail.ParseAddress(s); err != nil || a.Name != "" || a.Address != s {
		return "", fmt.Errorf("%w: email must be a plain address (no quotes, comments or angle brackets)", ErrInvalidDestination)
	}
	return s, nil
}

// invisible reports whether r is a format character (Unicode category Cf)
// or another default-ignorable code point (UAX #44: Other_Default_Ignorable_
// Code_Point, which holds U+034F and the Hangul fillers, and the variation
// selectors such as U+FE0F). Renderers and IDNA drop or ignore them, so
// they let one address be spelled in endless ways.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r)
}

// mailboxKey folds the spellings that mail systems deliver to one mailbox
// into one string, for send limits only (the destination itself is kept as
// given): the local part is put in NFC (RFC 6532 §3.1; "jose\u0301" is
// "josé"), its full-width forms become ASCII (the domain is already ASCII,
// see NormalizeEmail), a sub-address "+tag" is dropped (RFC 5233), and for
// Gmail dots in the local part are dropped and googlemail.com is
// gmail.com. It may merge some distinct mailboxes, which only makes limits
// stricter. email is the output of NormalizeEmail.
func mailboxKey(email string) string {
	email = strings.ToLower(strings.Map(foldWidth, norm.NFC.String(email)))
	at := strings.LastIndexByte(email, '@')
	local, domain := email[:at], email[at+1:]
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	if domain == "googlemail.com" {
		domain = "gmail.com"
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + domain
}

// foldWidth maps full-width ASCII variants (U+FF01–U+FF5E) to ASCII and the
// dots IDNA treats as label separators to ".".
func foldWidth(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFF01 + '!'
	case r == 0x3002 || r == 0xFF61:
		return '.'
	}
	return r
}

// destination is a validated target for a code.
type destination struct {
	channel Channel
	to      string // E.164 or canonical email
	masked  string
	phone   phone.Number
}

// limitKey is the key of the send limiters: channel-qualified so an email and a
// phone number can never share a history, and for email the mailbox (see
// mailboxKey) so that other spellings of one inbox share its limits. A phone
// number is already canonical (E.164).
func (d destination) limitKey() string {
	if d.channel == ChannelEmail {
		return string(d.channel) + ":" + mailboxKey(d.to)
	}
	return string(d.channel) + ":" + d.to
}

// resolveDestination validates the destination of a request. A phone number
// goes through phone.Revalidate: one that came unchanged from the parser is
// trusted as is (the caller already paid for the parse), and any other is
// re-parsed from its E.164 form, so a Number built or edited by hand is
// validated all the same and its Type cannot be forged past the policy.
func (s *Service) resolveDestination(req StartRequest) (destination, error) {
	switch req.Channel {
	case ChannelSMS:
		if req.Phone == nil || req.Phone.E164 == "" {
			return destination{}, fmt.Errorf("%w: no phone number", ErrInvalidDestination)
		}
		n, err := phone.Revalidate(*req.Phone)
		if err != nil {
			return destination{}, fmt.Errorf("%w: %w", ErrInvalidDestination, err)
		}
		if err := s.cfg.PhonePolicy.Check(n); err != nil {
			return destination{}, fmt.Errorf("%w: %w", ErrDestinationRejected, err)
		}
		return destination{channel: ChannelSMS, to: n.E164, masked: n.Masked(), phone: n}, nil
	case ChannelEmail:
		e, err := NormalizeEmail(req.Email)
		if err != nil {
			return destination{}, err
		}
		return destination{channel: ChannelEmail, to: e, masked: maskEmail(e)}, nil
	default:
		return destination{}, fmt.Errorf("%w: unknown channel %q", ErrInvalidDestination, req.Channel)
	}
}
