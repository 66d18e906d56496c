package passkey

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
)

// ErrConfig is wrapped by every error New returns for an invalid Config.
var ErrConfig = errors.New("passkey: invalid config")

// Defaults.
const (
	// DefaultChallengeTTL is how long a challenge can be answered.
	DefaultChallengeTTL = 5 * time.Minute
	// DefaultMaxPasskeys caps the passkeys one user may register.
	DefaultMaxPasskeys = 10
	// MaxAliasLen is the longest alias (in bytes) Rename accepts.
	MaxAliasLen = 255
	// MaxUserIDLen is the longest user id: the id is the WebAuthn user
	// handle, which holds at most 64 bytes (WebAuthn Level 3 §5.4.3).
	MaxUserIDLen = 64
)

// UserVerification values (WebAuthn Level 3 §5.8.6).
const (
	UVRequired    = "required"
	UVPreferred   = "preferred"
	UVDiscouraged = "discouraged"
)

// RelyingParty is one RP ID and the origins that may use it.
type RelyingParty struct {
	// ID is the RP ID: a domain equal to, or a registrable suffix of, the
	// origins' hosts (WebAuthn Level 3 §5.1.2), e.g. "example.com".
	// "localhost" is allowed for development.
	ID string
	// Origins are the exact origins ("https://app.example.com") whose
	// ceremonies are accepted for ID. An origin outside ID's domain is a
	// related origin (WebAuthn Level 3 §5.11): browsers accept it only if
	// https://<ID>/.well-known/webauthn lists it, which
	// Service.RelatedOrigins produces. Plain http is accepted for
	// localhost and loopback addresses only.
	Origins []string
}

// Accounts is what the Service asks the host about a user's other
// credentials, so that a user is never left without a way to sign in.
// *account.Service implements it; a host with its own user store answers
// true when the user holds a sign-in credential that is not a passkey.
type Accounts interface {
	// CanSignInWithoutPasskeys reports whether the user has another
	// sign-in credential (a verified email or phone number, an OAuth
	// identity) that is not a passkey.
	CanSignInWithoutPasskeys(ctx context.Context, userID string) (bool, error)
}

// Config configures a Service. RP, Name and Store are required; every other
// zero value means the documented default.
type Config struct {
	// RP is the primary relying party: the RP ID options carry when the
	// caller names none.
	RP RelyingParty
	// Related are further RP IDs a client may ask for by name (Dynamic's
	// relatedOriginRpId), each with its own origins, so that one deployment
	// serves passkeys scoped to several domains.
	Related []RelyingParty
	// Name is the relying party's display name ("ACME"), shown by some
	// authenticators. Required.
	Name string
	// Store persists challenges and passkeys. Required.
	Store Store
	// Accounts says whether a user can sign in without passkeys. nil means
	// never: a user's last passkey can then not be deleted.
	Accounts Accounts
	// MaxPasskeys caps the passkeys of one user. 0 means DefaultMaxPasskeys.
	MaxPasskeys int
	// ChallengeTTL is how long a challenge can be answered; it is also the
	// timeout the options carry. 0 means DefaultChallengeTTL (5 min); at
	// most 10 min (WebAuthn Level 3 §15.4 recommends 5).
	ChallengeTTL time.Duration
	// UserVerification is the requirement sent in every ceremony's options
	// and enforced on responses when "required". "" means "preferred".
	UserVerification string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand is the randomness source for challenges and ids; nil means
	// crypto/rand. Only tests should set it.
	Rand io.Reader
	// Logger receives ceremony outcomes with user and passkey ids;
	// challenges and signatures are never logged. nil disables logging.
	Logger *slog.Logger
}

// validateRP checks one relying party's id and origins.
func validateRP(rp RelyingParty) error {
	if rp.ID == "" {
		return fmt.Errorf("%w: RP ID is required", ErrConfig)
	}
	if rp.ID != strings.ToLower(rp.ID) || strings.Trim(rp.ID, ".") != rp.ID || strings.ContainsAny(rp.ID, ":/ ") {
		return fmt.Errorf("%w: RP ID %q must be a lower-case domain without scheme, port or path", ErrConfig, rp.ID)
	}
	if err := protocol.ValidateRPID(rp.ID); err != nil { // also refuses IP addresses
		return fmt.Errorf("%w: RP ID %q: %v", ErrConfig, rp.ID, err)
	}
	if len(rp.Origins) == 0 {
		return fmt.Errorf("%w: RP ID %q has no origins", ErrConfig, rp.ID)
	}
	for _, o := range rp.Origins {
		if err := validateOrigin(o); err != nil {
			return fmt.Errorf("%w: RP ID %q: %v", ErrConfig, rp.ID, err)
		}
	}
	return nil
}

// validateOrigin accepts "scheme://host[:port]" with https, or http on a
// loopback host (WebAuthn requires a secure context).
func validateOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("origin %q: want scheme://host[:port]", o)
	}
	if o != strings.ToLower(u.Scheme)+"://"+strings.ToLower(u.Host) {
		return fmt.Errorf("origin %q: must be lower case", o)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("origin %q: must be https (http only for localhost)", o)
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
