package passkey

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/internal/random"
)

// Errors of the Service's ceremonies, besides the Store errors
// ErrTooManyPasskeys, ErrCeremonyMismatch, ErrSignCount and
// ErrLastCredential, which it returns unchanged.
var (
	// ErrInvalidUser: an empty user id, or one longer than MaxUserIDLen.
	ErrInvalidUser = errors.New("passkey: invalid user id")
	// ErrUnknownRPID: options were asked for an RP ID that is not
	// configured.
	ErrUnknownRPID = errors.New("passkey: unknown RP ID")
	// ErrInvalidResponse: the client's response is not a well-formed
	// WebAuthn response.
	ErrInvalidResponse = errors.New("passkey: malformed response")
	// ErrChallenge: the response answers no live challenge: unknown,
	// expired or already used.
	ErrChallenge = errors.New("passkey: unknown, expired or used challenge")
	// ErrVerification: the response failed a WebAuthn check (origin, RP
	// ID, ceremony type, flags, signature, attestation; WebAuthn Level 3
	// §7.1, §7.2). The go-webauthn error is wrapped too.
	ErrVerification = errors.New("passkey: verification failed")
	// ErrCredentialNotFound: no such passkey, or it belongs to another user.
	ErrCredentialNotFound = errors.New("passkey: passkey not found")
	// ErrCredentialExists: the authenticator's credential is already
	// registered.
	ErrCredentialExists = errors.New("passkey: credential already registered")
	// ErrNoPasskeys: an MFA ceremony was asked for a user without passkeys.
	ErrNoPasskeys = errors.New("passkey: user has no passkeys")
	// ErrInvalidAlias: an alias longer than MaxAliasLen or not valid UTF-8.
	ErrInvalidAlias = errors.New("passkey: invalid alias")
)

// challengeSize is the challenge length in bytes (WebAuthn Level 3 §13.4.3
// asks for at least 16).
const challengeSize = 32

// credParams are the key algorithms offered, in order of preference: ES256
// (every platform authenticator), EdDSA, RS256 (Windows Hello).
var credParams = []protocol.CredentialParameter{
	{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgES256},
	{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgEdDSA},
	{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgRS256},
}

// registrationExtensions are the extensions registration asks for; the
// finish step must know them to accept their outputs.
var registrationExtensions = protocol.SessionExtensions{Requested: []string{"credProps"}}

// Service runs WebAuthn registration and authentication ceremonies on top of
// a Store. It is safe for concurrent use; all state lives in the Store.
type Service struct {
	store    Store
	accounts Accounts
	name     string
	primary  string
	rps      map[string]*webauthn.WebAuthn // by RP ID
	origins  map[string][]string           // by RP ID
	max      int
	ttl      time.Duration
	uv       string
	now      func() time.Time
	rand     io.Reader
	log      *slog.Logger
}

// New validates cfg and returns a Service.
// A nil Config.Store is an error wrapping ErrConfig: pass NewMemoryStore
// for one process.
func New(cfg Config) (*Service, error) {
	bad := func(msg string) (*Service, error) { return nil, fmt.Errorf("%w: %s", ErrConfig, msg) }
	if cfg.Store == nil {
		return bad("Store is required")
	}
	if cfg.Name == "" || len(cfg.Name) > 255 {
		return bad("Name is required (at most 255 bytes)")
	}
	s := &Service{
		store: cfg.Store, accounts: cfg.Accounts, name: cfg.Name, primary: cfg.RP.ID,
		rps: map[string]*webauthn.WebAuthn{}, origins: map[string][]string{},
		max: cfg.MaxPasskeys, ttl: cfg.ChallengeTTL, uv: cfg.UserVerification,
		now: clock.Or(cfg.Now), rand: cfg.Rand, log: cfg.Logger,
	}
	switch {
	case s.max == 0:
		s.max = DefaultMaxPasskeys
	case s.max < 0:
		return bad("MaxPasskeys must not be negative")
	}
	switch {
	case s.ttl == 0:
		s.ttl = DefaultChallengeTTL
	case s.ttl < 10*time.Second || s.ttl > 10*time.Minute:
		return bad("ChallengeTTL must be between 10 s and 10 min")
	}
	switch s.uv {
	case "":
		s.uv = UVPreferred
	case UVRequired, UVPreferred, UVDiscouraged:
	default:
		return bad(`UserVerification must be "required", "preferred" or "discouraged"`)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for i, rp := range append([]RelyingParty{cfg.RP}, cfg.Related...) {
		if err := validateRP(rp); err != nil {
			return nil, err
		}
		if _, dup := s.rps[rp.ID]; dup {
			return bad(fmt.Sprintf("RP ID %q configured twice (entry %d)", rp.ID, i))
		}
		wa, err := webauthn.New(&webauthn.Config{
			RPID:          rp.ID,
			RPDisplayName: cfg.Name,
			RPOrigins:     slices.Clone(rp.Origins),
		})
		if err != nil {
			return nil, fmt.Errorf("%w: RP ID %q: %v", ErrConfig, rp.ID, err)
		}
		s.rps[rp.ID] = wa
		s.origins[rp.ID] = slices.Clone(rp.Origins)
	}
	return s, nil
}

// RPID returns the primary RP ID.
func (s *Service) RPID() string { return s.primary }

// RelatedOrigins returns the Related Origin Requests document for rpID
// (WebAuthn Level 3 §5.11.1), to serve at
// https://<rpID>/.well-known/webauthn with Content-Type application/json;
// ErrUnknownRPID for an RP ID that is not configured.
func (s *Service) RelatedOrigins(rpID string) ([]byte, error) {
	o, ok := s.origins[rpID]
	if !ok {
		return nil, ErrUnknownRPID
	}
	return json.Marshal(struct {
		Origins []string `json:"origins"`
	}{o})
}

// rpFor resolves the RP ID of a ceremony ("" = the primary one).
func (s *Service) rpFor(rpID string) (string, error) {
	if rpID == "" {
		return s.primary, nil
	}
	if _, ok := s.rps[rpID]; !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownRPID, rpID)
	}
	return rpID, nil
}

