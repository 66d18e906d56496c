package passkeytest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"

	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/passkey/passkeytest"
)

// A host test drives its passkey handlers with the virtual authenticator:
// here an MFA ceremony, then a cloned authenticator whose counter went
// backwards.
func ExampleAuthenticator() {
	ctx := context.Background()
	svc, err := passkey.New(passkey.Config{
		RP:    passkey.RelyingParty{ID: "localhost", Origins: []string{"http://localhost:8080"}},
		Name:  "dev",
		Store: passkey.NewMemoryStore(),
	})
	if err != nil {
		log.Fatal(err)
	}
	auth := &passkeytest.Authenticator{Origin: "http://localhost:8080", Alg: passkeytest.EdDSA}
	const user = "7d1f2c9a-0000-4000-8000-000000000001"

	creation, _ := svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: user}, SessionID: "s1"})
	options, _ := json.Marshal(creation)
	resp, cred, err := auth.Register(options)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := svc.FinishRegistration(ctx, user, "s1", resp); err != nil {
		log.Fatal(err)
	}

	request, _ := svc.BeginMFA(ctx, user, "s1", "")
	options, _ = json.Marshal(request)
	resp, _ = auth.Assert(options)
	pk, err := svc.FinishMFA(ctx, user, "s1", resp)
	fmt.Println("mfa:", err, "counter", pk.SignCount)

	cred.SetSignCount(0) // a clone that lags behind
	request, _ = svc.BeginMFA(ctx, user, "s1", "")
	options, _ = json.Marshal(request)
	resp, _ = auth.Assert(options)
	_, err = svc.FinishMFA(ctx, user, "s1", resp)
	fmt.Println("clone:", errors.Is(err, passkey.ErrSignCount))
	// Output:
	// mfa: <nil> counter 1
	// clone: true
}
