package passkey_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/passkey/passkeytest"
)

// A passkey as the second factor of a signed-in session: the challenge is
// bound to the user and the session that asked, so another session cannot
// answer it, and the rightful one still can.
func ExampleService_FinishMFA() {
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
	const user, sid = "0b6e8f0e-3f44-4c57-9a5c-1e2f3a4b5c6d", "session-1"
	creation, err := svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: user}, SessionID: sid})
	if err != nil {
		log.Fatal(err)
	}
	options, _ := json.Marshal(creation)
	attestation, _, err := browser.Register(options)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := svc.FinishRegistration(ctx, user, sid, attestation); err != nil {
		log.Fatal(err)
	}

	// The MFA step: the options list the user's passkeys.
	request, err := svc.BeginMFA(ctx, user, sid, "")
	if err != nil {
		log.Fatal(err)
	}
	options, _ = json.Marshal(request)
	assertion, err := browser.Assert(options)
	if err != nil {
		log.Fatal(err)
	}
	_, err = svc.FinishMFA(ctx, user, "another-session", assertion)
	fmt.Println(err)
	pk, err := svc.FinishMFA(ctx, user, sid, assertion)
	fmt.Println(pk.UserID == user, err)
	// Output:
	// passkey: challenge issued for another ceremony, user or session
	// true <nil>
}
