package session

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

// The compact JWS (RFC 7515 §7.1) of our tokens, without golang-jwt's
// generic Token: the protected header of each key and kind is encoded once
// when the key is made, the claims are written by appendClaims, and
// golang-jwt's SigningMethod signs and verifies the signing input.

// headerFor returns the encoded protected header of a token of one kind
// signed by k, with the "." that follows it.
func (k *Key) headerFor(kind Kind) string { return k.headers[bits.TrailingZeros8(uint8(kind))] }

// encodeHeaders fills k.headers: {"alg","kid","typ"} in that order (the
// order encoding/json gives a map), base64url.
func (k *Key) encodeHeaders() {
	for i, typ := range [...]string{typFull, typMinified, typElevated} {
		h := `{"alg":"` + string(k.alg) + `","kid":"` + k.kid + `","typ":"` + typ + `"}`
		k.headers[i] = b64.EncodeToString([]byte(h)) + "."
	}
}

// payloadBufs holds claim-set buffers between tokens.
var payloadBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// sign produces the compact JWS of c as a token of the given kind. The
// token is its only allocation: the claims JSON is written in a pooled
// buffer and base64-encoded into the token's builder, whose first part is
// then the signing input handed to the signer without a copy.
func sign(key *Key, kind Kind, c *Claims) (string, error) {
	if key == nil || key.signer == nil {
		return "", errNoSigningKey
	}
	bp := payloadBufs.Get().(*[]byte)
	defer payloadBufs.Put(bp)
	payload, err := appendClaims((*bp)[:0], c)
	if err != nil {
		return "", fmt.Errorf("session: sign: %w", err)
	}
	*bp = payload[:0]
	hdr := key.headerFor(kind)
	var tok strings.Builder
	tok.Grow(len(hdr) + b64.EncodedLen(len(payload)) + 1 + b64.EncodedLen(key.signatureSize()))
	tok.WriteString(hdr)
	writeBase64(&tok, payload)
	// A Builder only appends, so this string stays valid as the token grows.
	input := tok.String()
	sig, err := key.signInput(input)
	if err != nil {
		return "", fmt.Errorf("session: sign: %w", err)
	}
	if key.alg == ES256 {
		lowS(sig)
	}
	tok.WriteByte('.')
	writeBase64(&tok, sig)
	return tok.String(), nil
}

// writeBase64 appends the unpadded base64url of p to w through a buffer on
// the stack, in chunks of whole 3-byte groups so that they join up.
func writeBase64(w *strings.Builder, p []byte) {
	var enc [1024]byte
	for len(p) > 0 {
		n := min(len(p), len(enc)/4*3)
		b64.Encode(enc[:], p[:n])
		w.Write(enc[:b64.EncodedLen(n)])
		p = p[n:]
	}
}

// signatureSize is the length of the key's JWS signatures (RFC 7518 §3.3,
// §3.4; RFC 8037 §3.1), for sizing the token.
func (k *Key) signatureSize() int {
	if p, ok := k.public.(*rsa.PublicKey); ok {
		return p.Size()
	}
	return 64 // ES256 r ‖ s, Ed25519
}

// signInput signs a JWS signing input. The standard library's keys go
// through golang-jwt's SigningMethod; any other crypto.Signer (a KMS or
// HSM client) through signDigest, which golang-jwt does not support for
// ECDSA and RSA.
func (k *Key) signInput(input string) ([]byte, error) {
	switch s := k.signer.(type) {
	case *ecdsa.PrivateKey, *rsa.PrivateKey, ed25519.PrivateKey:
		return k.method.Sign(input, s)
	}
	return signDigest(k, []byte(input))
}

// joseHeader is the part of a protected header Verify reads.
type joseHeader struct {
	alg, kid, typ string
	algIsString   bool
	crit          bool
}

// decodeHeader reads a protected header: a JSON object whose parameter
// names are unique (RFC 7515 §4). A non-string alg, kid or typ reads as
// absent; crit is noted whatever its value.
func decodeHeader(s string) (joseHeader, bool) {
	var h joseHeader
	var seen uint8
	d := jsonReader{s: s}
	ok := d.object(func(name string) bool {
		var bit uint8
		var p *string
		switch name {
		case "alg":
			bit, p = 1, &h.alg
		case "kid":
			bit, p = 2, &h.kid
		case "typ":
			bit, p = 4, &h.typ
		case "crit":
			bit, h.crit = 8, true
		}
		if bit != 0 {
			if seen&bit != 0 {
				return false
			}
			seen |= bit
		}
		if p != nil && d.peek() == '"' {
			v, ok := d.str()
			*p = v
			if bit == 1 {
				h.algIsString = true
			}
			return ok
		}
		return d.skip()
	})
	if d.space(); !ok || d.i != len(s) {
		return joseHeader{}, false
	}
	return h, true
}

// ourAlg reports whether alg is one of the algorithms keys here use.
func ourAlg(alg string) bool {
	return alg == string(ES256) || alg == string(EdDSA) || alg == string(RS256)
}

