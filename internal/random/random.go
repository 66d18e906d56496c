// Package random draws codes, tokens and identifiers from a cryptographic
// source. Every function takes the reader explicitly so tests can inject a
// deterministic one; production callers pass nil, meaning crypto/rand.Reader.
package random

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// ErrShortRead is returned when the random source fails or runs dry.
var ErrShortRead = errors.New("random: source failed")

func src(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

// Bytes returns n random bytes from r (nil = crypto/rand).
func Bytes(r io.Reader, n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(src(r), b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrShortRead, err)
	}
	return b, nil
}

// Digits returns a string of n decimal digits, each uniform over 0-9.
// Bytes of 250 or more are rejected and redrawn so that byte%10 has no
// modulo bias (250 is the largest multiple of 10 that fits in a byte).
func Digits(r io.Reader, n int) (string, error) {
	if n <= 0 {
		return "", errors.New("random: digit count must be positive")
	}
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+4)
	rd := src(r)
	for len(out) < n {
		if _, err := io.ReadFull(rd, buf); err != nil {
			return "", fmt.Errorf("%w: %v", ErrShortRead, err)
		}
		for _, c := range buf {
			if c >= 250 {
				continue
			}
			out = append(out, '0'+c%10)
			if len(out) == n {
				break
			}
		}
	}
	return string(out), nil
}

// Token returns n random bytes encoded as unpadded base64url, suitable for
// opaque bearer values (n=32 gives 256 bits).
func Token(r io.Reader, n int) (string, error) {
	b, err := Bytes(r, n)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// UUID returns a random (version 4, RFC 9562) UUID in its canonical
// lower-case 36-character form.
func UUID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(src(r), b[:]); err != nil {
		return "", fmt.Errorf("%w: %v", ErrShortRead, err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:]), nil
}

// IsUUID reports whether s is a canonical lower- or upper-case UUID string.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
