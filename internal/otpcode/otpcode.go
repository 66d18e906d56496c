// Package otpcode normalizes one-time codes as people type them, so that
// every package that takes a numeric code (verification, mfa) accepts the
// same spellings.
package otpcode

import "strings"

// Normalize accepts a code of exactly digits ASCII digits, optionally with
// surrounding white space and one space or dash in the middle, where apps
// and messages split it for reading ("123 456", "123-456", "1234 5678";
// for an odd length either middle position). It returns the bare digits.
// Anything else, such as other separators, several of them or non-ASCII
// digits, is refused: a typo should not become a different code.
func Normalize(s string, digits int) (string, bool) {
	s = strings.TrimSpace(s)
	if digits > 0 && len(s) == digits+1 {
		if i := separator(s, digits); i > 0 && i < digits {
			s = s[:i] + s[i+1:]
		}
	}
	if digits <= 0 || len(s) != digits {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return s, true
}

// separator returns the index of the one middle separator of s, or -1.
func separator(s string, digits int) int {
	for _, i := range [2]int{digits / 2, (digits + 1) / 2} {
		if s[i] == ' ' || s[i] == '-' {
			return i
		}
	}
	return -1
}
