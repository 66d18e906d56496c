package verification

import (
	"context"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Message is one code to deliver.
type Message struct {
	// Channel is ChannelSMS or ChannelEmail.
	Channel Channel
	// To is the destination: E.164 for SMS, an email address for email.
	To string
	// MaskedTo is To with most characters hidden ("+1 *** *** 3333",
	// "j***@example.com"), for logs.
	MaskedTo string
	// Code is the one-time code. Senders must never log it outside
	// development.
	Code string
	// VerificationID is the verification the code belongs to.
	VerificationID string
	// ExpiresAt is when the code stops working.
	ExpiresAt time.Time
	// TTL is the code's lifetime, for texts such as "valid for 10 minutes".
	TTL time.Duration
}

// masked returns MaskedTo, or a mask of To when it is empty.
func (m Message) masked() string {
	switch {
	case m.MaskedTo != "":
		return m.MaskedTo
	case m.To == "":
		return ""
	case m.Channel == ChannelEmail || strings.Contains(m.To, "@"):
		return maskEmail(m.To)
	default:
		return maskPhone(m.To, "")
	}
}

// String returns a form safe for logs: channel, masked destination and
// verification id, never the code, so that printing a Message by accident
// (fmt's %v, %+v) reveals nothing. Read the fields to send it.
func (m Message) String() string {
	return "verification.Message{" + string(m.Channel) + " to " + m.masked() + ", id " + m.VerificationID + "}"
}

// GoString is String, for %#v.
func (m Message) GoString() string { return m.String() }

// LogValue implements slog.LogValuer with the same fields as String, so
// that a Message handed to a logger reveals neither code nor destination.
func (m Message) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("channel", string(m.Channel)),
		slog.String("to", m.masked()),
		slog.String("verification_id", m.VerificationID),
	)
}

// Sender delivers a code. Implementations return an error wrapping a typed
// error where the provider says why (ErrInvalidDestination,
// ErrDestinationRejected); the service wraps every error with ErrSendFailed.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc adapts a function to the Sender interface.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// DefaultText is the text of an SMS or email body when no template is
// configured: "Your verification code is 123456. It expires in 10 minutes."
func DefaultText(m Message) string {
	var b strings.Builder
	b.WriteString("Your verification code is ")
	b.WriteString(m.Code)
	b.WriteString(".")
	if m.TTL > 0 {
		b.WriteString(" It expires in ")
		b.WriteString(humanDuration(m.TTL))
		b.WriteString(".")
	}
	return b.String()
}

func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Minute && d%time.Minute == 0:
		n := int(d / time.Minute)
		if n == 1 {
			return "1 minute"
		}
		return itoa(n) + " minutes"
	default:
		n := int((d + time.Second - 1) / time.Second)
		if n == 1 {
			return "1 second"
		}
		return itoa(n) + " seconds"
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// maskEmail hides all of the local part but its first character:
// "jane@example.com" → "j***@example.com".
func maskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	r := []rune(addr[:at])
	return string(r[0]) + "***" + addr[at:]
}

// maskPhone hides all but the last four digits of an E.164 number, keeping
// the calling code when given: ("+19172113333", "1") → "+1 ******3333".
// The service prefers phone.Number.Masked; this serves senders handed a
// Message without MaskedTo.
func maskPhone(e164, callingCode string) string {
	digits := strings.TrimPrefix(e164, "+")
	rest := strings.TrimPrefix(digits, callingCode)
	if callingCode == "" || rest == digits {
		callingCode, rest = "", digits
	}
	keep := 4
	if len(rest) <= keep {
		keep = len(rest) / 2
	}
	var b strings.Builder
	b.WriteByte('+')
	if callingCode != "" {
		b.WriteString(callingCode)
		b.WriteByte(' ')
	}
	b.WriteString(strings.Repeat("*", len(rest)-keep))
	b.WriteString(rest[len(rest)-keep:])
	return b.String()
}

// maxProviderText bounds a provider's message kept in an error.
const maxProviderText = 256

// minRedactDigits is the fewest digits in a number-like span (see
// numberSpan) that redact hides. Codes have at least 6 digits and phone
// numbers with their calling code at least 7, so 5 leaves a margin for a
// fragment of either. The price: 5-digit provider error codes in the text
// ("Twilio error 60203") become "***" too. TwilioError.Code keeps Twilio's
// code as a number, and SMTPSender keeps the 3-digit reply code, so
// nothing diagnostic is lost; 4-digit numbers (a year, the last four digits
// a masked number shows anyway, "5.1.1") stay.
const minRedactDigits = 5

