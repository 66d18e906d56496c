package mfa

import (
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"github.com/authkit/authkit/internal/otpcode"
)

// TOTP parameters. They are fixed, not configurable: Google Authenticator
// and most other apps ignore the algorithm, digits and period parameters of
// the key URI, so any other value would silently break enrollment.
const (
	// TOTPPeriod is the time step in seconds (RFC 6238 §4.1, X).
	TOTPPeriod = 30
	// TOTPDigits is the code length.
	TOTPDigits = 6
	// SecretSize is the TOTP secret length in bytes: 160 bits, the length
	// RFC 4226 §4 recommends and the HMAC-SHA1 output size.
	SecretSize = 20
)

var (
	b32NoPad  = base32.StdEncoding.WithPadding(base32.NoPadding)
	hotpOpts  = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	errLabel  = errors.New("mfa: issuer and account label must be 1-255 bytes of printable UTF-8 without ':'")
	totpSteps = [...]int64{0, -1, 1, -2, 2} // current step first, then outwards
)

// stepAt returns the RFC 6238 time step T = floor(unix / X) as 64 bits
// (it passes 32 bits in 2038 with X = 1, and in 6053 with X = 30). Times
// before 1970 map to step 0, which can never be accepted (LastStep starts
// at 0 and only larger steps pass).
func stepAt(t time.Time) uint64 {
	u := t.Unix()
	if u < 0 {
		return 0
	}
	return uint64(u) / TOTPPeriod
}

// totpCode returns the 6-digit code of secret (base32) for step, computed by
// pquerna/otp.
func totpCode(secretB32 string, step uint64) (string, error) {
	return hotp.GenerateCodeCustom(secretB32, step, hotpOpts)
}

// matchStep reports the step within ±skew of now whose code equals code.
// pquerna/otp's ValidateCustom only returns a boolean, so the codes of the
// allowed steps are computed here and compared in constant time, to learn
// which step matched (the replay guard needs it). The search stops at the
// first match: by then the guess is known to be right, so the early exit
// reveals nothing an attacker did not already hold.
func matchStep(secretB32, code string, now time.Time, skew int) (uint64, bool, error) {
	cur := stepAt(now)
	for _, d := range totpSteps[:1+2*skew] {
		if d < 0 && cur <= uint64(-d) {
			continue // step 0 or before the epoch: never valid
		}
		step := uint64(int64(cur) + d)
		if step == 0 {
			continue
		}
		want, err := totpCode(secretB32, step)
		if err != nil {
			return 0, false, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true, nil
		}
	}
	return 0, false, nil
}

// normalizeTOTPCode accepts six ASCII digits, optionally with surrounding
// white space and one space or dash in the middle ("123 456", as some apps
// display codes). It returns the six digits. verification.Check applies
// the same rule to its codes.
func normalizeTOTPCode(s string) (string, bool) {
	return otpcode.Normalize(s, TOTPDigits)
}

// validLabel checks an issuer or account name for the Key URI label: the
// format uses ':' as separator, so it may not appear inside either part.
func validLabel(s string) bool {
	if s == "" || len(s) > 255 || !utf8.ValidString(s) || strings.ContainsRune(s, ':') {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// escapeLabel percent-encodes an issuer or account for the URI path. Spaces
// become %20 and '+' %2B, since some apps decode '+' as a space.
func escapeLabel(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), "+", "%2B")
}

// escapeQuery percent-encodes a query value with %20 for spaces, as in the
// Key URI examples (url.QueryEscape would write '+').
func escapeQuery(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// KeyURI returns the otpauth:// URI of a TOTP key in the Google
// Authenticator Key URI format:
//
//	otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
//
// secret is unpadded base32. issuer and account must be non-empty printable
// UTF-8 without ':'.
func KeyURI(issuer, account, secret string) (string, error) {
	if !validLabel(issuer) || !validLabel(account) {
		return "", errLabel
	}
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	b.WriteString(escapeLabel(issuer))
	b.WriteByte(':')
	b.WriteString(escapeLabel(account))
	b.WriteString("?secret=")
	b.WriteString(secret)
	b.WriteString("&issuer=")
	b.WriteString(escapeQuery(issuer))
	b.WriteString("&algorithm=SHA1&digits=6&period=30")
	return b.String(), nil
}
