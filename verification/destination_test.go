package verification_test

import (
	"errors"
	"strings"
	"testing"
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
		{"josé@exämple.de", "josé@exämple.de"},
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
	for _, s := range []string{"jane@example.com", "A@B", "a@b@c", "é@x", "a\r\n@x", "", strings.Repeat("a", 65) + "@x", strings.Repeat("İ", 40) + "@x"} {
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
		if again, err := verification.NormalizeEmail(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, got, again, err)
		}
	})
}
