package account

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/authkit/authkit"
)

// Profile holds the writable profile fields of a user: the UserFields of
// the SDK's update-self call, less what a credential proves (email, phone
// number) and what other packages own (the recovery-code acknowledgement).
// A nil field is left unchanged; a pointer to "" clears a string.
//
// Its JSON form (camelCase, nil fields omitted) is the patch: a store may
// keep the profile as a JSON document and merge the patch into it, since
// the names are those of authkit.User.
type Profile struct {
	Alias      *string `json:"alias,omitempty"`
	FirstName  *string `json:"firstName,omitempty"`
	LastName   *string `json:"lastName,omitempty"`
	JobTitle   *string `json:"jobTitle,omitempty"`
	Team       *string `json:"team,omitempty"`
	TShirtSize *string `json:"tShirtSize,omitempty"`
	Username   *string `json:"username,omitempty"`
	// Country is an ISO 3166-1 alpha-2 code, or "" to clear it.
	Country *string `json:"country,omitempty"`

	PoliciesConsent        *bool `json:"policiesConsent,omitempty"`
	EmailNotification      *bool `json:"emailNotification,omitempty"`
	DiscordNotification    *bool `json:"discordNotification,omitempty"`
	NewsletterNotification *bool `json:"newsletterNotification,omitempty"`

	BtcWallet  *string `json:"btcWallet,omitempty"`
	KdaWallet  *string `json:"kdaWallet,omitempty"`
	LtcWallet  *string `json:"ltcWallet,omitempty"`
	CkbWallet  *string `json:"ckbWallet,omitempty"`
	KasWallet  *string `json:"kasWallet,omitempty"`
	DogeWallet *string `json:"dogeWallet,omitempty"`

	// Metadata is host-defined JSON (an object), replacing the stored one
	// as a whole; nil leaves it unchanged.
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// strings lists the string fields with their destinations in u.
func (p *Profile) strings(u *authkit.User) []struct {
	v   *string
	dst *string
} {
	return []struct {
		v   *string
		dst *string
	}{
		{p.Alias, &u.Alias}, {p.FirstName, &u.FirstName}, {p.LastName, &u.LastName},
		{p.JobTitle, &u.JobTitle}, {p.Team, &u.Team}, {p.TShirtSize, &u.TShirtSize},
		{p.Username, &u.Username}, {p.Country, &u.Country},
		{p.BtcWallet, &u.BtcWallet}, {p.KdaWallet, &u.KdaWallet}, {p.LtcWallet, &u.LtcWallet},
		{p.CkbWallet, &u.CkbWallet}, {p.KasWallet, &u.KasWallet}, {p.DogeWallet, &u.DogeWallet},
	}
}

// Apply sets the non-nil fields of p on u (a store without a JSON column
// uses it; the memory store does).
func (p Profile) Apply(u *authkit.User) {
	for _, f := range p.strings(u) {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	for _, f := range []struct {
		v   *bool
		dst **bool
	}{
		{p.PoliciesConsent, &u.PoliciesConsent}, {p.EmailNotification, &u.EmailNotification},
		{p.DiscordNotification, &u.DiscordNotification}, {p.NewsletterNotification, &u.NewsletterNotification},
	} {
		if f.v != nil {
			b := *f.v
			*f.dst = &b
		}
	}
	if p.Metadata != nil {
		u.Metadata = append(json.RawMessage(nil), p.Metadata...)
	}
}

// Empty reports whether p changes nothing.
func (p Profile) Empty() bool {
	b, err := json.Marshal(p)
	return err == nil && string(b) == "{}"
}

// validate checks p against the limits: strings of at most 255
// characters, valid UTF-8 without control characters; a two-letter
// country; metadata a JSON object of at most maxMetadata bytes.
func (p Profile) validate(maxMetadata int) error {
	var u authkit.User
	for _, f := range p.strings(&u) {
		if f.v == nil {
			continue
		}
		s := *f.v
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxFieldLen {
			return fmt.Errorf("%w: over %d characters or not UTF-8", ErrInvalidProfile, maxFieldLen)
		}
		for _, r := range s {
			if unicode.IsControl(r) {
				return fmt.Errorf("%w: control character", ErrInvalidProfile)
			}
		}
	}
	if c := p.Country; c != nil && *c != "" {
		if len(*c) != 2 || !isUpperOrLower((*c)[0]) || !isUpperOrLower((*c)[1]) {
			return fmt.Errorf("%w: country must be an ISO 3166-1 alpha-2 code", ErrInvalidProfile)
		}
	}
	if p.Metadata != nil {
		m := bytes.TrimSpace(p.Metadata)
		if len(p.Metadata) > maxMetadata {
			return fmt.Errorf("%w: metadata over %d bytes", ErrInvalidProfile, maxMetadata)
		}
		if len(m) == 0 || m[0] != '{' || !json.Valid(m) {
			return fmt.Errorf("%w: metadata must be a JSON object", ErrInvalidProfile)
		}
	}
	return nil
}

func isUpperOrLower(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
