package oauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Apple has no static client secret: the secret is a JWT signed with ES256
// by the developer's .p8 key, naming the team (iss), the Services ID (sub)
// and Apple (aud). A short lifetime limits what a leaked secret is worth;
// Apple accepts up to six months.

// appleSecretLifetime is how long each generated client secret is valid.
const appleSecretLifetime = 5 * time.Minute

// appleAudience is the aud Apple requires in the client secret.
const appleAudience = "https://appleid.apple.com"

// ParseAppleKey parses the contents of an Apple .p8 file (a PKCS #8 PEM
// "PRIVATE KEY" holding a P-256 key).
func ParseAppleKey(p8 []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(p8)
	if block == nil {
		return nil, errors.New("oauth: apple key: no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("oauth: apple key: %w", err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("oauth: apple key: not a P-256 EC key")
	}
	return ec, nil
}

// AppleClientSecret returns the client secret JWT for Sign in with Apple:
// header {alg: ES256, kid: keyID}, claims {iss: teamID, sub: clientID,
// aud: https://appleid.apple.com, iat: now, exp: now + 5 min}.
func AppleClientSecret(key *ecdsa.PrivateKey, teamID, keyID, clientID string, now time.Time) (string, error) {
	// A MapClaims so that aud is a plain string, as Apple documents it.
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": teamID,
		"sub": clientID,
		"aud": appleAudience,
		"iat": now.Unix(),
		"exp": now.Add(appleSecretLifetime).Unix(),
	})
	tok.Header["kid"] = keyID
	s, err := tok.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("oauth: apple client secret: %w", err)
	}
	return s, nil
}
