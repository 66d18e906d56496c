package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// serverSecrets are the keys the services need: code hashing
// (verification), recovery-code and MFA-token hashing and TOTP-secret
// sealing (mfa). They are derived from one master secret, -secret, with
// HMAC-SHA256 under a distinct label each, so that no key is used for two
// purposes. Without -secret a random master is drawn at start: fine for
// memory stores, which forget everything at exit anyway; with a shared
// store every instance needs the same -secret, or codes, TOTP secrets and
// tokens stored by one are unreadable to another.
type serverSecrets struct {
	verification []byte
	mfaHash      []byte
	mfaSeal      [32]byte
}

// minSecretLen is the shortest accepted -secret, in bytes (after decoding).
const minSecretLen = 32

// parseSecret decodes -secret: base64 (standard or URL, padded or not) or
// hex, at least 32 bytes. Empty means a random one.
func parseSecret(s string) ([]byte, error) {
	if s == "" {
		return randomBytes(minSecretLen)
	}
	s = strings.TrimSpace(s)
	var b []byte
	var err error
	if b, err = hex.DecodeString(s); err != nil {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err = enc.DecodeString(s); err == nil {
				break
			}
		}
	}
	if err != nil {
		return nil, errors.New("-secret: want hex or base64")
	}
	if len(b) < minSecretLen {
		return nil, errors.New("-secret: want at least 32 bytes")
	}
	return b, nil
}

// deriveSecrets derives the service keys from master.
func deriveSecrets(master []byte) serverSecrets {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, master)
		m.Write([]byte("authkit/examples/server/" + label))
		return m.Sum(nil)
	}
	var s serverSecrets
	s.verification = derive("verification-code-hash")
	s.mfaHash = derive("mfa-hash")
	copy(s.mfaSeal[:], derive("mfa-seal"))
	return s
}
