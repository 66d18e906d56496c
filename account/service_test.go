package account_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
)

var now = time.Date(2026, 11, 22, 18, 0, 0, 123456789, time.UTC)

func newService(t *testing.T, st account.Store, mod ...func(*account.Config)) *account.Service {
	t.Helper()
	cfg := account.Config{Store: st, EnvironmentID: "env-1", Now: func() time.Time { return now },
		OnDelete:   []account.Purger{account.PurgerFunc(func(context.Context, string) error { return nil })},
		OnResetMFA: []account.Purger{account.PurgerFunc(func(context.Context, string) error { return nil })},
	}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := account.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func phoneCred(cc, national, iso string) authkit.VerifiedCredential {
	return authkit.VerifiedCredential{Format: authkit.FormatPhoneNumber, PhoneCountryCode: cc, PhoneNumber: national, IsoCountryCode: iso}
}

func emailCred(e string) authkit.VerifiedCredential {
	return authkit.VerifiedCredential{Format: authkit.FormatEmail, Email: e}
}

func oauthCred(p authkit.ProviderType, id string) authkit.VerifiedCredential {
	return authkit.VerifiedCredential{Format: authkit.FormatOAuth, OAuthProvider: p, OAuthAccountID: id, OAuthMetadata: []byte(`{"raw":1}`)}
}

func TestKey(t *testing.T) {
	tests := []struct {
		name string
		in   authkit.VerifiedCredential
		key  string
		err  error
	}{
		{"phone three parts", phoneCred("1", "9172113333", "US"), "phoneNumber:+19172113333", nil},
		{"phone plus and formatting", phoneCred("+1", "917-211-3333", "us"), "phoneNumber:+19172113333", nil},
		{"phone without region", phoneCred("1", "9172113333", ""), "phoneNumber:+19172113333", nil},
		{"phone UK trunk zero", phoneCred("44", "07400 123456", "GB"), "phoneNumber:+447400123456", nil},
		{"phone invalid", phoneCred("1", "9171113333", "US"), "", account.ErrInvalidCredential},
		{"phone region mismatch", phoneCred("44", "9172113333", "US"), "", account.ErrInvalidCredential},
		{"phone empty", phoneCred("", "", ""), "", account.ErrInvalidCredential},
		{"email case", emailCred("Jane@Example.COM"), "email:jane@example.com", nil},
		{"email sub-address kept", emailCred("jane+x@example.com"), "email:jane+x@example.com", nil},
		{"email gmail dots kept", emailCred("j.ane@gmail.com"), "email:j.ane@gmail.com", nil},
		{"email bad", emailCred("jane"), "", account.ErrInvalidCredential},
		{"email angle", emailCred("<jane@example.com>"), "", account.ErrInvalidCredential},
		{"email long", emailCred(strings.Repeat("a", 64) + "@" + strings.Repeat("b", 250) + ".com"), "", account.ErrInvalidCredential},
		{"oauth", oauthCred("github", "583231"), "oauth:github:583231", nil},
		{"oauth provider case", oauthCred("GitHub", "583231"), "oauth:github:583231", nil},
		{"oauth no id", oauthCred("github", ""), "", account.ErrInvalidCredential},
		{"oauth control char", oauthCred("github", "a\nb"), "", account.ErrInvalidCredential},
		{"oauth long id", oauthCred("github", strings.Repeat("1", 256)), "", account.ErrInvalidCredential},
		{"oauth bad provider", oauthCred("git hub", "1"), "", account.ErrInvalidCredential},
		{"passkey without key function", authkit.VerifiedCredential{Format: authkit.FormatPasskey, PublicIdentifier: "x"}, "", account.ErrInvalidCredential},
		{"no format", authkit.VerifiedCredential{Email: "a@b.c"}, "", account.ErrInvalidCredential},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, key, err := account.Key(tc.in)
			if !errors.Is(err, tc.err) || key != tc.key {
				t.Fatalf("Key = %q, %v; want %q, %v", key, err, tc.key, tc.err)
			}
			if err == nil && (c.Format != tc.in.Format || !c.SignInEnabled || c.OAuthMetadata != nil) {
				t.Fatalf("canonical = %+v", c)
			}
		})
	}
}

// refusingStore fails the test on any call: bad input must be refused
// before the store is reached.
type refusingStore struct{ t *testing.T }

