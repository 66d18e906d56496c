package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/passkey"
)

// The Service and passkey's Service plug into each other as they are.
var (
	_ passkey.Accounts       = (*account.Service)(nil)
	_ account.PasskeyDeleter = (*passkey.Service)(nil)
)

func TestIDsFitAWebAuthnUserHandle(t *testing.T) {
	if account.MaxIDLen > passkey.MaxUserIDLen {
		t.Fatalf("account.MaxIDLen %d > passkey.MaxUserIDLen %d: an account could not register a passkey", account.MaxIDLen, passkey.MaxUserIDLen)
	}
	if !account.ValidID(strings.Repeat("a", account.MaxIDLen)) || account.ValidID(strings.Repeat("a", account.MaxIDLen+1)) {
		t.Fatal("ValidID does not follow MaxIDLen")
	}
}

func TestCanSignInWithoutPasskeys(t *testing.T) {
	ctx := context.Background()
	s := newService(t, account.NewMemoryStore(), func(c *account.Config) {
		c.Formats = map[authkit.CredentialFormat]account.KeyFunc{
			authkit.FormatPasskey: func(c authkit.VerifiedCredential) (authkit.VerifiedCredential, string, error) {
				return authkit.VerifiedCredential{PublicIdentifier: c.PublicIdentifier, SignInEnabled: true}, c.PublicIdentifier, nil
			},
		}
	})
	onlyPasskey, _, err := s.FindOrCreate(ctx, authkit.VerifiedCredential{Format: authkit.FormatPasskey, PublicIdentifier: "cred-1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cred authkit.VerifiedCredential
		want bool
	}{
		{"email", emailCred("pk@example.com"), true},
		{"phone", phoneCred("1", "9172113333", "US"), true},
		{"oauth", oauthCred(authkit.ProviderGitHub, "42"), true},
	}
	for _, tc := range tests {
		u, _, err := s.FindOrCreate(ctx, tc.cred)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.CanSignInWithoutPasskeys(ctx, u.ID); err != nil || got != tc.want {
			t.Errorf("%s: CanSignInWithoutPasskeys = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if got, err := s.CanSignInWithoutPasskeys(ctx, onlyPasskey.ID); err != nil || got {
		t.Errorf("passkey only: CanSignInWithoutPasskeys = %v, %v; want false", got, err)
	}
	if _, err := s.CanSignInWithoutPasskeys(ctx, "no-such-user"); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
}

type deleterFunc func(ctx context.Context, userID string) error

func (f deleterFunc) DeleteUser(ctx context.Context, userID string) error { return f(ctx, userID) }

func TestDeletePasskeys(t *testing.T) {
	var got []string
	p := account.DeletePasskeys(deleterFunc(func(_ context.Context, id string) error {
		got = append(got, id)
		return nil
	}))
	if err := p.Purge(context.Background(), "u1"); err != nil || len(got) != 1 || got[0] != "u1" {
		t.Fatalf("Purge = %v, calls %v", err, got)
	}
}

func TestConfirmSignIn(t *testing.T) {
	ctx := context.Background()
	var log []string
	sessions := &recorder{name: "sessions", log: &log}
	s := newService(t, account.NewMemoryStore(), func(c *account.Config) { c.OnDelete = []account.Purger{sessions} })
	u, _, err := s.FindOrCreate(ctx, emailCred("race@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	// The user exists: nothing to do.
	if err := s.ConfirmSignIn(ctx, u.ID); err != nil || len(log) != 0 {
		t.Fatalf("ConfirmSignIn(existing) = %v, purgers ran %v", err, log)
	}
	if err := s.Delete(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	log = log[:0]
	// A sign-in that read the user before the deletion minted afterwards:
	// the purgers run again and the sign-in is refused.
	if err := s.ConfirmSignIn(ctx, u.ID); !errors.Is(err, account.ErrNotFound) || strings.Join(log, ",") != "sessions" {
		t.Fatalf("ConfirmSignIn(deleted) = %v, purgers ran %v", err, log)
	}
	sessions.fail = errors.New("store down")
	if err := s.ConfirmSignIn(ctx, u.ID); !errors.Is(err, account.ErrPurge) {
		t.Fatalf("ConfirmSignIn with a failing purger = %v", err)
	}
}
