package passkey_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/passkey/passkeytest"
)

// Registration, then sign-in with the passkey. The virtual authenticator
// plays the browser: in a real host the options go to the page as JSON, and
// the page posts back what navigator.credentials returns.
func Example() {
	ctx := context.Background()
	svc, err := passkey.New(passkey.Config{
		RP:    passkey.RelyingParty{ID: "example.com", Origins: []string{"https://example.com"}},
		Name:  "ACME",
		Store: passkey.NewMemoryStore(),
	})
	if err != nil {
		log.Fatal(err)
	}
	browser := &passkeytest.Authenticator{Origin: "https://example.com"}

	// A signed-in user registers a passkey.
	creation, err := svc.BeginRegistration(ctx, passkey.Registration{
		User:      passkey.User{ID: "0b6e8f0e-3f44-4c57-9a5c-1e2f3a4b5c6d", Name: "alice@example.com"},
		SessionID: "session-1",
	})
	if err != nil {
		log.Fatal(err)
	}
	options, _ := json.Marshal(creation)
	attestation, _, err := browser.Register(options)
	if err != nil {
		log.Fatal(err)
	}
	pk, err := svc.FinishRegistration(ctx, "0b6e8f0e-3f44-4c57-9a5c-1e2f3a4b5c6d", "session-1", attestation)
	fmt.Println("registered:", err == nil, pk.Origin)

	// Later, anyone may start a sign-in; the passkey names its user.
	request, err := svc.BeginSignIn(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	options, _ = json.Marshal(request)
	assertion, err := browser.Assert(options)
	if err != nil {
		log.Fatal(err)
	}
	used, err := svc.FinishSignIn(ctx, assertion)
	fmt.Println("signed in:", used.UserID, err)

	// The same response again is a replay.
	_, err = svc.FinishSignIn(ctx, assertion)
	fmt.Println("replay:", err)
	// Output:
	// registered: true https://example.com
	// signed in: 0b6e8f0e-3f44-4c57-9a5c-1e2f3a4b5c6d <nil>
	// replay: passkey: unknown, expired or used challenge
}
