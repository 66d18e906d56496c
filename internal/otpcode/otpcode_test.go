package otpcode

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in     string
		digits int
		want   string
		ok     bool
	}{
		{"123456", 6, "123456", true},
		{" 123456\n", 6, "123456", true},
		{"123 456", 6, "123456", true},
		{"123-456", 6, "123456", true},
		{"\t123 456 ", 6, "123456", true},
		{"1234 5678", 8, "12345678", true},
		{"123 4567", 7, "1234567", true},
		{"1234-567", 7, "1234567", true},
		{"12345 67890", 10, "1234567890", true},
		{"12 3456", 6, "", false},
		{"1234 56", 6, "", false},
		{"123  456", 6, "", false},
		{"123_456", 6, "", false},
		{"123.456", 6, "", false},
		{"12345", 6, "", false},
		{"1234567", 6, "", false},
		{"12345a", 6, "", false},
		{"１２３４５６", 6, "", false},
		{"123 456", 7, "", false},
		{"", 6, "", false},
		{" ", 6, "", false},
		{"-", 0, "", false},
		{"1-", 1, "", false},
		{"-1", 1, "", false},
		{"", 0, "", false},
		{"123456", -1, "", false},
	}
	for _, tc := range tests {
		got, ok := Normalize(tc.in, tc.digits)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Normalize(%q, %d) = %q, %v; want %q, %v", tc.in, tc.digits, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add("123 456", 6)
	f.Add("1234-5678", 8)
	f.Add("12a456", 6)
	f.Fuzz(func(t *testing.T, s string, digits int) {
		digits = digits%12 - 1 // -12..10: out of range lengths included
		got, ok := Normalize(s, digits)
		if !ok {
			if got != "" {
				t.Fatalf("refused %q but returned %q", s, got)
			}
			return
		}
		if len(got) != digits || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("Normalize(%q, %d) = %q", s, digits, got)
		}
		// Idempotent, and only white space and one separator were dropped.
		if again, ok := Normalize(got, digits); !ok || again != got {
			t.Fatalf("not idempotent on %q", got)
		}
		if strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s) != got {
			t.Fatalf("Normalize(%q) = %q dropped digits", s, got)
		}
	})
}
