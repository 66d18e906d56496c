package verification

import (
	"errors"
	"fmt"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
)

// fiveDigits finds five digits (any Unicode Nd) in a row once separators
// (sepWidth's class: Unicode spaces and dashes, . / ( ) and their
// full-width forms) are ignored: what redact must never let through.
var fiveDigits = regexp.MustCompile(`\p{Nd}([\s\p{Z}\p{Pd}\x{85}.\-/()\x{2212}\x{FF0E}\x{FF0F}\x{FF08}\x{FF09}]{0,3}\p{Nd}){4}`)

// TestRedactNumberSpellings: a provider that quotes the number or the code
// in any usual spelling gets it hidden, not only the spelling we sent.
func TestRedactNumberSpellings(t *testing.T) {
	m := Message{Channel: ChannelSMS, To: "+19172113333", MaskedTo: "+1 *** *** 3333", Code: "480213"}
	spellings := []string{
		// the destination
		"+19172113333", "19172113333", "9172113333",
		"(917) 211-3333", "917.211.3333", "917-211-3333", "917 211 3333", "917/211/3333",
		"+1 917 211 3333", "+1 (917) 211-3333", "+1-917-211-3333", "+1.917.211.3333", "1 (917) 211 3333",
		"+1 (917)211-3333", "(+1) 917 211 3333", "917 - 211 - 3333", "+1\u00a0917\u00a0211\u00a03333",
		"917\u2011211\u20113333", "917\u2013211\u20133333", "211-3333 (917)",
		"+44 20 7946 0958", "+33 1 23 45 67 89",
		// the code, and other codes
		"480213", "480 213", "480-213", "480.213", "48 02 13", "4-8-0-2-1-3", "(480) 213",
		"\uff14\uff18\uff10\uff12\uff11\uff13", // full-width digits
		"123 456", "123-456", "123.456", "12 34 56", "1234567890",
		// five digits: the documented price
		"60203", "21 211",
	}
	for _, x := range spellings {
		for _, tmpl := range []string{"%s", "The 'To' number %s is not valid.", "code:%s;", "(%s)"} {
			in := fmt.Sprintf(tmpl, x)
			got := redact(in, m)
			if fiveDigits.MatchString(got) || strings.Contains(got, "480") {
				t.Errorf("redact(%q) = %q: digits left", in, got)
			}
			if !strings.Contains(got, "***") {
				t.Errorf("redact(%q) = %q: nothing hidden", in, got)
			}
		}
	}
}

// TestRedactKeepsOrdinaryText: text with short numbers comes through as it
// was, with only the number-like spans of 5+ digits hidden.
func TestRedactKeepsOrdinaryText(t *testing.T) {
	m := Message{Channel: ChannelSMS, To: "+19172113333", MaskedTo: "+1 *** *** 3333", Code: "480213"}
	tests := []struct{ in, want string }{
		{"Attempt to send to unsubscribed recipient", "Attempt to send to unsubscribed recipient"},
		{"Attempt 3 of 5 failed in 2026; retry in 30 s (HTTP 429)", "Attempt 3 of 5 failed in 2026; retry in 30 s (HTTP 429)"},
		{"5.7.1 Message rejected, version 1.2.3", "5.7.1 Message rejected, version 1.2.3"},
		{"ends in 3333.", "ends in 3333."},
		{"(917)", "(917)"},
		{"Max send attempts reached (error 60203).", "Max send attempts reached (error ***)."},
		{"call 917-211-3333.", "call ***."},
		{"call (917) 211-3333, then 123 456", "call ***, then ***"},
		{"host [203.0.113.5] blocked", "host [***] blocked"},
		{"line one\r\nline two", "line one  line two"},
	}
	for _, tc := range tests {
		if got := redact(tc.in, m); got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRedactSMTPKeepsReplyCode: the reply code and the enhanced status stay,
// the quoted address and number do not.
func TestRedactSMTPKeepsReplyCode(t *testing.T) {
	m := Message{Channel: ChannelEmail, To: "jane@example.com", MaskedTo: "j***@example.com", Code: "480213"}
	err := fmt.Errorf("rcpt: %w", &textproto.Error{Code: 550, Msg: "5.1.1 <jane@example.com>: no such user; call (917) 211-3333 or quote 480 213"})
	got := redactSMTP(err, m)
	want := "rcpt: 550 5.1.1 <j***@example.com>: no such user; call *** or quote ***"
	if got != want {
		t.Errorf("redactSMTP = %q, want %q", got, want)
	}
	if got := redactSMTP(errors.New("dial tcp 10.0.0.1:25: i/o timeout"), m); got != "dial tcp ***:25: i/o timeout" {
		t.Errorf("redactSMTP(plain error) = %q", got)
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{"(917) 211-3333", "+1 917 211 3333", "123 456", "60203", "5.1.1", "+(", "1-", "\u00a09\u2013"} {
		f.Add(s)
	}
	m := Message{To: "+19172113333", MaskedTo: "+1 *** *** 3333", Code: "480213"}
	f.Fuzz(func(t *testing.T, s string) {
		got := redact(s, m)
		if fiveDigits.MatchString(got) {
			t.Fatalf("redact(%q) = %q: five digits left", s, got)
		}
		if strings.IndexFunc(got, isLineBreakOrControl) >= 0 {
			t.Fatalf("redact(%q) = %q: control characters left", s, got)
		}
	})
}