// parse checks a compact JWS token and returns its claims. The checks and
// the error each failure maps to keep the order they had when golang-jwt's
// Parser ran them: format and JSON, alg known, signature encoding, our
// header rules, the signature, then exp, nbf, iat and iss.
func (m *Manager) parse(token string, want Kind) (*Claims, error) {
	if len(token) > maxTokenSize {
		return nil, errTooLarge
	}
	if want == 0 || want&^allKinds != 0 {
		return nil, fmt.Errorf("%w: kind %d", ErrInvalidRequest, want)
	}
	dot1 := strings.IndexByte(token, '.')
	dot2 := dot1 + 1 + strings.IndexByte(token[dot1+1:], '.')
	if dot1 < 0 || dot2 <= dot1 || strings.IndexByte(token[dot2+1:], '.') >= 0 {
		return nil, fmt.Errorf("%w: not three segments", errMalformed)
	}
	strict := b64.Strict()
	var hbuf [256]byte
	hb := hbuf[:]
	if n := strict.DecodedLen(dot1); n > len(hb) {
		hb = make([]byte, n)
	}
	n, err := strict.Decode(hb, []byte(token[:dot1]))
	if err != nil {
		return nil, fmt.Errorf("%w: header encoding", errMalformed)
	}
	h, ok := decodeHeader(string(hb[:n]))
	if !ok {
		return nil, fmt.Errorf("%w: header", errMalformed)
	}
	// The payload and the signature are decoded into one pooled buffer:
	// the claims get one copy of the payload (their strings point into
	// it), and the signature is done with once parse returns.
	seg, sigSeg := token[dot1+1:dot2], token[dot2+1:]
	bp := payloadBufs.Get().(*[]byte)
	defer payloadBufs.Put(bp)
	size := strict.DecodedLen(len(seg)) + strict.DecodedLen(len(sigSeg))
	buf := slices.Grow((*bp)[:0], size)[:size]
	*bp = buf[:0]
	if n, err = strict.Decode(buf, []byte(seg)); err != nil {
		return nil, fmt.Errorf("%w: payload encoding", errMalformed)
	}
	c := new(Claims)
	if err := decodeClaims(string(buf[:n]), c); err != nil {
		return nil, fmt.Errorf("%w: %w", errMalformed, err)
	}
	if !h.algIsString || !ourAlg(h.alg) && jwt.GetSigningMethod(h.alg) == nil {
		return nil, fmt.Errorf("%w: alg missing or unknown", errAlgorithm)
	}
	sig := buf[n:]
	if n, err = strict.Decode(sig, []byte(sigSeg)); err != nil {
		return nil, fmt.Errorf("%w: signature encoding", errMalformed)
	}
	sig = sig[:n]
	key, err := m.checkHeader(h, sig, want, c)
	if err != nil {
		return nil, err
	}
	if key.method.Verify(token[:dot2], sig, key.public) != nil {
		return nil, errBadSignature
	}
	if err := m.checkTimes(c); err != nil {
		return nil, err
	}
	if len(c.Audience) == 0 {
		return nil, fmt.Errorf("%w: no aud", errAudience)
	}
	ok = false
	for _, a := range c.Audience {
		if _, ok = m.audiences[a]; ok {
			break
		}
	}
	if !ok {
		return nil, errAudience
	}
	if c.Subject == "" || c.SessionID == "" || c.ID == "" || c.IssuedAt.IsZero() {
		return nil, fmt.Errorf("%w: sub, sid, jti and iat are required", errMalformed)
	}
	if m.cfg.EnvironmentID != "" && c.EnvironmentID != m.cfg.EnvironmentID {
		return nil, fmt.Errorf("%w: other environment", errIssuer)
	}
	if c.Kind == KindElevated && c.Scope == "" {
		return nil, fmt.Errorf("%w: elevated token without scope", errMalformed)
	}
	return c, nil
}

// checkHeader applies our header rules before the signature is checked,
// and records the token kind in c.
func (m *Manager) checkHeader(h joseHeader, sig []byte, want Kind, c *Claims) (*Key, error) {
	if h.crit {
		// RFC 7515 §4.1.11: we understand no extension, so any crit fails.
		return nil, fmt.Errorf("%w: crit header", errMalformed)
	}
	if !ourAlg(h.alg) {
		return nil, fmt.Errorf("%w: %q", errAlgorithm, h.alg)
	}
	k := kindOfTyp(h.typ)
	if k == 0 || k&want == 0 {
		return nil, errWrongKind
	}
	c.Kind = k
	if !validKID(h.kid) {
		return nil, errUnknownKey
	}
	key, ok := m.cfg.Keys.Lookup(h.kid, m.now())
	if !ok {
		return nil, errUnknownKey
	}
	if h.alg != string(key.alg) {
		// The key decides the algorithm (RFC 8725 §3.1): this is where an
		// HS256 token "signed" with a public key ends.
		return nil, fmt.Errorf("%w: %s token for a %s key", errAlgorithm, h.alg, key.alg)
	}
	if key.alg == ES256 && highS(sig) {
		// Mint signs in low-S form only; the high-S twin of a token is a
		// second encoding of it, refused before the curve arithmetic.
		return nil, fmt.Errorf("%w: %w", errBadSignature, errHighS)
	}
	return key, nil
}

// checkTimes applies exp (required), nbf and iat with the leeway (RFC 7519
// §4.1.4–4.1.6), and iss (required). When several fail, the error is the
// first of expired, not yet valid, wrong issuer, missing claim.
func (m *Manager) checkTimes(c *Claims) error {
	now, leeway := m.now(), m.cfg.Leeway
	switch {
	case !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt.Add(leeway)):
		return ErrExpired
	case !c.NotBefore.IsZero() && now.Before(c.NotBefore.Add(-leeway)),
		!c.IssuedAt.IsZero() && now.Before(c.IssuedAt.Add(-leeway)):
		return errNotYetValid
	case c.Issuer != "" && c.Issuer != m.cfg.Issuer:
		return errIssuer
	case c.ExpiresAt.IsZero(), c.Issuer == "":
		return fmt.Errorf("%w: exp and iss are required", errMalformed)
	}
	return nil
}
