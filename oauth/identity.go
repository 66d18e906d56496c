package oauth

import (
	"encoding/json"
	"strings"

	"github.com/authkit/authkit"
)

// Email is one email address a provider reports for the account.
type Email struct {
	// Address is the email address as the provider reports it.
	Address string `json:"address"`
	// Verified is true only when the provider states that it verified the
	// address (email_verified, verified, is_confirmed, …). Providers that
	// say nothing, or document their emails as unverified, give false.
	Verified bool `json:"verified"`
	// Primary marks the account's primary address, where the provider says.
	Primary bool `json:"primary"`
}

// Identity is the provider account a sign-in proved control of.
type Identity struct {
	// Provider is the provider's name (a ProviderType for catalogue
	// providers, the configured name for generic OpenID Connect ones).
	Provider authkit.ProviderType `json:"provider"`
	// AccountID is the provider's stable id for the account (sub, id, …).
	AccountID string `json:"accountId"`
	// Username is the account's handle (login, username, …), if any.
	Username string `json:"username,omitempty"`
	// DisplayName is the account's human name, if any.
	DisplayName string `json:"displayName,omitempty"`
	// Emails are the addresses the provider reports, each with its
	// verified flag. See LinkableEmails for the ones that may link accounts.
	Emails []Email `json:"emails,omitempty"`
	// Photos are profile picture URLs.
	Photos []string `json:"photos,omitempty"`
	// Raw is the provider's profile as received: the user-info body, or
	// the ID token claims, or a JSON object combining several sources.
	Raw json.RawMessage `json:"raw,omitempty"`
}

// LinkableEmails returns the addresses that may be used to link this
// account to an existing user: only those the provider says it verified,
// primary first. This is the linking rule: an unverified email proves
// nothing about who controls it (anyone can type someone else's address
// into a provider that does not verify it), so matching on it would let
// an attacker take over the victim's account. account.FindOrCreate keys an
// OAuth credential by provider and account id and never merges by email;
// a host that does merge matches these addresses only.
func (id *Identity) LinkableEmails() []string {
	var primary, rest []string
	seen := map[string]bool{}
	for _, e := range id.Emails {
		if !e.Verified || e.Address == "" {
			continue
		}
		k := strings.ToLower(e.Address)
		if seen[k] {
			continue
		}
		seen[k] = true
		if e.Primary {
			primary = append(primary, e.Address)
		} else {
			rest = append(rest, e.Address)
		}
	}
	return append(primary, rest...)
}

// Credential returns the identity as a VerifiedCredential of format oauth.
// oauth_emails holds LinkableEmails only (verified addresses), so a host
// that matches users on oauth_emails obeys the linking rule; unverified
// addresses remain in Emails and in oauth_metadata. public_identifier is
// the username, else the first linkable email, else the display name.
// The credential's ID is left empty for the host to assign.
func (id *Identity) Credential() authkit.VerifiedCredential {
	emails := id.LinkableEmails()
	pub := id.Username
	if pub == "" && len(emails) > 0 {
		pub = emails[0]
	}
	if pub == "" {
		pub = id.DisplayName
	}
	return authkit.VerifiedCredential{
		Format:             authkit.FormatOAuth,
		SignInEnabled:      true,
		PublicIdentifier:   pub,
		OAuthProvider:      id.Provider,
		OAuthAccountID:     id.AccountID,
		OAuthUsername:      id.Username,
		OAuthDisplayName:   id.DisplayName,
		OAuthAccountPhotos: append([]string(nil), id.Photos...),
		OAuthEmails:        emails,
		OAuthMetadata:      append(json.RawMessage(nil), id.Raw...),
	}
}

func providerType(name string) authkit.ProviderType { return authkit.ProviderType(name) }