// redact prepares text from a provider (an error message, an SMTP reply)
// for an error string, which ends up in logs: the destination becomes its
// masked form, the code and every other number-like span of
// minRedactDigits or more digits — digit groups joined by spaces, dots,
// dashes, slashes or brackets in any Unicode form, as in "(917) 211-3333",
// "+1 917 211 3333", "917.211.3333", "123 456" or "９１７－２１１－３３３３" —
// become "***", control characters (C0, DEL and C1) and the Unicode line
// and paragraph separators become spaces, and the length is bounded.
func redact(text string, m Message) string {
	if m.To != "" {
		masked := m.MaskedTo
		if masked == "" {
			masked = "***"
		}
		text = replaceFold(text, m.To, masked)
		if digits := strings.TrimPrefix(m.To, "+"); digits != m.To && digits != "" {
			text = strings.ReplaceAll(text, digits, masked)
		}
	}
	if m.Code != "" {
		text = strings.ReplaceAll(text, m.Code, "***")
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		if b.Len() >= maxProviderText && utf8.RuneStart(text[i]) {
			b.WriteString("…")
			break
		}
		j, n := numberSpan(text, i)
		if n >= minRedactDigits {
			b.WriteString("***")
			i = j
			continue
		}
		for j = max(j, i+1); i < j; { // a short span is copied whole
			r, w := utf8.DecodeRuneInString(text[i:])
			if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
				// C0, DEL and C1 (U+0085 NEXT LINE) controls and the
				// Unicode line breaks: none may start a log line.
				b.WriteByte(' ')
			} else {
				b.WriteString(text[i : i+w])
			}
			i += w
		}
	}
	return b.String()
}

// numberSpan finds a number-like span at s[i]: an optional "+" or "(",
// then groups of decimal digits (Unicode Nd) joined by at most 3 separator
// characters (see sepWidth). It returns the end of the last digit group and
// the number of digits, or i, 0 when s[i] starts no span. Separators after
// the last group are not part of it.
func numberSpan(s string, i int) (end, digits int) {
	j := i
	for k := 0; k < 2; k++ {
		w := prefixWidth(s, j)
		if w == 0 {
			break
		}
		j += w
	}
	if digitWidth(s, j) == 0 {
		return i, 0
	}
	for {
		for w := digitWidth(s, j); w > 0; w = digitWidth(s, j) {
			j += w
			digits++
		}
		end = j
		n := 0
		for w := sepWidth(s, j); w > 0 && n < 3; w = sepWidth(s, j) {
			j += w
			n++
		}
		if n == 0 || digitWidth(s, j) == 0 {
			return end, digits
		}
	}
}

// digitWidth is the byte length of the decimal digit (Unicode Nd) at s[i],
// or 0.
func digitWidth(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		if c >= '0' && c <= '9' {
			return 1
		}
		return 0
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if unicode.IsDigit(r) {
		return w
	}
	return 0
}

// prefixWidth is the byte length of the "+" or "(" (or its full-width
// form) that may open a number at s[i], or 0.
func prefixWidth(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	if c := s[i]; c == '+' || c == '(' {
		return 1
	}
	if r, w := utf8.DecodeRuneInString(s[i:]); r == '＋' || r == '（' {
		return w
	}
	return 0
}

// sepWidth is the byte length of the digit-group separator at s[i], or 0:
// any Unicode space (no-break, thin and figure spaces group digits too),
// any dash (Unicode Pd, and U+2212 MINUS SIGN), '.', '/', '(' or ')' and
// their full-width forms, or a control character (redact writes a space
// for it). A provider's text may group a number with any of them.
func sepWidth(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		switch {
		case c == ' ', c == '.', c == '-', c == '/', c == '(', c == ')', c < 0x20, c == 0x7f:
			return 1
		}
		return 0
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	switch {
	case unicode.IsSpace(r), unicode.Is(unicode.Pd, r), r == '\u2212',
		r == '．', r == '／', r == '（', r == '）':
		return w
	}
	return 0
}

// replaceFold replaces every case-insensitive (ASCII) occurrence of old in s.
func replaceFold(s, old, repl string) string {
	if old == "" || len(old) > len(s) {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i+len(old) <= len(s); {
		if strings.EqualFold(s[i:i+len(old)], old) {
			b.WriteString(s[last:i])
			b.WriteString(repl)
			i += len(old)
			last = i
			continue
		}
		i++
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