func (r refusingStore) fail() { r.t.Helper(); r.t.Fatal("store called for invalid input") }
func (r refusingStore) FindOrCreate(context.Context, authkit.User, account.Credential, time.Time) (authkit.User, bool, error) {
	r.fail()
	return authkit.User{}, false, nil
}
func (r refusingStore) Link(context.Context, string, account.Credential, time.Time) (authkit.User, error) {
	r.fail()
	return authkit.User{}, nil
}
func (r refusingStore) Unlink(context.Context, string, string) (authkit.User, error) {
	r.fail()
	return authkit.User{}, nil
}
func (r refusingStore) Get(context.Context, string) (authkit.User, error) {
	r.fail()
	return authkit.User{}, nil
}
func (r refusingStore) UpdateProfile(context.Context, string, account.Profile) (authkit.User, error) {
	r.fail()
	return authkit.User{}, nil
}
func (r refusingStore) Delete(context.Context, string) error { r.fail(); return nil }

func TestBadInputNeverReachesStore(t *testing.T) {
	ctx := context.Background()
	s := newService(t, refusingStore{t})
	good := "7c1e0a52-6c1b-4c9e-9d0e-2b8f5c1a9e11"
	long := strings.Repeat("a", account.MaxIDLen+1)
	str := func(v string) *string { return &v }
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"FindOrCreate bad email", func() error { _, _, err := s.FindOrCreate(ctx, emailCred("x")); return err }, account.ErrInvalidCredential},
		{"FindOrCreate unknown format", func() error {
			_, _, err := s.FindOrCreate(ctx, authkit.VerifiedCredential{Format: "carrier-pigeon"})
			return err
		}, account.ErrInvalidCredential},
		{"Link empty user", func() error { _, err := s.Link(ctx, "", emailCred("a@b.co")); return err }, account.ErrInvalidID},
		{"Link long user", func() error { _, err := s.Link(ctx, long, emailCred("a@b.co")); return err }, account.ErrInvalidID},
		{"Link bad credential", func() error { _, err := s.Link(ctx, good, phoneCred("1", "1", "US")); return err }, account.ErrInvalidCredential},
		{"Unlink bad user", func() error { _, err := s.Unlink(ctx, "a b", good); return err }, account.ErrInvalidID},
		{"Unlink bad credential", func() error { _, err := s.Unlink(ctx, good, "x\x00"); return err }, account.ErrInvalidID},
		{"Get slash", func() error { _, err := s.Get(ctx, "../x"); return err }, account.ErrInvalidID},
		{"Update long field", func() error {
			_, err := s.Update(ctx, good, account.Profile{FirstName: str(strings.Repeat("é", 256))})
			return err
		}, account.ErrInvalidProfile},
		{"Update control char", func() error { _, err := s.Update(ctx, good, account.Profile{Alias: str("a\x1bb")}); return err }, account.ErrInvalidProfile},
		{"Update bad country", func() error { _, err := s.Update(ctx, good, account.Profile{Country: str("FRA")}); return err }, account.ErrInvalidProfile},
		{"Update metadata array", func() error { _, err := s.Update(ctx, good, account.Profile{Metadata: []byte(`[1]`)}); return err }, account.ErrInvalidProfile},
		{"Update metadata too big", func() error {
			_, err := s.Update(ctx, good, account.Profile{Metadata: []byte(`{"a":"` + strings.Repeat("x", account.DefaultMaxMetadata) + `"}`)})
			return err
		}, account.ErrInvalidProfile},
		{"Update not UTF-8", func() error { _, err := s.Update(ctx, good, account.Profile{Team: str("\xff")}); return err }, account.ErrInvalidProfile},
		{"Delete bad id", func() error { return s.Delete(ctx, "") }, account.ErrInvalidID},
		{"ResetMFA bad id", func() error { return s.ResetMFA(ctx, long) }, account.ErrInvalidID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestServiceFlow(t *testing.T) {
	ctx := context.Background()
	s := newService(t, account.NewMemoryStore())
	u, created, err := s.FindOrCreate(ctx, phoneCred("1", "917 211 3333", "US"))
	if err != nil || !created || u.NewUser == nil || !*u.NewUser {
		t.Fatalf("FindOrCreate = %+v, %v, %v", u, created, err)
	}
	want := now.UTC().Truncate(time.Millisecond)
	if u.PhoneNumber != "+19172113333" || u.ProjectEnvironmentID != "env-1" || !u.FirstVisit.Equal(want) {
		t.Fatalf("user = %+v", u)
	}
	// Another spelling of the number is the same user.
	u2, created, err := s.FindOrCreate(ctx, phoneCred("+1", "9172113333", ""))
	if err != nil || created || u2.ID != u.ID || *u2.NewUser {
		t.Fatalf("second sign-in = %+v, %v, %v", u2, created, err)
	}
	u3, err := s.Link(ctx, u.ID, emailCred("Jane@Example.com"))
	if err != nil || u3.Email != "jane@example.com" || len(u3.VerifiedCredentials) != 2 {
		t.Fatalf("Link = %+v, %v", u3, err)
	}
	gh := oauthCred("github", "42")
	gh.OAuthEmails = []string{"jane@users.github.com"}
	u4, err := s.Link(ctx, u.ID, gh)
	if err != nil || u4.VerifiedCredentials[2].OAuthMetadata != nil {
		t.Fatalf("Link oauth = %+v, %v", u4, err)
	}
	other, _, err := s.FindOrCreate(ctx, emailCred("other@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Link(ctx, other.ID, emailCred("JANE@example.com")); !errors.Is(err, account.ErrCredentialTaken) {
		t.Fatalf("Link taken = %v", err)
	}
	u5, err := s.Unlink(ctx, u.ID, u3.VerifiedCredentials[1].ID)
	if err != nil || u5.Email != "jane@users.github.com" {
		t.Fatalf("after unlinking the email, Email = %q (%v); want the provider's", u5.Email, err)
	}
	fr := "fr"
	u6, err := s.Update(ctx, u.ID, account.Profile{Country: &fr})
	if err != nil || u6.Country != "FR" {
		t.Fatalf("Update = %q, %v", u6.Country, err)
	}
	if _, err := s.Get(ctx, "7c1e0a52-6c1b-4c9e-9d0e-2b8f5c1a9e11"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("Get unknown = %v", err)
	}
}

func TestConfig(t *testing.T) {
	key := func(c authkit.VerifiedCredential) (authkit.VerifiedCredential, string, error) {
		return c, c.PublicIdentifier, nil
	}
	tests := []struct {
		name string
		cfg  account.Config
	}{
		{"no store", account.Config{}},
		{"negative metadata", account.Config{Store: account.NewMemoryStore(), MaxMetadata: -1}},
		{"replace builtin", account.Config{Store: account.NewMemoryStore(), Formats: map[authkit.CredentialFormat]account.KeyFunc{authkit.FormatEmail: key}}},
		{"nil key func", account.Config{Store: account.NewMemoryStore(), Formats: map[authkit.CredentialFormat]account.KeyFunc{authkit.FormatPasskey: nil}}},
		{"nil purger", account.Config{Store: account.NewMemoryStore(), OnDelete: []account.Purger{nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := account.New(tc.cfg); !errors.Is(err, account.ErrConfig) {
				t.Fatalf("New = %v, want ErrConfig", err)
			}
		})
	}
}

func TestCustomFormat(t *testing.T) {
	ctx := context.Background()
	s := newService(t, account.NewMemoryStore(), func(c *account.Config) {
		c.Formats = map[authkit.CredentialFormat]account.KeyFunc{
			authkit.FormatPasskey: func(c authkit.VerifiedCredential) (authkit.VerifiedCredential, string, error) {
				return authkit.VerifiedCredential{PublicIdentifier: c.PublicIdentifier, SignInEnabled: true}, c.PublicIdentifier, nil
			},
		}
	})
	u, _, err := s.FindOrCreate(ctx, authkit.VerifiedCredential{Format: authkit.FormatPasskey, PublicIdentifier: "cred-1"})
	if err != nil || u.VerifiedCredentials[0].Format != authkit.FormatPasskey {
		t.Fatalf("FindOrCreate(passkey) = %+v, %v", u, err)
	}
	u2, created, err := s.FindOrCreate(ctx, authkit.VerifiedCredential{Format: authkit.FormatPasskey, PublicIdentifier: "cred-1"})
	if err != nil || created || u2.ID != u.ID {
		t.Fatalf("second passkey sign-in = %v, %v", created, err)
	}
}

// recorder is a purger that records its calls and fails on demand.
type recorder struct {
	mu    sync.Mutex
	name  string
	log   *[]string
	fail  error
	users []string
}

func (r *recorder) Purge(_ context.Context, userID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.log = append(*r.log, r.name)
	r.users = append(r.users, userID)
	return r.fail
}

func TestDeleteAndResetMFA(t *testing.T) {
	ctx := context.Background()
	var log []string
	sessions := &recorder{name: "sessions", log: &log}
	mfa := &recorder{name: "mfa", log: &log}
	st := account.NewMemoryStore()
	s := newService(t, st, func(c *account.Config) {
		c.OnDelete = []account.Purger{sessions, mfa}
		c.OnResetMFA = []account.Purger{sessions, mfa}
	})
	u, _, err := s.FindOrCreate(ctx, emailCred("del@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ResetMFA(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if strings.Join(log, ",") != "sessions,mfa" {
		t.Fatalf("ResetMFA ran %v", log)
	}
	if _, err := s.Get(ctx, u.ID); err != nil {
		t.Fatalf("ResetMFA removed the user: %v", err)
	}

	// A failing purger leaves the user in place (fail closed).
	log = nil
	mfa.fail = errors.New("mfa store down")
	if err := s.Delete(ctx, u.ID); !errors.Is(err, account.ErrPurge) {
		t.Fatalf("Delete with failing purger = %v", err)
	}
	if _, err := s.Get(ctx, u.ID); err != nil {
		t.Fatalf("user deleted although a purger failed: %v", err)
	}
	mfa.fail = nil
	log = nil
	if err := s.Delete(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if strings.Join(log, ",") != "sessions,mfa,sessions,mfa" {
		t.Fatalf("Delete ran %v; want the purgers before and after", log)
	}
	if _, err := s.Get(ctx, u.ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
	if err := s.Delete(ctx, u.ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("second Delete = %v", err)
	}
	if err := s.ResetMFA(ctx, u.ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("ResetMFA of deleted user = %v", err)
	}
	// The credential is free: it signs in a new user.
	v, created, err := s.FindOrCreate(ctx, emailCred("del@example.com"))
	if err != nil || !created || v.ID == u.ID {
		t.Fatalf("sign-in after delete = %v, %v", created, err)
	}

	bare := newService(t, st, func(c *account.Config) { c.OnDelete, c.OnResetMFA = nil, nil })
	if err := bare.Delete(ctx, v.ID); !errors.Is(err, account.ErrNoPurgers) {
		t.Fatalf("Delete without purgers = %v", err)
	}
	if err := bare.ResetMFA(ctx, v.ID); !errors.Is(err, account.ErrNoPurgers) {
		t.Fatalf("ResetMFA without purgers = %v", err)
	}
}

type fakeRevoker struct{ users []string }

func (f *fakeRevoker) RevokeAll(_ context.Context, userID string) (int, error) {
	f.users = append(f.users, userID)
	return 1, nil
}

type fakeMFA struct{ users []string }

func (f *fakeMFA) DeleteUser(_ context.Context, userID string) error {
	f.users = append(f.users, userID)
	return nil
}

func TestPurgerAdapters(t *testing.T) {
	r, m := &fakeRevoker{}, &fakeMFA{}
	ctx := context.Background()
	if err := account.RevokeSessions(r).Purge(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if err := account.DeleteMFA(m).Purge(ctx, "u2"); err != nil {
		t.Fatal(err)
	}
	if len(r.users) != 1 || r.users[0] != "u1" || len(m.users) != 1 || m.users[0] != "u2" {
		t.Fatalf("revoker %v, mfa %v", r.users, m.users)
	}
}

func TestFindOrCreateRefusesNonSignIn(t *testing.T) {
	ctx := context.Background()
	st := account.NewMemoryStore()
	s := newService(t, st, func(c *account.Config) {
		c.Formats = map[authkit.CredentialFormat]account.KeyFunc{
			authkit.FormatBlockchain: func(c authkit.VerifiedCredential) (authkit.VerifiedCredential, string, error) {
				return authkit.VerifiedCredential{Address: c.Address, PublicIdentifier: c.Address}, c.Address, nil
			},
		}
	})
	wallet := authkit.VerifiedCredential{Format: authkit.FormatBlockchain, Address: "0xabc"}
	if _, _, err := s.FindOrCreate(ctx, wallet); !errors.Is(err, account.ErrInvalidCredential) {
		t.Fatalf("FindOrCreate(non-sign-in credential) = %v, want ErrInvalidCredential", err)
	}
	// Nothing was created: the wallet is still free to link.
	u, _, err := s.FindOrCreate(ctx, authkit.VerifiedCredential{Format: authkit.FormatEmail, Email: "w@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	u, err = s.Link(ctx, u.ID, wallet)
	if err != nil || len(u.VerifiedCredentials) != 2 || u.VerifiedCredentials[1].SignInEnabled {
		t.Fatalf("Link(wallet) = %+v, %v", u.VerifiedCredentials, err)
	}
	// And, once linked, it still cannot sign in.
	if _, _, err := s.FindOrCreate(ctx, wallet); !errors.Is(err, account.ErrInvalidCredential) {
		t.Fatalf("FindOrCreate(linked wallet) = %v, want ErrInvalidCredential", err)
	}
}
