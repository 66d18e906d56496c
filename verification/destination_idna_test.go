package verification_test

import (
	"errors"
	"testing"

	"github.com/authkit/authkit/verification"
)

// TestNormalizeEmailIDNASpellings: the ASCII (Punycode) spelling of a label
// is checked as strictly as its Unicode one, so "xn--" cannot smuggle in
// the invisible characters refused in Unicode form, nor a label that is
// not in its mapped (lower-case, NFC) form; an NFD domain is the NFC one.
func TestNormalizeEmailIDNASpellings(t *testing.T) {
	ok := []struct{ in, want string }{
		{"jane@exa\u0308mple.de", "jane@xn--exmple-cua.de"}, // NFD: IDNA composes
		{"jane@XN--EXMPLE-CUA.DE", "jane@xn--exmple-cua.de"},
		{"jane@xn--gmal-nza.com", "jane@xn--gmal-nza.com"}, // "gmaıl" (dotless i) is its own domain
	}
	for _, tc := range ok {
		got, err := verification.NormalizeEmail(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"bomb@xn--gmail-0ha.com",   // g\u00admail: SOFT HYPHEN
		"bomb@xn--gmail-lt3b.com",  // g\u200bmail: ZERO WIDTH SPACE
		"bomb@xn--gmail-yt3b.com",  // gm\u200dail: ZERO WIDTH JOINER outside its context
		"bomb@xn--gmail-st3b.com",  // gm\u200cail: ZERO WIDTH NON-JOINER
		"bomb@xn--gmail-0613a.com", // gmail\ufe0f: VARIATION SELECTOR-16
		"bomb@xn--gmail-ksd.com",   // g\u034fmail: COMBINING GRAPHEME JOINER
		"bomb@xn--gmail-wk5d.com",  // g\u3164mail: HANGUL FILLER
		"bomb@xn--gmil-1ja.com",    // gmÄil: an upper-case letter, not the mapped form
	} {
		if got, err := verification.NormalizeEmail(in); !errors.Is(err, verification.ErrInvalidDestination) {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want ErrInvalidDestination", in, got, err)
		}
	}
}
