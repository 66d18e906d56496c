package authkit

import (
	"encoding/json"
	"time"
)

// CredentialFormat says what kind of thing a VerifiedCredential proves.
type CredentialFormat string

// The credential formats of Dynamic's API.
const (
	FormatBlockchain   CredentialFormat = "blockchain"
	FormatEmail        CredentialFormat = "email"
	FormatOAuth        CredentialFormat = "oauth"
	FormatPasskey      CredentialFormat = "passkey"
	FormatPhoneNumber  CredentialFormat = "phoneNumber"
	FormatExternalUser CredentialFormat = "externalUser"
)

// Valid reports whether f is one of the known formats.
func (f CredentialFormat) Valid() bool {
	switch f {
	case FormatBlockchain, FormatEmail, FormatOAuth, FormatPasskey, FormatPhoneNumber, FormatExternalUser:
		return true
	}
	return false
}

// NameService is the ENS-style name and avatar of a wallet credential.
type NameService struct {
	Avatar string `json:"avatar,omitempty"`
	Name   string `json:"name,omitempty"`
}

// WalletAdditionalAddress is an extra address of a wallet credential.
type WalletAdditionalAddress struct {
	Address   string `json:"address"`
	PublicKey string `json:"publicKey,omitempty"`
	Type      string `json:"type"`
}

// VerifiedCredential is one thing a user has proven control of: a phone
// number, an email address, an OAuth account, a wallet. Keys are snake_case
// on the wire except id, format, signInEnabled, refId, signerRefId,
// phoneNumber, phoneCountryCode, isoCountryCode and lastSelectedAt.
//
// When decoding, the camelCase spellings that some of Dynamic's documents
// leak (nameService, publicIdentifier, oauthProvider, …) are accepted too;
// encoding always produces the wire (snake_case) form.
type VerifiedCredential struct {
	ID            string           `json:"id"`
	Format        CredentialFormat `json:"format"`
	SignInEnabled bool             `json:"signInEnabled"`

	// Wallet fields.
	Address                   string                    `json:"address,omitempty"`
	Chain                     string                    `json:"chain,omitempty"`
	RefID                     string                    `json:"refId,omitempty"`
	SignerRefID               string                    `json:"signerRefId,omitempty"`
	NameService               *NameService              `json:"name_service,omitempty"`
	WalletName                string                    `json:"wallet_name,omitempty"`
	WalletProvider            string                    `json:"wallet_provider,omitempty"`
	WalletProperties          json.RawMessage           `json:"wallet_properties,omitempty"`
	EmbeddedWalletID          string                    `json:"embedded_wallet_id,omitempty"`
	WalletAdditionalAddresses []WalletAdditionalAddress `json:"wallet_additional_addresses,omitempty"`

	// Identity fields. PhoneNumber is the national number ("9172113333").
	Email            string `json:"email,omitempty"`
	PublicIdentifier string `json:"public_identifier,omitempty"`
	PhoneNumber      string `json:"phoneNumber,omitempty"`
	PhoneCountryCode string `json:"phoneCountryCode,omitempty"`
	IsoCountryCode   string `json:"isoCountryCode,omitempty"`

	// OAuth fields. OAuthEmails lists only emails; whether each was verified
	// by the provider is kept by the oauth package, which decides linking.
	OAuthProvider      ProviderType    `json:"oauth_provider,omitempty"`
	OAuthUsername      string          `json:"oauth_username,omitempty"`
	OAuthDisplayName   string          `json:"oauth_display_name,omitempty"`
	OAuthAccountID     string          `json:"oauth_account_id,omitempty"`
	OAuthAccountPhotos []string        `json:"oauth_account_photos,omitempty"`
	OAuthEmails        []string        `json:"oauth_emails,omitempty"`
	OAuthMetadata      json.RawMessage `json:"oauth_metadata,omitempty"`

	// History.
	PreviousUsers  []string   `json:"previous_users,omitempty"`
	LastSelectedAt *time.Time `json:"lastSelectedAt,omitempty"`
}

// credentialWire has the wire tags; it exists so UnmarshalJSON can decode
// without recursing into itself.
type credentialWire VerifiedCredential

// credentialCamel holds the camelCase aliases seen in some documents.
type credentialCamel struct {
	NameService               *NameService              `json:"nameService"`
	PublicIdentifier          *string                   `json:"publicIdentifier"`
	WalletName                *string                   `json:"walletName"`
	WalletProvider            *string                   `json:"walletProvider"`
	WalletProperties          json.RawMessage           `json:"walletProperties"`
	EmbeddedWalletID          *string                   `json:"embeddedWalletId"`
	WalletAdditionalAddresses []WalletAdditionalAddress `json:"walletAdditionalAddresses"`
	OAuthProvider             *ProviderType             `json:"oauthProvider"`
	OAuthUsername             *string                   `json:"oauthUsername"`
	OAuthDisplayName          *string                   `json:"oauthDisplayName"`
	OAuthAccountID            *string                   `json:"oauthAccountId"`
	OAuthAccountPhotos        []string                  `json:"oauthAccountPhotos"`
	OAuthEmails               []string                  `json:"oauthEmails"`
	OAuthMetadata             json.RawMessage           `json:"oauthMetadata"`
	PreviousUsers             []string                  `json:"previousUsers"`
}

// UnmarshalJSON decodes the wire form and, where the snake_case key is
// absent, its camelCase alias.
func (c *VerifiedCredential) UnmarshalJSON(b []byte) error {
	var w credentialWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	var a credentialCamel
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	setS := func(dst *string, src *string) {
		if *dst == "" && src != nil {
			*dst = *src
		}
	}
	if w.NameService == nil {
		w.NameService = a.NameService
	}
	setS(&w.PublicIdentifier, a.PublicIdentifier)
	setS(&w.WalletName, a.WalletName)
	setS(&w.WalletProvider, a.WalletProvider)
	if w.WalletProperties == nil {
		w.WalletProperties = a.WalletProperties
	}
	setS(&w.EmbeddedWalletID, a.EmbeddedWalletID)
	if w.WalletAdditionalAddresses == nil {
		w.WalletAdditionalAddresses = a.WalletAdditionalAddresses
	}
	if w.OAuthProvider == "" && a.OAuthProvider != nil {
		w.OAuthProvider = *a.OAuthProvider
	}
	setS(&w.OAuthUsername, a.OAuthUsername)
	setS(&w.OAuthDisplayName, a.OAuthDisplayName)
	setS(&w.OAuthAccountID, a.OAuthAccountID)
	if w.OAuthAccountPhotos == nil {
		w.OAuthAccountPhotos = a.OAuthAccountPhotos
	}
	if w.OAuthEmails == nil {
		w.OAuthEmails = a.OAuthEmails
	}
	if w.OAuthMetadata == nil {
		w.OAuthMetadata = a.OAuthMetadata
	}
	if w.PreviousUsers == nil {
		w.PreviousUsers = a.PreviousUsers
	}
	*c = VerifiedCredential(w)
	return nil
}
