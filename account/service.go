package account

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/internal/random"
	"github.com/authkit/authkit/verification"
)

// DefaultMaxMetadata is the default limit on a user's metadata, in bytes.
const DefaultMaxMetadata = 4096

// Config configures a Service. Store is required; every other zero value
// means the documented default.
type Config struct {
	// Store keeps the users. Required: NewMemoryStore for one process,
	// store/postgres or store/redis for several, or the host's own.
	Store Store
	// EnvironmentID is the ProjectEnvironmentID given to new users.
	EnvironmentID string
	// Formats adds key functions for credential formats beyond phoneNumber,
	// email and oauth (a passkey, a wallet); it cannot replace those three.
	// A credential of a format with no key function is ErrInvalidCredential.
	Formats map[authkit.CredentialFormat]KeyFunc
	// OnDelete are run by Delete, in order, before and again after the user
	// is removed. Wire at least the session revocation (RevokeSessions) so
	// that the user's tokens stop working at once, the MFA purge
	// (DeleteMFA), and the user's passkeys (DeletePasskeys), which would
	// otherwise outlive the user. Delete refuses with ErrNoPurgers when
	// empty.
	OnDelete []Purger
	// OnResetMFA are run by ResetMFA, in order: typically RevokeSessions then
	// DeleteMFA (a session minted in between is MFA-pending, and can do
	// nothing once the factors are gone). ResetMFA refuses with ErrNoPurgers
	// when empty.
	OnResetMFA []Purger
	// MaxMetadata bounds Profile.Metadata in bytes; 0 = DefaultMaxMetadata.
	MaxMetadata int
	// Now is the clock; nil = time.Now. Times are kept to the millisecond.
	Now func() time.Time
	// Rand is the source of user and credential ids; nil = crypto/rand.
	// The ids are random UUIDs (36 bytes), so a user id fits a WebAuthn
	// user handle (passkey.MaxUserIDLen).
	Rand io.Reader
}

// Service finds, creates and changes users by their verified credentials.
// It validates every input before calling the store; the store makes each
// operation atomic. A Service is safe for concurrent use.
type Service struct {
	cfg     Config
	now     func() time.Time
	formats map[authkit.CredentialFormat]KeyFunc
}

// New validates cfg and returns a Service.
// A nil Config.Store is an error wrapping ErrConfig: pass NewMemoryStore
// for one process.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: Store is required", ErrConfig)
	}
	if cfg.MaxMetadata < 0 {
		return nil, fmt.Errorf("%w: negative MaxMetadata", ErrConfig)
	}
	if cfg.MaxMetadata == 0 {
		cfg.MaxMetadata = DefaultMaxMetadata
	}
	if cfg.EnvironmentID != "" && !isPrintable(cfg.EnvironmentID, MaxIDLen) {
		return nil, fmt.Errorf("%w: EnvironmentID", ErrConfig)
	}
	for i, p := range append(append([]Purger(nil), cfg.OnDelete...), cfg.OnResetMFA...) {
		if p == nil {
			return nil, fmt.Errorf("%w: purger %d is nil", ErrConfig, i)
		}
	}
	formats := map[authkit.CredentialFormat]KeyFunc{}
	for f, fn := range cfg.Formats {
		if _, ok := builtinFormats[f]; ok {
			return nil, fmt.Errorf("%w: format %q is built in", ErrConfig, f)
		}
		if fn == nil || f == "" || strings.Contains(string(f), ":") {
			return nil, fmt.Errorf("%w: format %q", ErrConfig, f)
		}
		formats[f] = fn
	}
	for f, fn := range builtinFormats {
		formats[f] = fn
	}
	return &Service{cfg: cfg, now: clock.Or(cfg.Now), formats: formats}, nil
}

// Key returns the canonical form and key of c as this Service computes
// them (Key, plus Config.Formats).
func (s *Service) Key(c authkit.VerifiedCredential) (authkit.VerifiedCredential, string, error) {
	return keyWith(s.formats, c)
}

// credential builds the stored form of a presented credential.
func (s *Service) credential(c authkit.VerifiedCredential) (Credential, error) {
	canonical, key, err := s.Key(c)
	if err != nil {
		return Credential{}, err
	}
	return s.stored(canonical, key)
}

// stored is a keyed credential with a new id and without the fields the
// store keeps per user rather than as presented.
func (s *Service) stored(canonical authkit.VerifiedCredential, key string) (Credential, error) {
	id, err := random.UUID(s.cfg.Rand)
	if err != nil {
		return Credential{}, err
	}
	canonical.ID = id
	canonical.LastSelectedAt = nil
	canonical.OAuthMetadata = nil
	canonical.PreviousUsers = nil
	return Credential{Key: key, VerifiedCredential: canonical}, nil
}

// provenCredential builds the stored form of a proven credential. A
// canonical proof's fields are what phoneKey or emailKey would return for
// them (the same parser or normalizer made them when the code was sent),
// so they are used as they are; any other proof goes through Key.
func (s *Service) provenCredential(p verification.Proof) (Credential, error) {
	c := p.Credential()
	if !p.Canonical() {
		return s.credential(c)
	}
	var out authkit.VerifiedCredential
	switch c.Format {
	case authkit.FormatPhoneNumber:
		out = phoneCredential(c.PhoneCountryCode, c.PhoneNumber, c.IsoCountryCode, c.PublicIdentifier)
	case authkit.FormatEmail:
		out = emailCredential(c.Email)
	default:
		return s.credential(c)
	}
	key, err := formatKey(c.Format, out.PublicIdentifier)
	if err != nil {
		return Credential{}, err
	}
	return s.stored(out, key)
}

