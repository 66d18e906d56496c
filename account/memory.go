package account

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/authkit/authkit"
)

// MemoryStore is an in-memory Store for tests, development and
// single-process hosts. One mutex guards all state, which makes every
// method atomic; it is safe for concurrent use. Users do not survive a
// restart and are not shared between processes: use store/postgres or
// store/redis (or the host's own Store) for that.
type MemoryStore struct {
	mu    sync.Mutex
	users map[string]*memUser // by user id
	keys  map[string]string   // credential key -> user id
}

// memUser is a user in compact form. The fields every user has are kept
// inline; the rest of authkit.User (profile, settings, wallets) lives in
// profile, allocated only once one of them is set, and likewise for each
// credential. A phone user takes about half the memory of an
// authkit.User with its credential.
type memUser struct {
	id, env, lastCredID   string
	firstVisit, lastVisit time.Time     // zero = nil
	profile               *authkit.User // the other fields; nil while all are zero
	creds                 []memCred
}

// memCred is a credential in compact form, with its key.
type memCred struct {
	key, id             string
	format              authkit.CredentialFormat
	signIn              bool
	email, publicID     string
	phone, phoneCC, iso string
	lastSelected        time.Time                   // zero = nil
	rest                *authkit.VerifiedCredential // the other fields; nil while all are zero
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func timeOf(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return *p
}

// newMemUser splits u (its credentials aside) into compact form.
func newMemUser(u authkit.User) *memUser {
	mu := &memUser{}
	mu.setUser(u)
	return mu
}

// setUser stores every field of u but its credentials.
func (mu *memUser) setUser(u authkit.User) {
	mu.id, mu.env, mu.lastCredID = u.ID, u.ProjectEnvironmentID, u.LastVerifiedCredentialID
	mu.firstVisit, mu.lastVisit = timeOf(u.FirstVisit), timeOf(u.LastVisit)
	rest := clone(u)
	rest.ID, rest.ProjectEnvironmentID, rest.LastVerifiedCredentialID = "", "", ""
	rest.FirstVisit, rest.LastVisit, rest.VerifiedCredentials = nil, nil, nil
	mu.profile = nil
	if !reflect.ValueOf(rest).IsZero() {
		mu.profile = &rest
	}
}

// user rebuilds the authkit.User, deep-copied.
func (mu *memUser) user() authkit.User {
	var u authkit.User
	if mu.profile != nil {
		u = clone(*mu.profile)
	}
	u.ID, u.ProjectEnvironmentID, u.LastVerifiedCredentialID = mu.id, mu.env, mu.lastCredID
	u.FirstVisit, u.LastVisit = timePtr(mu.firstVisit), timePtr(mu.lastVisit)
	u.VerifiedCredentials = make([]authkit.VerifiedCredential, len(mu.creds))
	for i := range mu.creds {
		u.VerifiedCredentials[i] = mu.creds[i].credential()
	}
	return u
}

// newMemCred splits vc into compact form.
func newMemCred(key string, vc authkit.VerifiedCredential) memCred {
	mc := memCred{
		key: key, id: vc.ID, format: vc.Format, signIn: vc.SignInEnabled,
		email: vc.Email, publicID: vc.PublicIdentifier,
		phone: vc.PhoneNumber, phoneCC: vc.PhoneCountryCode, iso: vc.IsoCountryCode,
		lastSelected: timeOf(vc.LastSelectedAt),
	}
	rest := cloneCred(vc)
	rest.ID, rest.Format, rest.SignInEnabled, rest.Email, rest.PublicIdentifier = "", "", false, "", ""
	rest.PhoneNumber, rest.PhoneCountryCode, rest.IsoCountryCode, rest.LastSelectedAt = "", "", "", nil
	if !reflect.ValueOf(rest).IsZero() {
		mc.rest = &rest
	}
	return mc
}

// credential rebuilds the authkit.VerifiedCredential, deep-copied.
func (mc *memCred) credential() authkit.VerifiedCredential {
	var vc authkit.VerifiedCredential
	if mc.rest != nil {
		vc = cloneCred(*mc.rest)
	}
	vc.ID, vc.Format, vc.SignInEnabled, vc.Email, vc.PublicIdentifier = mc.id, mc.format, mc.signIn, mc.email, mc.publicID
	vc.PhoneNumber, vc.PhoneCountryCode, vc.IsoCountryCode = mc.phone, mc.phoneCC, mc.iso
	vc.LastSelectedAt = timePtr(mc.lastSelected)
	return vc
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{users: map[string]*memUser{}, keys: map[string]string{}}
}

var _ Store = (*MemoryStore)(nil)

// FindOrCreate implements Store.
func (m *MemoryStore) FindOrCreate(ctx context.Context, u authkit.User, cred Credential, now time.Time) (authkit.User, bool, error) {
	if err := ctx.Err(); err != nil {
		return authkit.User{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if uid, ok := m.keys[cred.Key]; ok {
		mu := m.users[uid]
		mu.touch(cred, now)
		return mu.user(), false, nil
	}
	mu := newMemUser(u)
	mu.attach(cred, now)
	m.users[mu.id] = mu
	m.keys[cred.Key] = mu.id
	return mu.user(), true, nil
}

// Link implements Store.
func (m *MemoryStore) Link(ctx context.Context, userID string, cred Credential, now time.Time) (authkit.User, error) {
	if err := ctx.Err(); err != nil {
		return authkit.User{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mu, ok := m.users[userID]
	if !ok {
		return authkit.User{}, ErrNotFound
	}
	if owner, ok := m.keys[cred.Key]; ok {
		if owner != userID {
			return authkit.User{}, ErrCredentialTaken
		}
		mu.touch(cred, now)
		return mu.user(), nil
	}
	mu.attach(cred, now)
	m.keys[cred.Key] = userID
	return mu.user(), nil
}

// attach appends cred and records the visit.
func (mu *memUser) attach(cred Credential, now time.Time) {
	mu.creds = append(mu.creds, newMemCred(cred.Key, cred.VerifiedCredential))
	mu.touch(cred, now)
}

// touch refreshes the credential under cred.Key and records the visit.
func (mu *memUser) touch(cred Credential, now time.Time) {
	i := slices.IndexFunc(mu.creds, func(c memCred) bool { return c.key == cred.Key })
	c := &mu.creds[i]
	id, signIn := c.id, c.signIn
	*c = newMemCred(cred.Key, cred.VerifiedCredential)
	c.id, c.signIn, c.lastSelected = id, signIn, now
	mu.lastVisit = now
	mu.lastCredID = id
}

// Unlink implements Store.
func (m *MemoryStore) Unlink(ctx context.Context, userID, credentialID string) (authkit.User, error) {
	if err := ctx.Err(); err != nil {
		return authkit.User{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mu, ok := m.users[userID]
	if !ok {
		return authkit.User{}, ErrNotFound
	}
	i := slices.IndexFunc(mu.creds, func(c memCred) bool { return c.id == credentialID })
	if i < 0 {
		return authkit.User{}, ErrCredentialNotFound
	}
	if mu.creds[i].signIn {
		others := 0
		for j, c := range mu.creds {
			if j != i && c.signIn {
				others++
			}
		}
		if others == 0 {
			return authkit.User{}, ErrLastCredential
		}
	}
	delete(m.keys, mu.creds[i].key)
	mu.creds = slices.Delete(mu.creds, i, i+1)
	if mu.lastCredID == credentialID {
		mu.lastCredID = ""
	}
	return mu.user(), nil
}

// Get implements Store.
func (m *MemoryStore) Get(ctx context.Context, userID string) (authkit.User, error) {
	if err := ctx.Err(); err != nil {
		return authkit.User{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mu, ok := m.users[userID]
	if !ok {
		return authkit.User{}, ErrNotFound
	}
	return mu.user(), nil
}

// UpdateProfile implements Store.
func (m *MemoryStore) UpdateProfile(ctx context.Context, userID string, p Profile) (authkit.User, error) {
	if err := ctx.Err(); err != nil {
		return authkit.User{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mu, ok := m.users[userID]
	if !ok {
		return authkit.User{}, ErrNotFound
	}
	u := mu.user()
	p.Apply(&u)
	mu.setUser(u) // the credentials stay as they are
	return mu.user(), nil
}

// Delete implements Store.
func (m *MemoryStore) Delete(ctx context.Context, userID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mu, ok := m.users[userID]
	if !ok {
		return ErrNotFound
	}
	for _, c := range mu.creds {
		delete(m.keys, c.key)
	}
	delete(m.users, userID)
	return nil
}

// clone deep-copies u so that no caller holds memory the store mutates.
func clone(u authkit.User) authkit.User {
	c := u
	c.VerifiedCredentials = make([]authkit.VerifiedCredential, len(u.VerifiedCredentials))
	for i, vc := range u.VerifiedCredentials {
		c.VerifiedCredentials[i] = cloneCred(vc)
	}
	c.Metadata = slices.Clone(u.Metadata)
	c.Lists = slices.Clone(u.Lists)
	c.FirstVisit, c.LastVisit = cloneTime(u.FirstVisit), cloneTime(u.LastVisit)
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
	c.MissingFields = slices.Clone(u.MissingFields)
	return c
}

func cloneCred(vc authkit.VerifiedCredential) authkit.VerifiedCredential {
	vc.OAuthEmails = slices.Clone(vc.OAuthEmails)
	vc.OAuthAccountPhotos = slices.Clone(vc.OAuthAccountPhotos)
	vc.OAuthMetadata = slices.Clone(vc.OAuthMetadata)
	vc.WalletProperties = slices.Clone(vc.WalletProperties)
	vc.WalletAdditionalAddresses = slices.Clone(vc.WalletAdditionalAddresses)
	vc.PreviousUsers = slices.Clone(vc.PreviousUsers)
	vc.LastSelectedAt = cloneTime(vc.LastSelectedAt)
	if vc.NameService != nil {
		ns := *vc.NameService
		vc.NameService = &ns
	}
	return vc
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
