package session

import (
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authkit/authkit"
	"github.com/golang-jwt/jwt/v5"
)

// Kind is a token kind, or a set of kinds (bits). Each kind has its own typ
// header and its own validation rules, so one can never pass as another
// (RFC 8725 §3.11).
type Kind uint8

// Token kinds.
const (
	// KindFull is the full JWT: an ID token for the client, with the
	// user's profile and verified_credentials. typ TypFull.
	KindFull Kind = 1 << iota
	// KindMinified is the minified JWT, the session's access token for
	// servers: constant size whatever the number of credentials. typ
	// TypMinified (RFC 9068).
	KindMinified
	// KindElevated is an elevated-access (step-up) token bound to a
	// session and to requested token scopes. typ TypElevated.
	KindElevated

	// KindSession accepts either session token (full or minified), as a
	// server's bearer authentication does. It never includes KindElevated.
	KindSession = KindFull | KindMinified
)

// The typ header of each token kind. The minified token is an OAuth access
// token in the sense of RFC 9068 and so is "at+jwt"; the other two use
// names of their own so that no generic JWT library mistakes them for
// access tokens.
const (
	TypFull     = "authkit-id+jwt"
	TypMinified = "at+jwt"
	TypElevated = "authkit-elevated+jwt"
)

// String names the kind ("full", "minified", "elevated", "session").
func (k Kind) String() string {
	switch k {
	case KindFull:
		return "full"
	case KindMinified:
		return "minified"
	case KindElevated:
		return "elevated"
	case KindSession:
		return "session"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// kindOfTyp maps a typ header to its kind. Per RFC 7515 §4.1.9 the
// "application/" prefix may be present, and media types compare
// case-insensitively.
func kindOfTyp(typ string) Kind {
	if len(typ) > 12 && strings.EqualFold(typ[:12], "application/") {
		typ = typ[12:]
	}
	switch {
	case strings.EqualFold(typ, TypMinified):
		return KindMinified
	case strings.EqualFold(typ, TypFull):
		return KindFull
	case strings.EqualFold(typ, TypElevated):
		return KindElevated
	}
	return 0
}

// Audience is the aud claim. It is written as a single string when it has
// one entry (as Dynamic does) and read from a string or an array.
type Audience []string

// MarshalJSON writes one audience as a string, several as an array.
func (a Audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// UnmarshalJSON reads a string or an array of strings.
func (a *Audience) UnmarshalJSON(b []byte) error {
	var cs jwt.ClaimStrings
	if err := json.Unmarshal(b, &cs); err != nil {
		return err
	}
	*a = Audience(cs)
	return nil
}

// Contains reports whether s is one of the audiences.
func (a Audience) Contains(s string) bool { return slices.Contains(a, s) }

// CredentialHashes is the minified token's verifiedCredentialsHashes: for
// each credential format, a hash of the ids of the user's credentials of
// that format. All five members are always present (the hash of no ids for
// a format the user lacks), so the minified token has the same size however
// many credentials the user holds; a client compares them with its copy to
// learn whether its credential list is stale.
type CredentialHashes struct {
	Blockchain   string `json:"blockchain"`
	Email        string `json:"email"`
	OAuth        string `json:"oauth"`
	PhoneNumber  string `json:"phoneNumber"`
	ExternalUser string `json:"externalUser"`
}

// HashCredentials computes CredentialHashes: per format, the first 128
// bits of the SHA-256 of the credential ids sorted and joined with ",",
// unpadded base64url (22 characters). The hashes only tell a client that
// its list is stale, so 128 bits are ample and keep the token short.
// Passkey credentials have no member (Dynamic's schema has none).
func HashCredentials(creds []authkit.VerifiedCredential) CredentialHashes {
	var ids [5][]string
	for _, c := range creds {
		if i := hashSlot(c.Format); i >= 0 {
			ids[i] = append(ids[i], c.ID)
		}
	}
	var out [5]string
	for i := range ids {
		slices.Sort(ids[i])
		sum := sha256.Sum256([]byte(strings.Join(ids[i], ",")))
		out[i] = b64.EncodeToString(sum[:16])
	}
	return CredentialHashes{Blockchain: out[0], Email: out[1], OAuth: out[2], PhoneNumber: out[3], ExternalUser: out[4]}
}

func hashSlot(f authkit.CredentialFormat) int {
	switch f {
	case authkit.FormatBlockchain:
		return 0
	case authkit.FormatEmail:
		return 1
	case authkit.FormatOAuth:
		return 2
	case authkit.FormatPhoneNumber:
		return 3
	case authkit.FormatExternalUser:
		return 4
	}
	return -1
}

// Claims are the claims of every token kind (full, minified, elevated); each
// kind sets the subset listed on its fields. Verify returns them after all
// checks passed.
type Claims struct {
	// Kind is the verified token's kind (from its typ header); not a claim.
	Kind Kind `json:"-"`

	// Registered claims (all kinds). NotBefore is never minted here but
	// is checked when present.
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  Audience         `json:"aud"`
	ExpiresAt *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf,omitempty"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	ID        string           `json:"jti"`

	// KeyID repeats the header kid, as Dynamic's tokens do (full, minified).
	KeyID string `json:"kid,omitempty"`
	// SessionID binds the token to a session (all kinds).
	SessionID string `json:"sid"`
	// Generation is the session's refresh generation the token was minted
	// at (full, minified; absent means 0). Verify accepts only the
	// session's current generation, or the previous one within the
	// refresh grace window.
	Generation uint64 `json:"gen,omitempty"`
	// EnvironmentID is the environment (tenant) the user belongs to (all kinds).
	EnvironmentID string `json:"environment_id"`
	// ClientID is the environment again, as RFC 9068 requires of an
	// access token (minified).
	ClientID string `json:"client_id,omitempty"`
	// Scope is the space-separated scope: "user:basic" and extra grants,
	// or "requiresAdditionalAuth" while MFA is pending (session kinds); the
	// requested token scopes (elevated). Use Scopes() to split it.
	Scope string `json:"scope,omitempty"`
	// PendingScope holds, on an MFA-pending session token only, the extra
	// scopes (MintOptions.Scopes) the session gets once MFA passed; it
	// grants nothing itself. Upgrade and UpgradeMFA restore them.
	PendingScope string `json:"pending_scope,omitempty"`

	// Profile (full; Email and Username also minified).
	Alias         string                       `json:"alias,omitempty"`
	Email         string                       `json:"email,omitempty"`
	Username      string                       `json:"username,omitempty"`
	GivenName     string                       `json:"given_name,omitempty"`
	FamilyName    string                       `json:"family_name,omitempty"`
	Lists         []string                     `json:"lists,omitempty"`
	MissingFields []authkit.ProjectSettingsKyc `json:"missing_fields,omitzero"` // [] in every full token: a required claim of Dynamic's model
	FirstVisit    *time.Time                   `json:"first_visit,omitempty"`
	LastVisit     *time.Time                   `json:"last_visit,omitempty"`
	NewUser       *bool                        `json:"new_user,omitempty"`

	// VerifiedCredentials is the user's credential list (full only).
	VerifiedCredentials []authkit.VerifiedCredential `json:"verified_credentials,omitzero"` // [] in every full token, likewise
	// VerifiedAccount is the legacy copy of the last verified credential (full).
	VerifiedAccount *authkit.VerifiedCredential `json:"verified_account,omitempty"`
	// LastVerifiedCredentialID is the credential used to sign in last
	// (full, minified).
	LastVerifiedCredentialID string `json:"last_verified_credential_id,omitempty"`
	// SigninCredentialID is the credential of this sign-in (minified).
	SigninCredentialID string `json:"signin_credential_id,omitempty"`
	// VerifiedCredentialsHashes stand in for the list (minified).
	VerifiedCredentialsHashes *CredentialHashes `json:"verifiedCredentialsHashes,omitempty"`
	// SessionPublicKey is the client's compressed P-256 key in hex, if it
	// sent one (full, minified).
	SessionPublicKey string `json:"session_public_key,omitempty"`
	// DevicePublicKey is the device key the sign-in proved (package
	// devicebind), if it did (full, minified); a refresh may demand it.
	DevicePublicKey string `json:"device_public_key,omitempty"`

	// AuthTime is when the user re-authenticated for an elevated token.
	AuthTime *jwt.NumericDate `json:"auth_time,omitempty"`
	// AMR lists how the user re-authenticated (RFC 8176 values such as
	// "otp", "sms", "mfa") (elevated).
	AMR []string `json:"amr,omitempty"`
	// SingleUse marks an elevated token that VerifyElevated accepts once.
	SingleUse bool `json:"single_use,omitempty"`
}

// Scopes splits the scope claim.
func (c *Claims) Scopes() authkit.Scopes { return authkit.ParseScopes(c.Scope) }

// HasScope reports whether the scope claim contains s.
func (c *Claims) HasScope(s authkit.Scope) bool {
	if s == "" {
		return false
	}
	// Scan without allocating: this runs on every authorised request.
	rest := c.Scope
	for rest != "" {
		var f string
		f, rest, _ = strings.Cut(rest, " ")
		if f == string(s) {
			return true
		}
	}
	return false
}

// MFAPending reports whether the session still awaits MFA: it carries
// requiresAdditionalAuth and not user:basic.
func (c *Claims) MFAPending() bool {
	return c.HasScope(authkit.ScopeRequiresAdditionalAuth) || !c.HasScope(authkit.ScopeUserBasic)
}

// Expiry returns exp as a time (zero if absent).
func (c *Claims) Expiry() time.Time {
	if c.ExpiresAt == nil {
		return time.Time{}
	}
	return c.ExpiresAt.Time
}

// The jwt.Claims interface, used by golang-jwt's validator.

// GetExpirationTime implements jwt.Claims.
func (c *Claims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }

// GetIssuedAt implements jwt.Claims.
func (c *Claims) GetIssuedAt() (*jwt.NumericDate, error) { return c.IssuedAt, nil }

// GetNotBefore implements jwt.Claims.
func (c *Claims) GetNotBefore() (*jwt.NumericDate, error) { return c.NotBefore, nil }

// GetIssuer implements jwt.Claims.
func (c *Claims) GetIssuer() (string, error) { return c.Issuer, nil }

// GetSubject implements jwt.Claims.
func (c *Claims) GetSubject() (string, error) { return c.Subject, nil }

// GetAudience implements jwt.Claims.
func (c *Claims) GetAudience() (jwt.ClaimStrings, error) { return jwt.ClaimStrings(c.Audience), nil }
