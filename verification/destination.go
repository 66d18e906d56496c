package verification

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/authkit/authkit/phone"
)

// maxEmailLen is the spec's limit on an email address, in characters.
const maxEmailLen = 255

// NormalizeEmail validates an email address as the API does (≤ 255
// characters, ^[^@]{1,64}@[^@]+$) and returns its canonical, lower-cased
// form. It also refuses invalid UTF-8, whitespace and control characters,
// which no deliverable address holds and which could otherwise smuggle
// headers into an email. Errors wrap ErrInvalidDestination.
//
// Lower-casing the whole address makes "Jane@Example.com" and
// "jane@example.com" one destination for send limits and for the credential;
// the local part is case-sensitive in theory, never in practice.
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
	}
	return s, nil
}

// destination is a validated target for a code.
type destination struct {
	channel Channel
	to      string // E.164 or canonical email
	masked  string
	phone   phone.Number
}

// limitKey is the Store.RecordSend key: channel-qualified so an email and a
// phone number can never share a history.
func (d destination) limitKey() string { return string(d.channel) + ":" + d.to }

// resolveDestination validates the destination of a request. A phone number
// is re-parsed from its E.164 form, so a Number built by hand (not by
// phone.Parse) is validated all the same and its Type cannot be forged past
// the policy.
func (s *Service) resolveDestination(req StartRequest) (destination, error) {
	switch req.Channel {
	case ChannelSMS:
		if req.Phone == nil || req.Phone.E164 == "" {
			return destination{}, fmt.Errorf("%w: no phone number", ErrInvalidDestination)
		}
		n, err := phone.ParseE164(req.Phone.E164)
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
