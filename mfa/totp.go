package mfa

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

// hotpKey holds the HMAC-SHA1 (RFC 2104 §2) pads of a TOTP secret, so that
// each step checked costs two SHA-1 sums over stack buffers: no key
// re-derivation, no base32 round trip and no allocation per step.
type hotpKey struct {
	inner [sha1.BlockSize + 8]byte         // K ⊕ ipad ‖ counter
	outer [sha1.BlockSize + sha1.Size]byte // K ⊕ opad ‖ inner hash
}

func newHOTPKey(secret []byte) *hotpKey {
	k := &hotpKey{}
	key := secret
	if len(key) > sha1.BlockSize { // RFC 2104 §2: longer keys are hashed first
		h := sha1.Sum(key)
		key = h[:]
	}
	for i := range sha1.BlockSize {
		var b byte
		if i < len(key) {
			b = key[i]
		}
		k.inner[i] = b ^ 0x36
		k.outer[i] = b ^ 0x5c
	}
	return k
}

// value returns HOTP(K, counter) mod 10^6: HMAC-SHA1 of the 8-byte
// big-endian counter with dynamic truncation (RFC 4226 §5.3).
func (k *hotpKey) value(counter uint64) uint32 {
	binary.BigEndian.PutUint64(k.inner[sha1.BlockSize:], counter)
	ih := sha1.Sum(k.inner[:])
	copy(k.outer[sha1.BlockSize:], ih[:])
	sum := sha1.Sum(k.outer[:])
	off := sum[sha1.Size-1] & 0x0f
	return (binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff) % 1_000_000
}

// wipe clears the key material.
func (k *hotpKey) wipe() { clear(k.inner[:]); clear(k.outer[:]) }

// codeValue is the number six ASCII digits (normalizeTOTPCode's output)
// spell.
func codeValue(code string) uint32 {
	var v uint32
	for i := 0; i < len(code); i++ {
		v = v*10 + uint32(code[i]-'0')
	}
	return v
}

// matchStep reports the step within ±skew of now whose code equals code
// (six digits). pquerna/otp's ValidateCustom only returns a boolean, so the
// codes of the allowed steps are computed here and compared in constant
// time, to learn which step matched (the replay guard needs it). The search
// stops at the first match: by then the guess is known to be right, so the
// early exit reveals nothing an attacker did not already hold.
func matchStep(secret []byte, code string, now time.Time, skew int) (uint64, bool) {
	want := int32(codeValue(code))
	k := newHOTPKey(secret)
	defer k.wipe()
	cur := stepAt(now)
	for _, d := range totpSteps[:1+2*skew] {
		if d < 0 && cur <= uint64(-d) {
			continue // step 0 or before the epoch: never valid
		}
		step := uint64(int64(cur) + d)
		if step == 0 {
			continue
		}
		if subtle.ConstantTimeEq(int32(k.value(step)), want) == 1 {
			return step, true
		}
	}
	return 0, false
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
