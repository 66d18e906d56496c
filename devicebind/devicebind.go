package devicebind

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/internal/random"
)

// Defaults of Config.
const (
	// DefaultNonceTTL is how long an issued nonce stays usable. Dynamic's
	// SDK keeps a fetched pool for 24 hours.
	DefaultNonceTTL = 24 * time.Hour
	// MaxNoncesPerCall bounds Issue.
	MaxNoncesPerCall = 5
)

// The request headers that carry a proof.
const (
	HeaderNonce     = "x-dynamic-device-nonce"
	HeaderPublicKey = "x-dynamic-device-publickey"
	HeaderSignature = "x-dynamic-device-signed-nonce"
)

// Config configures a Service.
type Config struct {
	// Store keeps the issued nonces. Required.
	Store Store
	// NonceTTL is how long a nonce stays usable; 0 means DefaultNonceTTL.
	NonceTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of nonces; nil means crypto/rand. Only tests
	// should set it.
	Rand io.Reader
}

// Service issues nonces and verifies device proofs. It is safe for
// concurrent use.
type Service struct {
	store Store
	ttl   time.Duration
	now   func() time.Time
	rand  io.Reader
}

// New validates cfg and returns a Service.
// A nil Config.Store is an error wrapping ErrConfig: pass NewMemoryStore
// for one process.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: Store is required", ErrConfig)
	}
	if cfg.NonceTTL < 0 {
		return nil, fmt.Errorf("%w: NonceTTL must not be negative", ErrConfig)
	}
	if cfg.NonceTTL == 0 {
		cfg.NonceTTL = DefaultNonceTTL
	}
	return &Service{store: cfg.Store, ttl: cfg.NonceTTL, now: clock.Or(cfg.Now), rand: cfg.Rand}, nil
}

// nonceBytes is the entropy of a nonce: 256 bits.
const nonceBytes = 32

// Issue returns n new nonces, each usable once until the TTL ends. n must
// be 1 to MaxNoncesPerCall: a host clamps a client's count first, since
// any other n is a caller's bug (an untyped error, answered 500).
func (s *Service) Issue(ctx context.Context, n int) ([]string, error) {
	if n < 1 || n > MaxNoncesPerCall {
		return nil, fmt.Errorf("devicebind: Issue(%d): want 1 to %d nonces", n, MaxNoncesPerCall)
	}
	exp := s.now().Add(s.ttl)
	out := make([]string, 0, n)
	for range n {
		v, err := random.Token(s.rand, nonceBytes)
		if err != nil {
			return nil, err
		}
		if err := s.store.CreateNonce(ctx, digest(v), exp); err != nil {
			return nil, fmt.Errorf("devicebind: store: %w", err)
		}
		out = append(out, v)
	}
	return out, nil
}

func digest(nonce string) []byte {
	d := sha256.Sum256([]byte(nonce))
	return d[:]
}

// Proof is what a client sends to prove it holds a device key.
type Proof struct {
	// Nonce is an issued nonce, verbatim.
	Nonce string
	// PublicKey is the compressed SEC1 P-256 point in hex (66 characters).
	PublicKey string
	// Signature is raw r‖s (IEEE P1363, 64 bytes) in hex, over the UTF-8
	// bytes of Nonce with SHA-256.
	Signature string
}

// The headers in canonical form (TestCanonicalHeaderNames): Header.Get
// canonicalizes a lower-case name, an allocation on every request.
const (
	canonicalNonce     = "X-Dynamic-Device-Nonce"
	canonicalPublicKey = "X-Dynamic-Device-Publickey"
	canonicalSignature = "X-Dynamic-Device-Signed-Nonce"
)

// ProofFromHeaders reads a proof from the request headers. ok is false when
// none of the three headers is present; some but not all is ErrMalformed.
func ProofFromHeaders(h http.Header) (p Proof, ok bool, err error) {
	p = Proof{Nonce: h.Get(canonicalNonce), PublicKey: h.Get(canonicalPublicKey), Signature: h.Get(canonicalSignature)}
	switch {
	case p.Nonce == "" && p.PublicKey == "" && p.Signature == "":
		return Proof{}, false, nil
	case p.Nonce == "" || p.PublicKey == "" || p.Signature == "":
		return Proof{}, true, fmt.Errorf("%w: the device headers come in threes", ErrMalformed)
	}
	return p, true, nil
}

// Device is the device a request proved it runs on.
type Device struct {
	// PublicKey is the device key as lower-case compressed SEC1 hex: the
	// device's identity. Empty for an unknown device.
	PublicKey string
}

// Known reports whether the request proved a device key.
func (d Device) Known() bool { return d.PublicKey != "" }

// maxNonceLen bounds the nonce header; issued nonces are 43 characters.
const maxNonceLen = 128

// Verify checks p: the key is a P-256 point, the signature verifies over
// the nonce, and then the nonce is consumed (so a bad signature does not
// use it up). Errors: ErrMalformed, ErrBadSignature, ErrUnknownNonce (all
// ErrInvalidProof), or a store failure.
func (s *Service) Verify(ctx context.Context, p Proof) (Device, error) {
	if len(p.Nonce) == 0 || len(p.Nonce) > maxNonceLen {
		return Device{}, fmt.Errorf("%w: nonce length", ErrMalformed)
	}
	pub, key, err := parsePublicKey(p.PublicKey)
	if err != nil {
		return Device{}, err
	}
	r, sig, err := parseSignature(p.Signature)
	if err != nil {
		return Device{}, err
	}
	h := sha256.Sum256([]byte(p.Nonce))
	if !ecdsa.Verify(pub, h[:], r, sig) {
		return Device{}, ErrBadSignature
	}
	switch err := s.store.ConsumeNonce(ctx, digest(p.Nonce), s.now()); {
	case errors.Is(err, ErrNotFound):
		return Device{}, ErrUnknownNonce
	case err != nil:
		return Device{}, fmt.Errorf("devicebind: store: %w", err)
	}
	return Device{PublicKey: key}, nil
}

// VerifyRequest verifies the proof in r's headers: an unknown Device and
// no error when there is none.
func (s *Service) VerifyRequest(ctx context.Context, r *http.Request) (Device, error) {
	p, ok, err := ProofFromHeaders(r.Header)
	if err != nil || !ok {
		return Device{}, err
	}
	return s.Verify(ctx, p)
}

// parsePublicKey decodes a compressed SEC1 P-256 point (SEC 1 v2 §2.3.4).
func parsePublicKey(h string) (*ecdsa.PublicKey, string, error) {
	h = strings.ToLower(h)
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 33 || (b[0] != 2 && b[0] != 3) {
		return nil, "", fmt.Errorf("%w: public key is not a compressed P-256 point in hex", ErrMalformed)
	}
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), b)
	if x == nil {
		return nil, "", fmt.Errorf("%w: public key is not on P-256", ErrMalformed)
	}
	raw := make([]byte, 65)
	raw[0] = 4
	x.FillBytes(raw[1:33])
	y.FillBytes(raw[33:])
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		return nil, "", fmt.Errorf("%w: public key: %w", ErrMalformed, err)
	}
	return pub, h, nil
}

// parseSignature decodes raw r‖s (IEEE P1363) in hex. Range checks are
// left to ecdsa.Verify, which refuses r or s outside [1, n-1].
func parseSignature(h string) (r, s *big.Int, err error) {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 64 {
		return nil, nil, fmt.Errorf("%w: signature is not 64 bytes of r‖s in hex", ErrMalformed)
	}
	return new(big.Int).SetBytes(b[:32]), new(big.Int).SetBytes(b[32:]), nil
}
