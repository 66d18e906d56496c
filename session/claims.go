package session

import (
	"crypto/sha256"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authkit/authkit"
)

// Kind is a token kind, or a set of kinds (bits). Each kind has its own typ
// header and its own validation rules, so one can never pass as another
// (RFC 8725 §3.11).
type Kind uint8

// Token kinds.
const (
	// KindFull is the full JWT: an ID token for the client, with the
	// user's profile and verified_credentials. typ typFull.
	KindFull Kind = 1 << iota
	// KindMinified is the minified JWT, the session's access token for
	// servers: constant size whatever the number of credentials. typ
	// typMinified (RFC 9068).
	KindMinified
	// KindElevated is an elevated-access (step-up) token bound to a
	// session and to requested token scopes. typ typElevated.
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
	typFull     = "authkit-id+jwt"
	typMinified = "at+jwt"
	typElevated = "authkit-elevated+jwt"
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
	case strings.EqualFold(typ, typMinified):
		return KindMinified
	case strings.EqualFold(typ, typFull):
		return KindFull
	case strings.EqualFold(typ, typElevated):
		return KindElevated
	}
	return 0
}

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

// hashCredentials computes CredentialHashes: per format, the first 128
// bits of the SHA-256 of the credential ids sorted and joined with ",",
// unpadded base64url (22 characters). The hashes only tell a client that
// its list is stale, so 128 bits are ample and keep the token short.
// Passkey credentials have no member (Dynamic's schema has none).
func hashCredentials(creds []authkit.VerifiedCredential) CredentialHashes {
	var count [5]int
	for i := range creds {
		if j := hashSlot(creds[i].Format); j >= 0 {
			count[j]++
		}
	}
	// The non-empty hashes share one string: one allocation for all five.
	var enc [5 * credentialHashLen]byte
	var slot [5]int // 1 + the hash's index in enc; 0 for the empty hash
	n := 0
	for j, cnt := range count {
		var sum [sha256.Size]byte
		switch cnt {
		case 0:
			continue
		case 1:
			for i := range creds {
				if hashSlot(creds[i].Format) == j {
					sum = sha256.Sum256([]byte(creds[i].ID))
					break
				}
			}
		default:
			ids := make([]string, 0, cnt)
			for i := range creds {
				if hashSlot(creds[i].Format) == j {
					ids = append(ids, creds[i].ID)
				}
			}
			slices.Sort(ids)
			sum = sha256.Sum256([]byte(strings.Join(ids, ",")))
		}
		b64.Encode(enc[n*credentialHashLen:], sum[:16])
		n++
		slot[j] = n
	}
	all := string(enc[:n*credentialHashLen])
	var out [5]string
	for j := range out {
		out[j] = emptyCredentialHash
		if k := slot[j] - 1; k >= 0 {
			out[j] = all[k*credentialHashLen : (k+1)*credentialHashLen]
		}
	}
	return CredentialHashes{Blockchain: out[0], Email: out[1], OAuth: out[2], PhoneNumber: out[3], ExternalUser: out[4]}
}

// credentialHashLen is the length of one hash: 16 bytes in base64url.
const credentialHashLen = 22