// stamp is now at the millisecond precision of the API's timestamps.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// FindOrCreate signs in with a verified credential: it returns the user
// that holds it, or creates one holding it (created = true, and NewUser set
// on the returned user). Either way the visit is recorded. Of N concurrent
// first sign-ins with one credential exactly one creates the user.
//
// A credential whose key function leaves SignInEnabled false (a wallet
// kept for display) is ErrInvalidCredential here: Link it instead.
//
// c must have been verified by the caller (a code checked, an OAuth
// callback completed): this is the step where an unverified credential
// would become an account takeover.
func (s *Service) FindOrCreate(ctx context.Context, c authkit.VerifiedCredential) (u authkit.User, created bool, err error) {
	cred, err := s.credential(c)
	if err != nil {
		return authkit.User{}, false, err
	}
	return s.findOrCreate(ctx, cred)
}

// FindOrCreateProven is [Service.FindOrCreate] for a credential proven by
// a one-time code. When the proof is canonical (its destination was
// validated when the code was sent) the credential is keyed as it is,
// without parsing the phone number or normalizing the address a second
// time; otherwise it is validated as FindOrCreate does.
func (s *Service) FindOrCreateProven(ctx context.Context, p verification.Proof) (u authkit.User, created bool, err error) {
	cred, err := s.provenCredential(p)
	if err != nil {
		return authkit.User{}, false, err
	}
	return s.findOrCreate(ctx, cred)
}

// findOrCreate is FindOrCreate after the credential is built.
func (s *Service) findOrCreate(ctx context.Context, cred Credential) (u authkit.User, created bool, err error) {
	if !cred.SignInEnabled {
		// It would sign a user in with what cannot sign in, or create
		// one with no way back in.
		return authkit.User{}, false, fmt.Errorf("%w: format %q cannot sign in", ErrInvalidCredential, cred.Format)
	}
	uid, err := random.UUID(s.cfg.Rand)
	if err != nil {
		return authkit.User{}, false, err
	}
	now := s.stamp()
	nu := authkit.User{ID: uid, ProjectEnvironmentID: s.cfg.EnvironmentID, FirstVisit: &now, LastVisit: &now}
	u, created, err = s.cfg.Store.FindOrCreate(ctx, nu, cred, now)
	if err != nil {
		return authkit.User{}, false, err
	}
	u = derive(u)
	u.NewUser = &created
	return u, created, nil
}

// Link attaches a verified credential to the user. ErrCredentialTaken
// when another user holds it (nothing changes: credentials are never moved
// between users here), ErrNotFound for an unknown user. Linking one the
// user already holds refreshes it.
func (s *Service) Link(ctx context.Context, userID string, c authkit.VerifiedCredential) (authkit.User, error) {
	if !ValidID(userID) {
		return authkit.User{}, ErrInvalidID
	}
	cred, err := s.credential(c)
	if err != nil {
		return authkit.User{}, err
	}
	u, err := s.cfg.Store.Link(ctx, userID, cred, s.stamp())
	if err != nil {
		return authkit.User{}, err
	}
	return derive(u), nil
}

// Unlink removes a credential from the user. ErrLastCredential when it is
// the user's only sign-in-enabled credential, ErrCredentialNotFound when the
// user holds no credential with that id, ErrNotFound for an unknown user.
func (s *Service) Unlink(ctx context.Context, userID, credentialID string) (authkit.User, error) {
	if !ValidID(userID) || !ValidID(credentialID) {
		return authkit.User{}, ErrInvalidID
	}
	u, err := s.cfg.Store.Unlink(ctx, userID, credentialID)
	if err != nil {
		return authkit.User{}, err
	}
	return derive(u), nil
}

// Get returns the user or ErrNotFound.
func (s *Service) Get(ctx context.Context, userID string) (authkit.User, error) {
	if !ValidID(userID) {
		return authkit.User{}, ErrInvalidID
	}
	u, err := s.cfg.Store.Get(ctx, userID)
	if err != nil {
		return authkit.User{}, err
	}
	return derive(u), nil
}

// Update sets the non-nil profile fields and returns the user.
// ErrInvalidProfile (nothing changed) for a field over the limits.
func (s *Service) Update(ctx context.Context, userID string, p Profile) (authkit.User, error) {
	if !ValidID(userID) {
		return authkit.User{}, ErrInvalidID
	}
	if err := p.validate(s.cfg.MaxMetadata); err != nil {
		return authkit.User{}, err
	}
	if p.Country != nil {
		c := strings.ToUpper(*p.Country)
		p.Country = &c
	}
	u, err := s.cfg.Store.UpdateProfile(ctx, userID, p)
	if err != nil {
		return authkit.User{}, err
	}
	return derive(u), nil
}

// derive fills the fields a store does not keep: Email and PhoneNumber,
// from the first email (else OAuth-provided email) and phone credentials.
func derive(u authkit.User) authkit.User {
	u.Email, u.PhoneNumber = "", ""
	var oauthEmail string
	for _, c := range u.VerifiedCredentials {
		switch c.Format {
		case authkit.FormatEmail:
			if u.Email == "" {
				u.Email = c.Email
			}
		case authkit.FormatPhoneNumber:
			if u.PhoneNumber == "" {
				u.PhoneNumber = "+" + c.PhoneCountryCode + c.PhoneNumber
			}
		case authkit.FormatOAuth:
			// oauth_emails holds only addresses the provider verified.
			if oauthEmail == "" && len(c.OAuthEmails) > 0 {
				oauthEmail = c.OAuthEmails[0]
			}
		}
	}
	if u.Email == "" {
		u.Email = oauthEmail
	}
	if u.VerifiedCredentials == nil {
		u.VerifiedCredentials = []authkit.VerifiedCredential{}
	}
	return u
}