func validUser(userID string) error {
	if userID == "" || len(userID) > MaxUserIDLen {
		return ErrInvalidUser
	}
	return nil
}

// b64 is the base64url (no padding) encoding used throughout WebAuthn JSON.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func digestOf(challenge []byte) []byte {
	sum := sha256.Sum256(challenge)
	return sum[:]
}

// newChallenge stores a fresh challenge bound to ceremony, user and session
// and returns it base64url-encoded.
func (s *Service) newChallenge(ctx context.Context, ceremony Ceremony, userID, sessionID, rpID string) (string, error) {
	raw, err := random.Bytes(s.rand, challengeSize)
	if err != nil {
		return "", err
	}
	now := s.now()
	rec := ChallengeRecord{
		Digest: digestOf(raw), Ceremony: ceremony, UserID: userID, SessionID: sessionID,
		RPID: rpID, UserVerification: s.uv, CreatedAt: now, ExpiresAt: now.Add(s.ttl),
	}
	if err := s.store.CreateChallenge(ctx, rec); err != nil {
		return "", err
	}
	return b64(raw), nil
}

// consume takes the challenge a response answers (its clientDataJSON
// challenge), bound as given, and returns it with the challenge as the
// options carried it, which go-webauthn then compares with the client's
// value byte for byte.
func (s *Service) consume(ctx context.Context, clientChallenge string, ceremony Ceremony, userID, sessionID string) (ChallengeRecord, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(clientChallenge)
	if err != nil || len(raw) != challengeSize {
		return ChallengeRecord{}, "", ErrChallenge
	}
	rec, err := s.store.ConsumeChallenge(ctx, digestOf(raw), ceremony, userID, sessionID, s.now())
	if errors.Is(err, ErrNotFound) {
		return ChallengeRecord{}, "", ErrChallenge
	}
	return rec, b64(raw), err
}

// sessionData rebuilds go-webauthn's ceremony state from a consumed
// challenge.
func sessionData(rec ChallengeRecord, challenge string, userHandle []byte) webauthn.SessionData {
	return webauthn.SessionData{
		Challenge:        challenge,
		RelyingPartyID:   rec.RPID,
		UserID:           userHandle,
		UserVerification: protocol.UserVerificationRequirement(rec.UserVerification),
		CredParams:       credParams,
	}
}

// timeoutMS is the options' timeout.
func (s *Service) timeoutMS() int64 { return s.ttl.Milliseconds() }

// waUser adapts a user and credentials to go-webauthn's User.
type waUser struct {
	handle []byte
	name   string
	creds  []webauthn.Credential
}

func (u waUser) WebAuthnID() []byte                         { return u.handle }
func (u waUser) WebAuthnName() string                       { return u.name }
func (u waUser) WebAuthnDisplayName() string                { return u.name }
func (u waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// userHandle is the WebAuthn user handle of a user: the user id's bytes.
// Ids are opaque random values (no personal data, as WebAuthn Level 3
// §14.6.1 asks), and this makes the handle a discoverable credential
// returns name its user directly.
func userHandle(userID string) []byte { return []byte(userID) }

// verificationError wraps a go-webauthn failure.
func verificationError(err error) error {
	return fmt.Errorf("%w: %w", ErrVerification, err)
}