// emptyCredentialHash is the hash of no ids, the first 128 bits of
// SHA-256("") (FIPS 180-4 test vector e3b0c442…), so that most formats of
// most users cost no hashing.
const emptyCredentialHash = "47DEQpj8HBSa-_TImW-5JA"

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
// kind sets the subset listed on its fields, under the JSON name given
// first in each field's comment. Verify returns them after all checks
// passed. json.Marshal of Claims writes the token's payload, and
// json.Unmarshal reads one under Verify's rules (RFC 7519: unique claim
// names, NumericDate times).
type Claims struct {
	// Kind is the verified token's kind (from its typ header); not a claim.
	Kind Kind

	// Issuer (iss), all kinds.
	Issuer string
	// Subject (sub) is the user id, all kinds.
	Subject string
	// Audience (aud), all kinds: written as a string when it has one
	// entry (as Dynamic does), read from a string or an array.
	Audience []string
	// ExpiresAt (exp), all kinds; required.
	ExpiresAt time.Time
	// NotBefore (nbf) is never minted here but is checked when present.
	NotBefore time.Time
	// IssuedAt (iat), all kinds; required.
	IssuedAt time.Time
	// ID (jti) is the token id, all kinds.
	ID string

	// KeyID (kid) repeats the header kid, as Dynamic's tokens do (full,
	// minified).
	KeyID string
	// SessionID (sid) binds the token to a session (all kinds).
	SessionID string
	// Generation (gen) is the session's refresh generation the token was
	// minted at (full, minified; absent means 0). Verify accepts only the
	// session's current generation, or the previous one within the
	// refresh grace window.
	Generation uint64
	// EnvironmentID (environment_id) is the environment (tenant) the user
	// belongs to (all kinds).
	EnvironmentID string
	// ClientID (client_id) is the environment again, as RFC 9068 requires
	// of an access token (minified).
	ClientID string
	// Scope (scope) is space-separated: "user:basic" and extra grants, or
	// "requiresAdditionalAuth" while MFA is pending (session kinds); the
	// requested token scopes (elevated). Use Scopes() to split it.
	Scope string
	// PendingScope (pending_scope) holds, on an MFA-pending session token
	// only, the extra scopes (MintOptions.Scopes) the session gets once
	// MFA passed; it grants nothing itself. Upgrade and UpgradeMFA restore
	// them.
	PendingScope string

	// Profile (full; Email and Username also minified): alias, email,
	// username, given_name, family_name, lists.
	Alias, Email, Username, GivenName, FamilyName string
	Lists                                         []string
	// MissingFields (missing_fields) is [] in every full token: a required
	// claim of Dynamic's model.
	MissingFields []authkit.ProjectSettingsKyc
	// FirstVisit, LastVisit (first_visit, last_visit; RFC 3339 strings)
	// and NewUser (new_user), full.
	FirstVisit, LastVisit *time.Time
	NewUser               *bool

	// VerifiedCredentials (verified_credentials) is the user's credential
	// list (full only; [] when the user has none).
	VerifiedCredentials []authkit.VerifiedCredential
	// VerifiedAccount (verified_account) is the legacy copy of the last
	// verified credential (full).
	VerifiedAccount *authkit.VerifiedCredential
	// LastVerifiedCredentialID (last_verified_credential_id) is the
	// credential used to sign in last (full, minified).
	LastVerifiedCredentialID string
	// SigninCredentialID (signin_credential_id) is the credential of this
	// sign-in (minified).
	SigninCredentialID string
	// VerifiedCredentialsHashes (verifiedCredentialsHashes) stand in for
	// the list (minified).
	VerifiedCredentialsHashes *CredentialHashes
	// SessionPublicKey (session_public_key) is the client's compressed
	// P-256 key in hex, if it sent one (full, minified).
	SessionPublicKey string
	// DevicePublicKey (device_public_key) is the device key the sign-in
	// proved (package devicebind), if it did (full, minified); a refresh
	// may demand it.
	DevicePublicKey string

	// AuthTime (auth_time) is when the user last proved a second factor
	// (session kinds) or re-authenticated (elevated); zero when absent.
	AuthTime time.Time
	// AMR (amr) lists how (RFC 8176 values such as "otp", "sms", "mfa").
	AMR []string
	// SingleUse (single_use) marks an elevated token that VerifyElevated
	// accepts once.
	SingleUse bool
}

// MarshalJSON writes the claims as a token payload.
func (c Claims) MarshalJSON() ([]byte, error) { return appendClaims(nil, &c) }

// UnmarshalJSON reads a token payload under Verify's rules; it checks no
// signature, time or issuer.
func (c *Claims) UnmarshalJSON(b []byte) error {
	var n Claims
	if err := decodeClaims(string(b), &n); err != nil {
		return err
	}
	n.Kind = c.Kind
	*c = n
	return nil
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
