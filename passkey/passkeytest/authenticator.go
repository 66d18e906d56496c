package passkeytest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"sync"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Algorithm is a COSE algorithm identifier (RFC 9053) the Authenticator
// can create keys for.
type Algorithm int64

// Supported algorithms.
const (
	ES256 Algorithm = -7   // ECDSA P-256 with SHA-256
	EdDSA Algorithm = -8   // Ed25519
	RS256 Algorithm = -257 // RSASSA-PKCS1-v1_5 with SHA-256 (2048-bit keys)
)

// ErrExcluded is returned by Register when the options' excludeCredentials
// names a credential the Authenticator holds, as a browser refuses with
// InvalidStateError (WebAuthn Level 3 §6.3.2 step 3).
var ErrExcluded = errors.New("passkeytest: authenticator already holds an excluded credential")

// ErrNoCredential is returned by Assert when the Authenticator holds no
// credential the options allow.
var ErrNoCredential = errors.New("passkeytest: no matching credential")

// Authenticator is a software WebAuthn authenticator and client in one: it
// takes the options JSON a server sends, and returns the response JSON a
// browser would post back, with attestation "none" and real signatures.
// Hosts use it to test their passkey handlers with no browser. It is safe
// for concurrent use.
type Authenticator struct {
	// Origin is the origin the client data names, e.g.
	// "https://app.example.com".
	Origin string
	// Alg is the key algorithm of new credentials; 0 means ES256.
	Alg Algorithm
	// Counterless makes new credentials keep their signature counter at 0,
	// as most platform passkeys do.
	Counterless bool
	// BackupEligible sets the BE and BS flags (a synced passkey).
	BackupEligible bool
	// NoUserVerification clears the UV flag: the authenticator proves
	// presence only, as a security key without a PIN does.
	NoUserVerification bool

	mu    sync.Mutex
	creds []*Credential
}

// Credential is a credential held by an Authenticator.
type Credential struct {
	ID         []byte // credential id (16 random bytes)
	RPID       string
	UserHandle []byte
	Alg        Algorithm

	mu          sync.Mutex
	signCount   uint32
	counterless bool
	backup      bool
	uv          bool
	key         crypto.Signer
}

// SignCount returns the counter the last signature carried.
func (c *Credential) SignCount() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.signCount
}

// SetSignCount sets the counter; the next assertion carries n+1 (or 0 for
// a counterless credential). Tests use it to make a counter go backwards.
func (c *Credential) SetSignCount(n uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.signCount = n
}

// Credentials returns the credentials the Authenticator holds, oldest first.
func (a *Authenticator) Credentials() []*Credential {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.creds)
}

// Option changes one ceremony, to produce the responses of a misbehaving
// client or authenticator. Make one with the With… functions; the zero
// Option changes nothing.
type Option struct{ apply func(*ceremony) }

type ceremony struct {
	origin      string
	rpID        string
	challenge   *string
	typ         string
	cred        *Credential
	signCount   *uint32
	userHandle  []byte
	noHandle    bool
	clientField string
	badSig      bool
}

// WithOrigin makes the client data name origin instead of the
// Authenticator's Origin.
func WithOrigin(origin string) Option { return Option{func(c *ceremony) { c.origin = origin }} }

// WithRPID makes the authenticator scope the credential (or the assertion)
// to rpID instead of the options' RP ID.
func WithRPID(rpID string) Option { return Option{func(c *ceremony) { c.rpID = rpID }} }

// WithChallenge makes the client data carry challenge (base64url) instead
// of the options' challenge.
func WithChallenge(challenge string) Option {
	return Option{func(c *ceremony) { c.challenge = &challenge }}
}

// WithType makes the client data carry type t (e.g. "webauthn.create" in an
// assertion).
func WithType(t string) Option { return Option{func(c *ceremony) { c.typ = t }} }

// WithCredential makes Assert sign with cred, whatever the options allow.
func WithCredential(cred *Credential) Option { return Option{func(c *ceremony) { c.cred = cred }} }

// WithSignCount makes the assertion carry counter n (the credential's
// counter is set to n).
func WithSignCount(n uint32) Option { return Option{func(c *ceremony) { c.signCount = &n }} }

// WithUserHandle makes the assertion carry userHandle h (nil: none).
func WithUserHandle(h []byte) Option {
	return Option{func(c *ceremony) { c.userHandle, c.noHandle = h, h == nil }}
}

// WithClientDataField names the client data member of the response
// (default "clientDataJSON"); Dynamic's SDK sends "clientDataJson".
func WithClientDataField(name string) Option {
	return Option{func(c *ceremony) { c.clientField = name }}
}

// WithBadSignature corrupts the signature.
func WithBadSignature() Option { return Option{func(c *ceremony) { c.badSig = true }} }

