package passkey

import "time"

// The option types marshal to the WebAuthn JSON forms
// PublicKeyCredentialCreationOptionsJSON and
// PublicKeyCredentialRequestOptionsJSON (WebAuthn Level 3 §5.1.8, §5.1.9):
// binary values are base64url without padding. Browsers take them with
// PublicKeyCredential.parseCreationOptionsFromJSON (or a library such as
// @simplewebauthn/browser) unchanged.

// RPEntity names the relying party (WebAuthn Level 3 §5.4.2).
type RPEntity struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// UserEntity names the user account (WebAuthn Level 3 §5.4.3). ID is the
// base64url user handle.
type UserEntity struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

// CredentialParameter is one acceptable key algorithm (a COSE algorithm
// identifier, RFC 9053).
type CredentialParameter struct {
	Type string `json:"type"` // "public-key"
	Alg  int64  `json:"alg"`
}

// CredentialDescriptor names an existing credential (WebAuthn Level 3
// §5.8.3). ID is the base64url credential id.
type CredentialDescriptor struct {
	Type       string   `json:"type"` // "public-key"
	ID         string   `json:"id"`
	Transports []string `json:"transports,omitempty"`
}

// AuthenticatorSelection states the authenticator requirements (WebAuthn
// Level 3 §5.4.4).
type AuthenticatorSelection struct {
	ResidentKey        string `json:"residentKey"`
	RequireResidentKey bool   `json:"requireResidentKey"`
	UserVerification   string `json:"userVerification"`
}

// Extensions are the client extensions requested.
type Extensions struct {
	// CredProps asks the client to report whether the credential is
	// discoverable (WebAuthn Level 3 §10.1.3).
	CredProps bool `json:"credProps,omitempty"`
}

// CreationOptions are the options of a registration ceremony. Every array
// is present (never null), as strict clients require.
type CreationOptions struct {
	RP                     RPEntity               `json:"rp"`
	User                   UserEntity             `json:"user"`
	Challenge              string                 `json:"challenge"`
	PubKeyCredParams       []CredentialParameter  `json:"pubKeyCredParams"`
	Timeout                int64                  `json:"timeout"` // ms
	ExcludeCredentials     []CredentialDescriptor `json:"excludeCredentials"`
	AuthenticatorSelection AuthenticatorSelection `json:"authenticatorSelection"`
	Attestation            string                 `json:"attestation"` // "none"
	Extensions             Extensions             `json:"extensions"`
}

// RequestOptions are the options of an authentication ceremony. For
// sign-in AllowCredentials is empty and omitted, so that the browser offers
// every discoverable passkey for the RP ID; for MFA it lists the user's
// passkeys.
type RequestOptions struct {
	Challenge        string                 `json:"challenge"`
	Timeout          int64                  `json:"timeout"` // ms
	RPID             string                 `json:"rpId"`
	UserVerification string                 `json:"userVerification"`
	AllowCredentials []CredentialDescriptor `json:"allowCredentials,omitempty"`
}

// Passkey is a registered passkey as shown to its owner; JSON field names
// follow Dynamic's UserPasskey model. The public key is not part of it.
type Passkey struct {
	ID           string     `json:"id"`           // record id (UUID)
	UserID       string     `json:"-"`            // owner
	CredentialID string     `json:"credentialId"` // base64url
	CreatedAt    time.Time  `json:"createdAt"`
	Alias        string     `json:"alias,omitempty"`
	Origin       string     `json:"origin,omitempty"`
	UpdatedAt    *time.Time `json:"updatedAt,omitempty"`
	LastUsedAt   *time.Time `json:"lastUsedAt,omitempty"`
	// SignCount is the last signature counter seen; 0 for authenticators
	// without a counter.
	SignCount uint32 `json:"-"`
	// UserVerified is set on the result of a ceremony whose authenticator
	// verified the user (PIN or biometrics: the UV flag, WebAuthn Level 3
	// §6.1), which makes the passkey alone a multi-factor proof: a host
	// may mint the sign-in's session with session.MintOptions AMR
	// {"hwk", "pin"} (RFC 8176 §2) and AuthTime now, so that step-up
	// counts it as a fresh second factor. Without it, "hwk" alone is one
	// factor.
	UserVerified bool `json:"-"`
}

func passkeyOf(r CredentialRecord) Passkey {
	p := Passkey{
		ID: r.ID, UserID: r.UserID, CredentialID: b64(r.CredentialID), CreatedAt: r.CreatedAt,
		Alias: r.Alias, Origin: r.Origin, SignCount: r.SignCount,
	}
	if !r.UpdatedAt.IsZero() {
		t := r.UpdatedAt
		p.UpdatedAt = &t
	}
	if !r.LastUsedAt.IsZero() {
		t := r.LastUsedAt
		p.LastUsedAt = &t
	}
	return p
}
