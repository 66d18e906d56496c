package authkit

import (
	"encoding/json"
	"time"
)

// BackupCodeAcknowledgement is the state of a user's acknowledgement of their
// MFA recovery codes: pending until the user confirms they saved them.
type BackupCodeAcknowledgement string

// The acknowledgement states of a user's recovery-code set (Dynamic's
// backupCodeAcknowledgement).
const (
	AcknowledgementPending  BackupCodeAcknowledgement = "pending"
	AcknowledgementComplete BackupCodeAcknowledgement = "complete"
)

// User is the SdkUser object of Dynamic's API (camelCase on the wire).
// Optional booleans are pointers so that an explicit false survives a round
// trip and an absent field stays absent.
type User struct {
	ID                       string               `json:"id"`
	ProjectEnvironmentID     string               `json:"projectEnvironmentId"`
	VerifiedCredentials      []VerifiedCredential `json:"verifiedCredentials"`
	LastVerifiedCredentialID string               `json:"lastVerifiedCredentialId,omitempty"`
	SessionID                string               `json:"sessionId,omitempty"`

	Alias     string `json:"alias,omitempty"`
	Country   string `json:"country,omitempty"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"firstName,omitempty"`
	JobTitle  string `json:"jobTitle,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	// PhoneNumber is the user's phone number as the host stores it (E.164 here).
	PhoneNumber     string `json:"phoneNumber,omitempty"`
	PoliciesConsent *bool  `json:"policiesConsent,omitempty"`
	TShirtSize      string `json:"tShirtSize,omitempty"`
	Team            string `json:"team,omitempty"`
	Username        string `json:"username,omitempty"`

	FirstVisit *time.Time `json:"firstVisit,omitempty"`
	LastVisit  *time.Time `json:"lastVisit,omitempty"`
	NewUser    *bool      `json:"newUser,omitempty"`
	// Metadata is host-defined JSON, kept verbatim.
	Metadata json.RawMessage `json:"metadata,omitempty"`

	MFABackupCodeAcknowledgement *BackupCodeAcknowledgement `json:"mfaBackupCodeAcknowledgement,omitempty"`

	BtcWallet  string `json:"btcWallet,omitempty"`
	KdaWallet  string `json:"kdaWallet,omitempty"`
	LtcWallet  string `json:"ltcWallet,omitempty"`
	CkbWallet  string `json:"ckbWallet,omitempty"`
	KasWallet  string `json:"kasWallet,omitempty"`
	DogeWallet string `json:"dogeWallet,omitempty"`

	EmailNotification      *bool `json:"emailNotification,omitempty"`
	DiscordNotification    *bool `json:"discordNotification,omitempty"`
	NewsletterNotification *bool `json:"newsletterNotification,omitempty"`

	Lists []string `json:"lists,omitempty"`
	// Scope is the space-separated scope of the user's current token.
	Scope         string               `json:"scope,omitempty"`
	MissingFields []ProjectSettingsKyc `json:"missingFields,omitempty"`
}

// Credential returns the user's credential with the given id.
func (u *User) Credential(id string) (*VerifiedCredential, bool) {
	for i := range u.VerifiedCredentials {
		if u.VerifiedCredentials[i].ID == id {
			return &u.VerifiedCredentials[i], true
		}
	}
	return nil, false
}

// ProjectSettingsKyc describes a profile field the environment collects
// (the entries of SdkUser.missingFields).
type ProjectSettingsKyc struct {
	Name            string           `json:"name"`
	Required        bool             `json:"required"`
	Enabled         bool             `json:"enabled"`
	Unique          bool             `json:"unique"`
	Verify          bool             `json:"verify"`
	Type            string           `json:"type,omitempty"`
	ValidationRules *ValidationRules `json:"validationRules,omitempty"`
	ValidationType  string           `json:"validationType,omitempty"`
	Label           string           `json:"label,omitempty"`
	Position        *int             `json:"position,omitempty"`
}

// ValidationRules constrain a custom profile field.
type ValidationRules struct {
	Unique       *bool         `json:"unique,omitempty"`
	Regex        string        `json:"regex,omitempty"`
	ValidOptions []ValidOption `json:"validOptions,omitempty"`
	CheckboxText string        `json:"checkboxText,omitempty"`
}

// ValidOption is one choice of a select field.
type ValidOption struct {
	Label string `json:"label"`
}
