package main

import (
	"encoding/json"

	"github.com/authkit/authkit/account"
)

// The user directory is the account package, on the store set's account
// store (accounts.go): the library proves a credential (a phone number, an
// email, an OAuth account); the account package decides which user it
// belongs to, on the same backend as every other store, so that several
// instances and restarts see the same users.

// Errors of the user directory, as the handlers and errors.go name them.
var (
	// errUserNotFound: no user with that id (a token outliving its user).
	errUserNotFound = account.ErrNotFound
	// errCredentialInUse: a link of a credential that belongs to another
	// user.
	errCredentialInUse = account.ErrCredentialTaken
)

// userFields are the writable profile fields of PUT users (UserFields of
// Dynamic's API). A nil pointer leaves the field unchanged.
type userFields struct {
	Alias                  *string          `json:"alias"`
	FirstName              *string          `json:"firstName"`
	LastName               *string          `json:"lastName"`
	JobTitle               *string          `json:"jobTitle"`
	Team                   *string          `json:"team"`
	TShirtSize             *string          `json:"tShirtSize"`
	Username               *string          `json:"username"`
	Country                *string          `json:"country"`
	PoliciesConsent        *bool            `json:"policiesConsent"`
	EmailNotification      *bool            `json:"emailNotification"`
	DiscordNotification    *bool            `json:"discordNotification"`
	NewsletterNotification *bool            `json:"newsletterNotification"`
	Metadata               *json.RawMessage `json:"metadata"`
}

// profile is the account package's form of f.
func (f userFields) profile() account.Profile {
	p := account.Profile{
		Alias: f.Alias, FirstName: f.FirstName, LastName: f.LastName, JobTitle: f.JobTitle,
		Team: f.Team, TShirtSize: f.TShirtSize, Username: f.Username, Country: f.Country,
		PoliciesConsent: f.PoliciesConsent, EmailNotification: f.EmailNotification,
		DiscordNotification: f.DiscordNotification, NewsletterNotification: f.NewsletterNotification,
	}
	if f.Metadata != nil {
		p.Metadata = *f.Metadata
	}
	return p
}
