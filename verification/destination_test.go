package verification_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/authkit/authkit/verification"
)

func TestNormalizeEmail(t *testing.T) {
	long64 := strings.Repeat("a", 64)
	tests := []struct {
		in, want string // want "" = ErrInvalidDestination
	}{
		{"jane@example.com", "jane@example.com"},
		{"Jane.Doe+tag@Example.COM", "jane.doe+tag@example.com"},
		{long64 + "@example.com", long64 + "@example.com"},
		{"a@b", "a@b"},
		{"josé@exämple.de", "josé@xn--exmple-cua.de"}, // the domain as DNS looks it up
		{"jane@EXÄMPLE.de", "jane@xn--exmple-cua.de"},
		{"jane@xn--exmple-cua.de", "jane@xn--exmple-cua.de"},
		{"jane@ｅｘａｍｐｌｅ.com", "jane@example.com"},                               // full-width letters
		{"jane@example。com", "jane@example.com"},                               // ideographic full stop
		{"jane@straße.de", "jane@xn--strae-oqa.de"},                            // IDNA2008: ß is kept, not "ss"
		{strings.Repeat("é", 64) + "@x.io", strings.Repeat("é", 64) + "@x.io"}, // 64 characters, 128 bytes
		{"a@" + strings.Repeat("d", 253), "a@" + strings.Repeat("d", 253)},     // 255 characters
		{"", ""},
		{"@example.com", ""},
		{"jane@", ""},
		{"jane", ""},
		{"a@b@c", ""},
		{long64 + "a@example.com", ""},
		{"a@" + strings.Repeat("d", 254), ""}, // 256 characters
		{"jane doe@example.com", ""},
		{"jane@example.com\r\nBcc: x@evil.test", ""},
		{"jane@example.com\n", ""},
		{"ja\x00ne@example.com", ""},
		{"jane@exa\tmple.com", ""},
		{"\xff@example.com", ""},
		// Other spellings of jane@example.com to a mail system.
		{"<jane@example.com>", ""},
		{"jane@example.com(comment)", ""},
		{`"jane"@example.com`, ""},
		{"a..b@example.com", ""},
		{"a,b@example.com", ""},
		// Invisible characters that IDNA or a renderer drops: each would be
		// one more spelling of a mailbox with a send budget of its own.
		{"bomb@g\u00admail.com", ""},     // SOFT HYPHEN (Cf)
		{"bomb@g\u200bmail.com", ""},     // ZERO WIDTH SPACE (Cf)
		{"bomb@g\u2060mail.com", ""},     // WORD JOINER (Cf)
		{"bomb@gmail.com\ufeff", ""},     // BYTE ORDER MARK (Cf)
		{"bomb@g\u200dmail.com", ""},     // ZERO WIDTH JOINER (Cf)
		{"bomb@g\ufe0fmail.com", ""},     // VARIATION SELECTOR-16
		{"bomb@g\u034fmail.com", ""},     // COMBINING GRAPHEME JOINER
		{"bomb@g\u3164mail.com", ""},     // HANGUL FILLER
		{"bomb@g\U000e0001mail.com", ""}, // LANGUAGE TAG (Cf)
		{"bo\u00admb@gmail.com", ""},     // in the local part too
		{"bo\u180emb@gmail.com", ""},     // MONGOLIAN VOWEL SEPARATOR (Cf)
		{"jane@-example.com", ""},        // not a host name
		{"jane@exa_mple.com", ""},        //
		{"jane@example.com.", ""},        // trailing dot: the same host
		{"jane@xn--zz.com", ""},          // invalid Punycode
	}
	for _, tc := range tests {
		got, err := verification.NormalizeEmail(tc.in)
		if tc.want == "" {
			if !errors.Is(err, verification.ErrInvalidDestination) {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want ErrInvalidDestination", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"jane@example.com", "A@B", "a@b@c", "é@x", "a\r\n@x", "", strings.Repeat("a", 65) + "@x", strings.Repeat("İ", 40) + "@x", "bomb@g\u00admail.com", "a@ｅｘａｍｐｌｅ。com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := verification.NormalizeEmail(s)
		if err != nil {
			if !errors.Is(err, verification.ErrInvalidDestination) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if strings.Count(got, "@") != 1 || strings.ContainsAny(got, "\r\n\x00 ") || !utf8.ValidString(got) {
			t.Fatalf("accepted %q as %q", s, got)
		}
		for _, r := range got {
			if unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) {
				t.Fatalf("accepted %q with invisible U+%04X", got, r)
			}
		}
		if domain := got[strings.IndexByte(got, '@')+1:]; strings.IndexFunc(domain, func(r rune) bool { return r >= utf8.RuneSelf }) >= 0 {
			t.Fatalf("accepted %q with a non-ASCII domain", got)
		}
		if again, err := verification.NormalizeEmail(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, got, again, err)
		}
	})
}