// creationOptions is the part of PublicKeyCredentialCreationOptionsJSON the
// Authenticator reads.
type creationOptions struct {
	RP struct {
		ID string `json:"id"`
	} `json:"rp"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	Challenge        string `json:"challenge"`
	PubKeyCredParams []struct {
		Alg int64 `json:"alg"`
	} `json:"pubKeyCredParams"`
	ExcludeCredentials []struct {
		ID string `json:"id"`
	} `json:"excludeCredentials"`
	Extensions struct {
		CredProps bool `json:"credProps"`
	} `json:"extensions"`
}

// requestOptions is the part of PublicKeyCredentialRequestOptionsJSON the
// Authenticator reads.
type requestOptions struct {
	Challenge        string `json:"challenge"`
	RPID             string `json:"rpId"`
	AllowCredentials []struct {
		ID string `json:"id"`
	} `json:"allowCredentials"`
}

// unwrap accepts options either bare or under "publicKey" (the
// CredentialCreationOptions form).
func unwrap(options []byte) []byte {
	var w struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if json.Unmarshal(options, &w) == nil && len(w.PublicKey) > 0 {
		return w.PublicKey
	}
	return options
}

var b64 = base64.RawURLEncoding

// Register creates a credential for the creation options JSON (as a
// server sends it) and returns the registration response JSON
// (RegistrationResponseJSON) and the new credential.
func (a *Authenticator) Register(options []byte, opts ...Option) ([]byte, *Credential, error) {
	var o creationOptions
	if err := json.Unmarshal(unwrap(options), &o); err != nil {
		return nil, nil, fmt.Errorf("passkeytest: creation options: %w", err)
	}
	c := a.ceremony("webauthn.create", o.Challenge, o.RP.ID, opts)
	alg := a.Alg
	if alg == 0 {
		alg = ES256
	}
	if !slices.ContainsFunc(o.PubKeyCredParams, func(p struct {
		Alg int64 `json:"alg"`
	}) bool {
		return p.Alg == int64(alg)
	}) {
		return nil, nil, fmt.Errorf("passkeytest: options do not offer algorithm %d", alg)
	}
	handle, err := b64.DecodeString(o.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("passkeytest: user.id: %w", err)
	}
	a.mu.Lock()
	for _, ex := range o.ExcludeCredentials {
		for _, have := range a.creds {
			if ex.ID == b64.EncodeToString(have.ID) {
				a.mu.Unlock()
				return nil, nil, ErrExcluded
			}
		}
	}
	a.mu.Unlock()
	cred, err := newCredential(alg, c.rpID, handle, a.Counterless, a.BackupEligible, !a.NoUserVerification)
	if err != nil {
		return nil, nil, err
	}
	cose, err := cred.coseKey()
	if err != nil {
		return nil, nil, err
	}
	clientData, err := c.clientData()
	if err != nil {
		return nil, nil, err
	}
	// Attested credential data (WebAuthn Level 3 §6.5.2): AAGUID (zero for
	// attestation "none"), credential id length and id, COSE public key.
	att := make([]byte, 16, 16+2+len(cred.ID)+len(cose))
	att = binary.BigEndian.AppendUint16(att, uint16(len(cred.ID)))
	att = append(att, cred.ID...)
	att = append(att, cose...)
	authData := cred.authData(c.rpID, 0x40, 0, att)
	attObj, err := webauthncbor.Marshal(struct {
		Fmt      string         `cbor:"fmt"`
		AttStmt  map[string]any `cbor:"attStmt"`
		AuthData []byte         `cbor:"authData"`
	}{"none", map[string]any{}, authData})
	if err != nil {
		return nil, nil, err
	}
	ext := map[string]any{}
	if o.Extensions.CredProps {
		ext["credProps"] = map[string]bool{"rk": true}
	}
	resp, err := json.Marshal(map[string]any{
		"id":    b64.EncodeToString(cred.ID),
		"rawId": b64.EncodeToString(cred.ID),
		"type":  "public-key",
		"response": map[string]any{
			c.clientField:       b64.EncodeToString(clientData),
			"attestationObject": b64.EncodeToString(attObj),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults":  ext,
		"authenticatorAttachment": "platform",
	})
	if err != nil {
		return nil, nil, err
	}
	a.mu.Lock()
	a.creds = append(a.creds, cred)
	a.mu.Unlock()
	return resp, cred, nil
}

// Assert signs the request options JSON (as a server sends it) with a
// matching credential (the first allowed one, or for empty
// allowCredentials the first one for the RP ID) and returns the
// authentication response JSON (AuthenticationResponseJSON). Each
// assertion advances the credential's counter by one unless it is
// counterless.
func (a *Authenticator) Assert(options []byte, opts ...Option) ([]byte, error) {
	var o requestOptions
	if err := json.Unmarshal(unwrap(options), &o); err != nil {
		return nil, fmt.Errorf("passkeytest: request options: %w", err)
	}
	rpID := o.RPID
	if rpID == "" {
		if u, err := url.Parse(a.Origin); err == nil {
			rpID = u.Hostname()
		}
	}
	c := a.ceremony("webauthn.get", o.Challenge, rpID, opts)
	cred := c.cred
	if cred == nil {
		cred = a.find(o, rpID)
		if cred == nil {
			return nil, ErrNoCredential
		}
	}
	clientData, err := c.clientData()
	if err != nil {
		return nil, err
	}
	cred.mu.Lock()
	switch {
	case c.signCount != nil:
		cred.signCount = *c.signCount
	case !cred.counterless:
		cred.signCount++
	}
	count := cred.signCount
	cred.mu.Unlock()
	authData := cred.authData(c.rpID, 0, count, nil)
	sum := sha256.Sum256(clientData)
	sig, err := cred.sign(append(slices.Clone(authData), sum[:]...))
	if err != nil {
		return nil, err
	}
	if c.badSig {
		sig[len(sig)/2] ^= 0x01
	}
	response := map[string]any{
		c.clientField:       b64.EncodeToString(clientData),
		"authenticatorData": b64.EncodeToString(authData),
		"signature":         b64.EncodeToString(sig),
	}
	switch {
	case c.userHandle != nil:
		response["userHandle"] = b64.EncodeToString(c.userHandle)
	case !c.noHandle:
		response["userHandle"] = b64.EncodeToString(cred.UserHandle)
	}
	return json.Marshal(map[string]any{
		"id":                      b64.EncodeToString(cred.ID),
		"rawId":                   b64.EncodeToString(cred.ID),
		"type":                    "public-key",
		"response":                response,
		"clientExtensionResults":  map[string]any{},
		"authenticatorAttachment": "platform",
	})
}

func (a *Authenticator) find(o requestOptions, rpID string) *Credential {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(o.AllowCredentials) > 0 {
		for _, al := range o.AllowCredentials {
			for _, c := range a.creds {
				if al.ID == b64.EncodeToString(c.ID) {
					return c
				}
			}
		}
		return nil
	}
	for _, c := range a.creds {
		if c.RPID == rpID {
			return c
		}
	}
	return nil
}

func (a *Authenticator) ceremony(typ, challenge, rpID string, opts []Option) *ceremony {
	c := &ceremony{origin: a.Origin, rpID: rpID, challenge: &challenge, typ: typ, clientField: "clientDataJSON"}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(c)
		}
	}
	return c
}

// clientData is the collected client data (WebAuthn Level 3 §5.8.1).
func (c *ceremony) clientData() ([]byte, error) {
	return json.Marshal(struct {
		Type        string `json:"type"`
		Challenge   string `json:"challenge"`
		Origin      string `json:"origin"`
		CrossOrigin bool   `json:"crossOrigin"`
	}{c.typ, *c.challenge, c.origin, false})
}

func newCredential(alg Algorithm, rpID string, handle []byte, counterless, backup, uv bool) (*Credential, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	c := &Credential{ID: id, RPID: rpID, UserHandle: handle, Alg: alg, counterless: counterless, backup: backup, uv: uv}
	var err error
	switch alg {
	case ES256:
		c.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, c.key, err = ed25519.GenerateKey(rand.Reader)
	case RS256:
		c.key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return nil, fmt.Errorf("passkeytest: unsupported algorithm %d", alg)
	}
	return c, err
}

// authData builds authenticator data (WebAuthn Level 3 §6.1): RP ID hash,
// flags (UP always, UV unless switched off, extra as given, BE/BS for a
// backed-up credential), counter, attested data.
func (c *Credential) authData(rpID string, extra byte, count uint32, attested []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	flags := byte(0x01) | extra
	if c.uv {
		flags |= 0x04
	}
	if c.backup {
		flags |= 0x08 | 0x10
	}
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, count)
	return append(out, attested...)
}

// coseKey encodes the public key as a COSE_Key (RFC 9052 §7).
func (c *Credential) coseKey() ([]byte, error) {
	switch k := c.key.(type) {
	case *ecdsa.PrivateKey:
		pub, err := k.PublicKey.ECDH()
		if err != nil {
			return nil, err
		}
		raw := pub.Bytes() // 0x04 || X || Y
		return webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
			PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(ES256)},
			Curve:         int64(webauthncose.P256), XCoord: raw[1:33], YCoord: raw[33:],
		})
	case ed25519.PrivateKey:
		return webauthncbor.Marshal(webauthncose.OKPPublicKeyData{
			PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.OctetKey), Algorithm: int64(EdDSA)},
			Curve:         int64(webauthncose.Ed25519), XCoord: []byte(k.Public().(ed25519.PublicKey)),
		})
	case *rsa.PrivateKey:
		return webauthncbor.Marshal(webauthncose.RSAPublicKeyData{
			PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.RSAKey), Algorithm: int64(RS256)},
			Modulus:       k.N.Bytes(), Exponent: big.NewInt(int64(k.E)).Bytes(),
		})
	}
	return nil, errors.New("passkeytest: unknown key type")
}

// sign signs data as the credential's algorithm prescribes (WebAuthn Level 3
// §6.5.6): ECDSA as ASN.1 DER over SHA-256, Ed25519 over the data itself,
// PKCS #1 v1.5 over SHA-256.
func (c *Credential) sign(data []byte) ([]byte, error) {
	switch k := c.key.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(k, data), nil
	default:
		sum := sha256.Sum256(data)
		return c.key.Sign(rand.Reader, sum[:], crypto.SHA256)
	}
}

// Equal reports whether id is c's credential id.
func (c *Credential) Equal(id []byte) bool { return bytes.Equal(c.ID, id) }
