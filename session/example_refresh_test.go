package session_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/session"
)

// Refresh with the host's users as the lookup (here account.Service.Get):
// the new tokens carry the profile as it is now; the replaced token works
// for the grace window, and presenting it to Refresh after that revokes the
// session. Once the user is deleted, refresh fails.
func ExampleManager_Refresh() {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	key, _ := session.GenerateKey(session.ES256)
	keys, _ := session.NewKeySet(key)
	m, err := session.New(session.Config{Keys: keys, Issuer: "auth.example.com", Store: session.NewMemoryStore(), Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	accounts, err := account.New(account.Config{
		Store:    account.NewMemoryStore(),
		OnDelete: []account.Purger{account.RevokeSessions(m)},
	})
	if err != nil {
		panic(err)
	}
	user, _, err := accounts.FindOrCreate(ctx, authkit.VerifiedCredential{Format: authkit.FormatEmail, Email: "ada@example.com"})
	if err != nil {
		panic(err)
	}
	tokens, err := m.Mint(ctx, user, session.MintOptions{})
	if err != nil {
		panic(err)
	}

	first := "Ada"
	if _, err := accounts.Update(ctx, user.ID, account.Profile{FirstName: &first}); err != nil {
		panic(err)
	}
	now = now.Add(time.Hour)
	next, err := m.Refresh(ctx, tokens.MinifiedJWT, accounts.Get) // pass the minified token
	if err != nil {
		panic(err)
	}
	fmt.Println("same session:", next.SessionID == tokens.SessionID, "name:", next.Claims.GivenName)

	now = now.Add(session.DefaultRefreshGrace + time.Second)
	_, err = m.Refresh(ctx, tokens.MinifiedJWT, accounts.Get) // the replaced token, replayed
	fmt.Println("reuse:", errors.Is(err, session.ErrRefreshReuse))
	_, err = m.Verify(ctx, next.MinifiedJWT, session.KindSession)
	fmt.Println("session revoked:", errors.Is(err, session.ErrRevoked))

	// A deleted user: the purger revoked its sessions, and the lookup
	// fails too; its error is returned as is.
	again, _ := m.Mint(ctx, user, session.MintOptions{})
	if err := accounts.Delete(ctx, user.ID); err != nil {
		panic(err)
	}
	_, err = m.Refresh(ctx, again.MinifiedJWT, accounts.Get)
	fmt.Println("deleted:", errors.Is(err, account.ErrNotFound))
	// Output:
	// same session: true name: Ada
	// reuse: true
	// session revoked: true
	// deleted: true
}
