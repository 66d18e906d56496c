package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// PKCE (RFC 7636) is always S256: the plain method would send the verifier
// itself in the authorization URL, so an intercepted URL plus code would
// be enough to redeem the code.

// verifierBytes is the entropy of a generated verifier: 32 octets give a
// 43-character verifier and 256 bits (RFC 7636 §4.1, §7.1).
const verifierBytes = 32

// S256Challenge returns BASE64URL(SHA256(ASCII(verifier))) without padding,
// the code_challenge for the S256 method (RFC 7636 §4.2).
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ValidVerifier reports whether v is a syntactically valid code_verifier:
// 43 to 128 characters from A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1).
func ValidVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !unreserved(v[i]) {
			return false
		}
	}
	return true
}

// validChallenge reports whether c looks like an S256 challenge: exactly
// 43 base64url characters (a SHA-256 digest, unpadded).
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// verifierMatches checks a client-presented verifier against the stored
// challenge in constant time.
func verifierMatches(verifier, challenge string) bool {
	if !ValidVerifier(verifier) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(S256Challenge(verifier)), []byte(challenge)) == 1
}

// validStateValue reports whether a client-chosen state is 16–128
// URL-safe characters, so it can travel in a URL unescaped and carries
// enough entropy to be unguessable if the client drew it at random.
func validStateValue(s string) bool {
	if len(s) < 16 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			return false
		}
	}
	return true
}
