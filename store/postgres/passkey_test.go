package postgres_test

import (
	"context"
	"time"

	"testing"

	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/passkey/passkeytest"
	"github.com/authkit/authkit/store/postgres"
)

func TestPasskeyStore(t *testing.T) {
	s, _ := newStore(t, postgres.Options{})
	passkeytest.RunStoreTests(t, func(*testing.T) passkey.Store { return s.Passkeys() })
}

func TestPasskeyCeremonies(t *testing.T) {
	s, _ := newStore(t, postgres.Options{})
	passkeytest.RunCeremonyTests(t, func(*testing.T) passkey.Store { return s.Passkeys() })
}

func TestPasskeyChallengeCleanup(t *testing.T) {
	s, _ := newStore(t, postgres.Options{})
	ps := s.Passkeys()
	for i, exp := range []time.Time{farPast, farFuture} {
		c := passkey.ChallengeRecord{Digest: []byte{byte(i), 1, 2, 3}, Ceremony: passkey.CeremonySignIn, CreatedAt: farPast, ExpiresAt: exp}
		if err := ps.CreateChallenge(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Cleanup(context.Background(), farPast.Add(time.Hour))
	if err != nil || got.PasskeyChallenges != 1 {
		t.Fatalf("Cleanup = %+v, %v; want 1 passkey challenge deleted", got, err)
	}
	if _, err := ps.ConsumeChallenge(context.Background(), []byte{1, 1, 2, 3}, passkey.CeremonySignIn, "", "", farPast); err != nil {
		t.Fatalf("live challenge gone after Cleanup: %v", err)
	}
}
