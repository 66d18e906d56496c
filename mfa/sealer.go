package mfa

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"

	"github.com/authkit/authkit/internal/random"
)

// Sealer encrypts secrets at rest (TOTP seeds, recovery codes). ad is
// associated data that must be presented again to open: the Service passes the
// device id for a TOTP secret and the user id for a recovery code, so a sealed
// value copied onto another record does not open. Hosts can implement Sealer
// with a KMS; NewAESGCMSealer is the built-in implementation.
type Sealer interface {
	Seal(plaintext, ad []byte) ([]byte, error)
	Open(sealed, ad []byte) ([]byte, error)
}

// Sealer errors.
var (
	// ErrSealedOpen: the sealed value is malformed, was sealed under an
	// unknown key, was tampered with, or the associated data differs.
	ErrSealedOpen = errors.New("mfa: cannot open sealed value")
	// ErrSealerKey: NewAESGCMSealer got no keys, an empty, too long or
	// repeated key id, or an all-zero secret.
	ErrSealerKey = errors.New("mfa: invalid sealer key")
)

// Key is one AES-256 key of an AESGCMSealer.
type Key struct {
	// ID names the key inside every value sealed with it (1 to 255 bytes,
	// not secret); it lets Open pick the key after a rotation.
	ID string
	// Secret is the 256-bit AES key. It must come from a CSPRNG.
	Secret [32]byte
}

// AESGCMSealer seals with AES-256-GCM under the newest key and opens with any
// configured key. Sealed format:
//
//	len(keyID) (1 byte) || keyID || nonce (12 bytes) || ciphertext || tag (16 bytes)
//
// The key id is also authenticated (it is prefixed to the associated data), so
// it cannot be swapped. Nonces are random: with 96-bit random nonces a key
// stays well inside GCM's bounds for 2^32 seals, far beyond the number of
// MFA enrollments any host performs between rotations.
type AESGCMSealer struct {
	keys []sealerKey // newest first
	rand io.Reader
}

type sealerKey struct {
	id   string
	aead cipher.AEAD
}

// NewAESGCMSealer returns a Sealer for keys, newest first: Seal uses keys[0],
// Open accepts any of them. To rotate, put the new key first and keep the old
// ones until every stored value has been re-sealed (or is gone).
func NewAESGCMSealer(keys ...Key) (*AESGCMSealer, error) {
	return newAESGCMSealer(nil, keys...)
}

// newAESGCMSealer lets tests inject the nonce source.
func newAESGCMSealer(r io.Reader, keys ...Key) (*AESGCMSealer, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no keys", ErrSealerKey)
	}
	s := &AESGCMSealer{rand: r}
	seen := map[string]bool{}
	var zero [32]byte
	for _, k := range keys {
		switch {
		case len(k.ID) == 0 || len(k.ID) > 255:
			return nil, fmt.Errorf("%w: key id must be 1 to 255 bytes", ErrSealerKey)
		case seen[k.ID]:
			return nil, fmt.Errorf("%w: key id %q repeated", ErrSealerKey, k.ID)
		case subtle.ConstantTimeCompare(k.Secret[:], zero[:]) == 1:
			return nil, fmt.Errorf("%w: key %q is all zeros", ErrSealerKey, k.ID)
		}
		seen[k.ID] = true
		block, err := aes.NewCipher(k.Secret[:])
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSealerKey, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSealerKey, err)
		}
		s.keys = append(s.keys, sealerKey{id: k.ID, aead: aead})
	}
	return s, nil
}

// fullAD binds the key id to the caller's associated data.
func fullAD(keyID string, ad []byte) []byte {
	out := make([]byte, 0, 1+len(keyID)+len(ad))
	out = append(out, byte(len(keyID)))
	out = append(out, keyID...)
	return append(out, ad...)
}

// Seal encrypts plaintext under the newest key.
func (s *AESGCMSealer) Seal(plaintext, ad []byte) ([]byte, error) {
	k := s.keys[0]
	nonce, err := random.Bytes(s.rand, k.aead.NonceSize())
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 1+len(k.id)+len(nonce)+len(plaintext)+k.aead.Overhead())
	out = append(out, byte(len(k.id)))
	out = append(out, k.id...)
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, plaintext, fullAD(k.id, ad)), nil
}

// Open decrypts a value sealed under any configured key. It returns
// ErrSealedOpen for anything that does not authenticate.
func (s *AESGCMSealer) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) < 1 {
		return nil, ErrSealedOpen
	}
	n := int(sealed[0])
	if n == 0 || len(sealed) < 1+n {
		return nil, ErrSealedOpen
	}
	id := sealed[1 : 1+n]
	for _, k := range s.keys {
		if k.id != string(id) {
			continue
		}
		rest := sealed[1+n:]
		ns := k.aead.NonceSize()
		if len(rest) < ns+k.aead.Overhead() {
			return nil, ErrSealedOpen
		}
		// One allocation holds the full associated data and, after it,
		// the plaintext.
		ct := rest[ns:]
		buf := make([]byte, 0, 1+n+len(ad)+len(ct)-k.aead.Overhead())
		full := append(append(append(buf, byte(n)), id...), ad...)
		pt, err := k.aead.Open(full[len(full):], rest[:ns], ct, full)
		if err != nil {
			return nil, ErrSealedOpen
		}
		return pt, nil
	}
	return nil, ErrSealedOpen
}

// KeyID returns the id of the key a sealed value names, so a host can find
// values still sealed under an old key during a rotation.
func KeyID(sealed []byte) (string, bool) {
	if len(sealed) < 1 || sealed[0] == 0 || len(sealed) < 1+int(sealed[0]) {
		return "", false
	}
	return string(sealed[1 : 1+int(sealed[0])]), true
}
