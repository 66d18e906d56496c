package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/random"
)

// The user directory is the part of a sign-in that the library leaves to
// the host: the library proves a credential (a phone number, an email, an
// OAuth account); the host decides which user it belongs to. This example
// keeps users in memory; a real host keeps them in its own database.

// Errors of the user directory.
var (
	// errUserNotFound: no user with that id (a token outliving its user).
	errUserNotFound = errors.New("users: user not found")
	// errCredentialInUse: Link was asked to attach a credential that
	// already belongs to another user.
	errCredentialInUse = errors.New("users: credential belongs to another user")
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

// userStore is the server's user directory. Each method is one atomic
// operation, so a database-backed directory can implement it as one
// statement or transaction.
type userStore interface {
	// FindOrCreate returns the user holding the identity of cred (see
	// credentialKey), creating the user when there is none; created says
	// which. The returned user's LastVerifiedCredentialID is the id of the
	// matching credential and LastVisit is now.
	FindOrCreate(ctx context.Context, cred authkit.VerifiedCredential, now time.Time) (u authkit.User, created bool, err error)
	// Link attaches cred to the user (a no-op when the user already holds
	// that identity) and makes it the last verified credential. It fails
	// with errCredentialInUse when another user holds the identity, and
	// errUserNotFound for an unknown user.
	Link(ctx context.Context, userID string, cred authkit.VerifiedCredential, now time.Time) (authkit.User, error)
	// Get returns the user or errUserNotFound.
	Get(ctx context.Context, userID string) (authkit.User, error)
	// Update applies the non-nil fields and returns the updated user.
	Update(ctx context.Context, userID string, f userFields) (authkit.User, error)
}

// credentialKey is the identity a credential proves, the key under which
// it is unique across users: the E.164 number, the lower-cased email, or
// the provider and account id. It is "" for a credential that cannot be
// keyed (which the directory refuses).
func credentialKey(c authkit.VerifiedCredential) string {
	switch c.Format {
	case authkit.FormatPhoneNumber:
		if c.PhoneCountryCode == "" || c.PhoneNumber == "" {
			return ""
		}
		return "phone:+" + strings.TrimPrefix(c.PhoneCountryCode, "+") + c.PhoneNumber
	case authkit.FormatEmail:
		if c.Email == "" {
			return ""
		}
		return "email:" + strings.ToLower(c.Email)
	case authkit.FormatOAuth:
		if c.OAuthProvider == "" || c.OAuthAccountID == "" {
			return ""
		}
		return "oauth:" + string(c.OAuthProvider) + ":" + c.OAuthAccountID
	}
	return ""
}

// errUnkeyedCredential: a credential without the fields that identify it.
var errUnkeyedCredential = errors.New("users: credential has no identity")

// memoryUsers is the in-memory userStore.
type memoryUsers struct {
	env string

	mu     sync.Mutex
	users  map[string]*authkit.User // by user id
	byCred map[string]string        // credentialKey → user id
}

// newMemoryUsers returns an empty directory for the environment env.
func newMemoryUsers(env string) *memoryUsers {
	return &memoryUsers{env: env, users: map[string]*authkit.User{}, byCred: map[string]string{}}
}

// FindOrCreate implements userStore.
func (m *memoryUsers) FindOrCreate(_ context.Context, cred authkit.VerifiedCredential, now time.Time) (authkit.User, bool, error) {
	key := credentialKey(cred)
	if key == "" {
		return authkit.User{}, false, errUnkeyedCredential
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if id, ok := m.byCred[key]; ok {
		u := m.users[id]
		m.touch(u, key, cred, now)
		return cloneUser(u), false, nil
	}
	uid, err := random.UUID(nil)
	if err != nil {
		return authkit.User{}, false, err
	}
	t := now.UTC().Truncate(time.Millisecond) // the precision of Dynamic's timestamps
	u := &authkit.User{ID: uid, ProjectEnvironmentID: m.env, FirstVisit: &t}
	if err := m.attach(u, key, cred, now); err != nil {
		return authkit.User{}, false, err
	}
	m.users[uid] = u
	return cloneUser(u), true, nil
}

// Link implements userStore.
func (m *memoryUsers) Link(_ context.Context, userID string, cred authkit.VerifiedCredential, now time.Time) (authkit.User, error) {
	key := credentialKey(cred)
	if key == "" {
		return authkit.User{}, errUnkeyedCredential
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[userID]
	if !ok {
		return authkit.User{}, errUserNotFound
	}
	if owner, ok := m.byCred[key]; ok {
		if owner != userID {
			return authkit.User{}, errCredentialInUse
		}
		m.touch(u, key, cred, now)
		return cloneUser(u), nil
	}
	if err := m.attach(u, key, cred, now); err != nil {
		return authkit.User{}, err
	}
	return cloneUser(u), nil
}

// attach adds cred to u under a fresh credential id. m.mu is held.
func (m *memoryUsers) attach(u *authkit.User, key string, cred authkit.VerifiedCredential, now time.Time) error {
	cid, err := random.UUID(nil)
	if err != nil {
		return err
	}
	cred.ID = cid
	cred.SignInEnabled = true
	// The raw provider profile is not kept: it is not part of the SDK's
	// user (only an admin API shows it) and may hold more than we need.
	cred.OAuthMetadata = nil
	u.VerifiedCredentials = append(u.VerifiedCredentials, cred)
	switch cred.Format {
	case authkit.FormatEmail:
		if u.Email == "" {
			u.Email = cred.Email
		}
	case authkit.FormatOAuth:
		// oauth_emails holds only addresses the provider verified.
		if u.Email == "" && len(cred.OAuthEmails) > 0 {
			u.Email = cred.OAuthEmails[0]
		}
	case authkit.FormatPhoneNumber:
		if u.PhoneNumber == "" {
			u.PhoneNumber = "+" + strings.TrimPrefix(cred.PhoneCountryCode, "+") + cred.PhoneNumber
		}
	}
	m.byCred[key] = u.ID
	m.touch(u, key, cred, now)
	return nil
}

// touch records a sign-in with the credential under key. m.mu is held.
func (m *memoryUsers) touch(u *authkit.User, key string, fresh authkit.VerifiedCredential, now time.Time) {
	t := now.UTC().Truncate(time.Millisecond) // the precision of Dynamic's timestamps
	u.LastVisit = &t
	for i := range u.VerifiedCredentials {
		c := &u.VerifiedCredentials[i]
		if credentialKey(*c) != key {
			continue
		}
		if c.Format == authkit.FormatOAuth {
			// The provider's profile may have changed since the last sign-in.
			id := c.ID
			*c = fresh
			c.ID, c.SignInEnabled, c.OAuthMetadata = id, true, nil
		}
		c.LastSelectedAt = &t
		u.LastVerifiedCredentialID = c.ID
		return
	}
}

// Get implements userStore.
func (m *memoryUsers) Get(_ context.Context, userID string) (authkit.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[userID]
	if !ok {
		return authkit.User{}, errUserNotFound
	}
	return cloneUser(u), nil
}

// Update implements userStore.
func (m *memoryUsers) Update(_ context.Context, userID string, f userFields) (authkit.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[userID]
	if !ok {
		return authkit.User{}, errUserNotFound
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&u.Alias, f.Alias)
	set(&u.FirstName, f.FirstName)
	set(&u.LastName, f.LastName)
	set(&u.JobTitle, f.JobTitle)
	set(&u.Team, f.Team)
	set(&u.TShirtSize, f.TShirtSize)
	set(&u.Username, f.Username)
	set(&u.Country, f.Country)
	setB := func(dst **bool, v *bool) {
		if v != nil {
			b := *v
			*dst = &b
		}
	}
	setB(&u.PoliciesConsent, f.PoliciesConsent)
	setB(&u.EmailNotification, f.EmailNotification)
	setB(&u.DiscordNotification, f.DiscordNotification)
	setB(&u.NewsletterNotification, f.NewsletterNotification)
	if f.Metadata != nil {
		u.Metadata = append(json.RawMessage(nil), *f.Metadata...)
	}
	return cloneUser(u), nil
}

// cloneUser deep-copies the parts of u that callers might modify, so that
// no caller ever holds memory the directory mutates under its lock.
func cloneUser(u *authkit.User) authkit.User {
	c := *u
	c.VerifiedCredentials = make([]authkit.VerifiedCredential, len(u.VerifiedCredentials))
	for i, vc := range u.VerifiedCredentials {
		vc.OAuthEmails = append([]string(nil), vc.OAuthEmails...)
		vc.OAuthAccountPhotos = append([]string(nil), vc.OAuthAccountPhotos...)
		vc.OAuthMetadata = append(json.RawMessage(nil), vc.OAuthMetadata...)
		if vc.LastSelectedAt != nil {
			t := *vc.LastSelectedAt
			vc.LastSelectedAt = &t
		}
		c.VerifiedCredentials[i] = vc
	}
	c.Metadata = append(json.RawMessage(nil), u.Metadata...)
	c.Lists = append([]string(nil), u.Lists...)
	for _, p := range []**time.Time{&c.FirstVisit, &c.LastVisit} {
		if *p != nil {
			t := **p
			*p = &t
		}
	}
	for _, p := range []**bool{&c.PoliciesConsent, &c.NewUser, &c.EmailNotification, &c.DiscordNotification, &c.NewsletterNotification} {
		if *p != nil {
			b := **p
			*p = &b
		}
	}
	if u.MFABackupCodeAcknowledgement != nil {
		a := *u.MFABackupCodeAcknowledgement
		c.MFABackupCodeAcknowledgement = &a
	}
	return c
}
