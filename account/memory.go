package account

import (
	"context"
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

type memUser struct {
	u    authkit.User // VerifiedCredentials kept in creds instead
	keys []string     // keys[i] is the key of u.VerifiedCredentials[i]
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
		return clone(mu.u), false, nil
	}
	mu := &memUser{u: clone(u)}
	mu.u.VerifiedCredentials = nil
	mu.attach(cred, now)
	m.users[mu.u.ID] = mu
	m.keys[cred.Key] = mu.u.ID
	return clone(mu.u), true, nil
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
		return clone(mu.u), nil
	}
	mu.attach(cred, now)
	m.keys[cred.Key] = userID
	return clone(mu.u), nil
}

// attach appends cred and records the visit.
func (mu *memUser) attach(cred Credential, now time.Time) {
	vc := cloneCred(cred.VerifiedCredential)
	mu.u.VerifiedCredentials = append(mu.u.VerifiedCredentials, vc)
	mu.keys = append(mu.keys, cred.Key)
	mu.touch(cred, now)
}

// touch refreshes the credential under cred.Key and records the visit.
func (mu *memUser) touch(cred Credential, now time.Time) {
	i := slices.Index(mu.keys, cred.Key)
	c := &mu.u.VerifiedCredentials[i]
	id, signIn := c.ID, c.SignInEnabled
	*c = cloneCred(cred.VerifiedCredential)
	t := now
	c.ID, c.SignInEnabled, c.LastSelectedAt = id, signIn, &t
	v := now
	mu.u.LastVisit = &v
	mu.u.LastVerifiedCredentialID = id
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
	i := slices.IndexFunc(mu.u.VerifiedCredentials, func(c authkit.VerifiedCredential) bool { return c.ID == credentialID })
	if i < 0 {
		return authkit.User{}, ErrCredentialNotFound
	}
	if mu.u.VerifiedCredentials[i].SignInEnabled {
		others := 0
		for j, c := range mu.u.VerifiedCredentials {
			if j != i && c.SignInEnabled {
				others++
			}
		}
		if others == 0 {
			return authkit.User{}, ErrLastCredential
		}
	}
	delete(m.keys, mu.keys[i])
	mu.u.VerifiedCredentials = slices.Delete(mu.u.VerifiedCredentials, i, i+1)
	mu.keys = slices.Delete(mu.keys, i, i+1)
	if mu.u.LastVerifiedCredentialID == credentialID {
		mu.u.LastVerifiedCredentialID = ""
	}
	return clone(mu.u), nil
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
	return clone(mu.u), nil
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
	p.Apply(&mu.u)
	return clone(mu.u), nil
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
	for _, k := range mu.keys {
		delete(m.keys, k)
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
