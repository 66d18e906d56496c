package account_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
)

// A sign-in by phone, a second sign-in with the same number spelled
// differently, linking an email, and the rules on unlinking and deleting.
func Example() {
	ctx := context.Background()
	revoked := 0
	accounts, err := account.New(account.Config{
		Store:         account.NewMemoryStore(),
		EnvironmentID: "2762a57b-faa4-41ce-9f16-abff9300e2c9",
		// A host passes account.RevokeSessions(sessionManager),
		// account.DeleteMFA(mfaService) and
		// account.PurgerFunc(passkeyService.DeleteUser) here.
		OnDelete: []account.Purger{account.PurgerFunc(func(ctx context.Context, userID string) error {
			revoked++
			return nil
		})},
	})
	if err != nil {
		log.Fatal(err)
	}
	// The credential comes from a checked code (verification.Service.Check).
	phone := authkit.VerifiedCredential{Format: authkit.FormatPhoneNumber, PhoneCountryCode: "1", PhoneNumber: "9172113333", IsoCountryCode: "US"}
	u, created, err := accounts.FindOrCreate(ctx, phone)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", created, u.PhoneNumber)

	phone.PhoneNumber = "917-211-3333"
	again, created, err := accounts.FindOrCreate(ctx, phone)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", created, "same user:", again.ID == u.ID)

	u, err = accounts.Link(ctx, u.ID, authkit.VerifiedCredential{Format: authkit.FormatEmail, Email: "Jane@Example.com"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("email:", u.Email, "credentials:", len(u.VerifiedCredentials))

	u, err = accounts.Unlink(ctx, u.ID, u.VerifiedCredentials[0].ID)
	fmt.Println("unlink phone:", err, len(u.VerifiedCredentials))
	_, err = accounts.Unlink(ctx, u.ID, u.VerifiedCredentials[0].ID)
	fmt.Println("unlink last:", errors.Is(err, account.ErrLastCredential))

	fmt.Println("delete:", accounts.Delete(ctx, u.ID), "purges:", revoked)
	_, err = accounts.Get(ctx, u.ID)
	fmt.Println("get:", errors.Is(err, account.ErrNotFound))
	// Output:
	// created: true +19172113333
	// created: false same user: true
	// email: jane@example.com credentials: 2
	// unlink phone: <nil> 1
	// unlink last: true
	// delete: <nil> purges: 2
	// get: true
}
