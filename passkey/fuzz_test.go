package passkey_test

import (
	"context"
	"errors"
	"testing"

	"github.com/authkit/authkit/passkey"
)

// FuzzFinish feeds arbitrary bytes to the three finish steps, the entry
// points for client input: they must never panic, and must answer with one
// of their typed errors.
func FuzzFinish(f *testing.F) {
	f.Add([]byte(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":""}}`))
	f.Add([]byte(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJson":"e30","attestationObject":"oA"}}`))
	f.Add([]byte(`{}`))
	svc, err := passkey.New(passkey.Config{
		RP:    passkey.RelyingParty{ID: "example.com", Origins: []string{"https://example.com"}},
		Name:  "fuzz",
		Store: passkey.NewMemoryStore(),
	})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	typed := []error{passkey.ErrInvalidResponse, passkey.ErrChallenge, passkey.ErrCeremonyMismatch, passkey.ErrVerification, passkey.ErrCredentialNotFound}
	check := func(t *testing.T, what string, err error) {
		if err == nil {
			t.Fatalf("%s accepted fuzz input", what)
		}
		for _, e := range typed {
			if errors.Is(err, e) {
				return
			}
		}
		t.Fatalf("%s: untyped error %v", what, err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := svc.FinishSignIn(ctx, body)
		check(t, "FinishSignIn", err)
		_, err = svc.FinishMFA(ctx, "user", "session", body)
		check(t, "FinishMFA", err)
		_, err = svc.FinishRegistration(ctx, "user", "session", body)
		check(t, "FinishRegistration", err)
	})
}
