package main

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit"
)

func TestMemoryUsers(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	u := newMemoryUsers(testEnvID)
	phone := authkit.VerifiedCredential{Format: authkit.FormatPhoneNumber, PhoneCountryCode: "1", PhoneNumber: "9172113333", IsoCountryCode: "US"}
	email := authkit.VerifiedCredential{Format: authkit.FormatEmail, Email: "Jane@Example.com"}

	a, created, err := u.FindOrCreate(ctx, phone, now)
	if err != nil || !created || a.ProjectEnvironmentID != testEnvID || a.PhoneNumber != "+19172113333" || a.LastVerifiedCredentialID != a.VerifiedCredentials[0].ID {
		t.Fatalf("create: %+v %v %v", a, created, err)
	}
	again, created, _ := u.FindOrCreate(ctx, phone, now.Add(time.Minute))
	if created || again.ID != a.ID || !again.LastVisit.After(*a.LastVisit) {
		t.Fatal("second find")
	}
	linked, err := u.Link(ctx, a.ID, email, now)
	if err != nil || len(linked.VerifiedCredentials) != 2 || linked.Email != "Jane@Example.com" || linked.LastVerifiedCredentialID != linked.VerifiedCredentials[1].ID {
		t.Fatalf("link: %+v %v", linked, err)
	}
	lower := email
	lower.Email = "jane@example.com"
	if b, created, _ := u.FindOrCreate(ctx, lower, now); created || b.ID != a.ID {
		t.Fatal("email match is case-sensitive")
	}
	other, _, _ := u.FindOrCreate(ctx, authkit.VerifiedCredential{Format: authkit.FormatEmail, Email: "other@example.com"}, now)
	if _, err := u.Link(ctx, other.ID, phone, now); !errors.Is(err, errCredentialInUse) {
		t.Fatalf("linking a taken credential: %v", err)
	}
	if _, err := u.Link(ctx, "nobody", phone, now); !errors.Is(err, errUserNotFound) {
		t.Fatal(err)
	}
	if _, _, err := u.FindOrCreate(ctx, authkit.VerifiedCredential{Format: authkit.FormatOAuth}, now); !errors.Is(err, errUnkeyedCredential) {
		t.Fatal(err)
	}
	name := "Jane"
	up, err := u.Update(ctx, a.ID, userFields{FirstName: &name})
	if err != nil || up.FirstName != "Jane" {
		t.Fatal(err)
	}
	// Returned users are copies.
	up.VerifiedCredentials[0].PhoneNumber = "changed"
	if g, _ := u.Get(ctx, a.ID); g.VerifiedCredentials[0].PhoneNumber != "9172113333" {
		t.Fatal("a caller changed the directory")
	}
}

// TestMemoryUsersConcurrentCreate: of many parallel first sign-ins with
// one credential, exactly one creates the user.
func TestMemoryUsersConcurrentCreate(t *testing.T) {
	u := newMemoryUsers(testEnvID)
	cred := authkit.VerifiedCredential{Format: authkit.FormatEmail, Email: "race@example.com"}
	var wg sync.WaitGroup
	ids := make([]string, 32)
	created := make([]bool, 32)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			usr, c, err := u.FindOrCreate(context.Background(), cred, time.Now())
			if err != nil {
				t.Error(err)
			}
			ids[i], created[i] = usr.ID, c
		}()
	}
	wg.Wait()
	n := 0
	for i := range ids {
		if ids[i] != ids[0] {
			t.Fatal("two users for one credential")
		}
		if created[i] {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d creations", n)
	}
}
