// Package passkeytest holds test helpers for hosts of package passkey: a
// virtual WebAuthn Authenticator that creates credentials and signs
// assertions in Go (ES256, EdDSA, RS256), so that passkey handlers can be
// tested with no browser; the store conformance suite RunStoreTests, which
// every passkey.Store (memory, Postgres, Redis, or a host's own) must pass;
// and RunCeremonyTests, which runs the Service's ceremonies on a store.
package passkeytest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/passkey"
)

// Parallelism is the number of goroutines the store's concurrency cases
// start.
const Parallelism = 32

// RunStoreTests runs the conformance suite against stores made by
// newStore. newStore is called once per subtest and may return a shared,
// non-empty store: every subtest uses fresh random ids. Expiry is tested by
// passing explicit times.
//
// What the suite assumes of a backend: user and record ids are UUID
// strings; digests are 32 bytes; credential ids are 16 to 64 bytes; times
// round-trip with microsecond precision (compared with time.Time.Equal).
func RunStoreTests(t *testing.T, newStore func(t *testing.T) passkey.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s passkey.Store)
	}{
		{"Challenge/CreateConsume", testChallengeConsume},
		{"Challenge/Duplicate", testChallengeDuplicate},
		{"Challenge/Expiry", testChallengeExpiry},
		{"Challenge/Binding", testChallengeBinding},
		{"Challenge/ParallelConsume", testChallengeParallel},
		{"Credential/CreateGetList", testCredentialRoundTrip},
		{"Credential/Duplicate", testCredentialDuplicate},
		{"Credential/Limit", testCredentialLimit},
		{"Credential/ParallelCreateOverMax", testCredentialParallelCreate},
		{"Credential/Use", testCredentialUse},
		{"Credential/ParallelUseOneCounter", testCredentialParallelUse},
		{"Credential/Rename", testCredentialRename},
		{"Credential/Delete", testCredentialDelete},
		{"Credential/ParallelDeleteKeepOne", testCredentialParallelDelete},
		{"Credential/DeleteUser", testCredentialDeleteUser},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func randBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func challenge(t *testing.T, c passkey.Ceremony, user, sess string) passkey.ChallengeRecord {
	t.Helper()
	sum := sha256.Sum256(randBytes(t, 32))
	return passkey.ChallengeRecord{
		Digest: sum[:], Ceremony: c, UserID: user, SessionID: sess, RPID: RPID,
		UserVerification: passkey.UVPreferred, CreatedAt: base, ExpiresAt: base.Add(5 * time.Minute),
	}
}

func testChallengeConsume(t *testing.T, s passkey.Store) {
	for _, c := range []passkey.ChallengeRecord{
		challenge(t, passkey.CeremonyRegistration, newUser(t), newUser(t)),
		challenge(t, passkey.CeremonySignIn, "", ""),
		challenge(t, passkey.CeremonyMFA, newUser(t), newUser(t)),
	} {
		if err := s.CreateChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := s.ConsumeChallenge(ctx, c.Digest, c.Ceremony, c.UserID, c.SessionID, base.Add(time.Minute))
		if err != nil {
			t.Fatalf("ConsumeChallenge(%s): %v", c.Ceremony, err)
		}
		if !reflect.DeepEqual(got, c) && !(bytes.Equal(got.Digest, c.Digest) && got.Ceremony == c.Ceremony &&
			got.UserID == c.UserID && got.SessionID == c.SessionID && got.RPID == c.RPID &&
			got.UserVerification == c.UserVerification && got.CreatedAt.Equal(c.CreatedAt) && got.ExpiresAt.Equal(c.ExpiresAt)) {
			t.Fatalf("consumed %+v, stored %+v", got, c)
		}
		_, err = s.ConsumeChallenge(ctx, c.Digest, c.Ceremony, c.UserID, c.SessionID, base.Add(time.Minute))
		wantErr(t, "second consume", err, passkey.ErrNotFound)
	}
	_, err := s.ConsumeChallenge(ctx, randBytes(t, 32), passkey.CeremonySignIn, "", "", base)
	wantErr(t, "unknown challenge", err, passkey.ErrNotFound)
}

func testChallengeDuplicate(t *testing.T, s passkey.Store) {
	c := challenge(t, passkey.CeremonySignIn, "", "")
	if err := s.CreateChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	c2 := c
	c2.Ceremony, c2.UserID = passkey.CeremonyMFA, newUser(t)
	wantErr(t, "duplicate digest", s.CreateChallenge(ctx, c2), passkey.ErrDuplicate)
	// The original is untouched.
	if _, err := s.ConsumeChallenge(ctx, c.Digest, c.Ceremony, "", "", base); err != nil {
		t.Fatal(err)
	}
}

func testChallengeExpiry(t *testing.T, s passkey.Store) {
	c := challenge(t, passkey.CeremonySignIn, "", "")
	if err := s.CreateChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	_, err := s.ConsumeChallenge(ctx, c.Digest, c.Ceremony, "", "", c.ExpiresAt)
	wantErr(t, "consume at ExpiresAt", err, passkey.ErrNotFound)
	_, err = s.ConsumeChallenge(ctx, c.Digest, c.Ceremony, "", "", c.ExpiresAt.Add(time.Hour))
	wantErr(t, "consume after ExpiresAt", err, passkey.ErrNotFound)
	c = challenge(t, passkey.CeremonySignIn, "", "")
	if err := s.CreateChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeChallenge(ctx, c.Digest, c.Ceremony, "", "", c.ExpiresAt.Add(-time.Microsecond)); err != nil {
		t.Fatalf("consume just before ExpiresAt: %v", err)
	}
}

func testChallengeBinding(t *testing.T, s passkey.Store) {
	user, sess := newUser(t), newUser(t)
	c := challenge(t, passkey.CeremonyMFA, user, sess)
	if err := s.CreateChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, b := range []struct {
		name       string
		ceremony   passkey.Ceremony
		user, sess string
	}{
		{"other ceremony", passkey.CeremonySignIn, user, sess},
		{"registration", passkey.CeremonyRegistration, user, sess},
		{"other user", passkey.CeremonyMFA, newUser(t), sess},
		{"other session", passkey.CeremonyMFA, user, newUser(t)},
		{"no binding", passkey.CeremonySignIn, "", ""},
	} {
		_, err := s.ConsumeChallenge(ctx, c.Digest, b.ceremony, b.user, b.sess, base)
		wantErr(t, b.name, err, passkey.ErrCeremonyMismatch)
	}
	if _, err := s.ConsumeChallenge(ctx, c.Digest, c.Ceremony, user, sess, base); err != nil {
		t.Fatalf("rightful consume after mismatches: %v", err)
	}
}

func testChallengeParallel(t *testing.T, s passkey.Store) {
	c := challenge(t, passkey.CeremonySignIn, "", "")
	if err := s.CreateChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	errs := race.Run(Parallelism, func(int) error {
		_, err := s.ConsumeChallenge(ctx, c.Digest, c.Ceremony, "", "", base)
		if err == nil {
			wins.Add(1)
		}
		return err
	})
	if wins.Load() != 1 {
		t.Fatalf("%d of %d parallel consumes won, want 1", wins.Load(), Parallelism)
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, passkey.ErrNotFound) {
			t.Fatalf("losing consume: %v", err)
		}
	}
}

func credential(t *testing.T, user string, created time.Time) passkey.CredentialRecord {
	t.Helper()
	return passkey.CredentialRecord{
		ID: newUser(t), UserID: user, CredentialID: randBytes(t, 16), PublicKey: randBytes(t, 77),
		AttestationType: "none", AttestationFormat: "none", AAGUID: make([]byte, 16),
		Transports: []string{"internal", "hybrid"}, SignCount: 0, UserVerified: true,
		BackupEligible: true, BackupState: true, Origin: Origin, CreatedAt: created,
	}
}

func sameCredential(t *testing.T, what string, got, want passkey.CredentialRecord) {
	t.Helper()
	ok := got.ID == want.ID && got.UserID == want.UserID && bytes.Equal(got.CredentialID, want.CredentialID) &&
		bytes.Equal(got.PublicKey, want.PublicKey) && got.AttestationType == want.AttestationType &&
		got.AttestationFormat == want.AttestationFormat && bytes.Equal(got.AAGUID, want.AAGUID) &&
		slices.Equal(got.Transports, want.Transports) && got.SignCount == want.SignCount &&
		got.UserVerified == want.UserVerified && got.BackupEligible == want.BackupEligible &&
		got.BackupState == want.BackupState && got.Alias == want.Alias && got.Origin == want.Origin &&
		got.CreatedAt.Equal(want.CreatedAt) && got.UpdatedAt.Equal(want.UpdatedAt) && got.LastUsedAt.Equal(want.LastUsedAt)
	if !ok {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func testCredentialRoundTrip(t *testing.T, s passkey.Store) {
	user := newUser(t)
	if list, err := s.ListCredentials(ctx, user); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("ListCredentials of a new user = %#v, %v; want an empty slice", list, err)
	}
	a := credential(t, user, base.Add(2*time.Second))
	b := credential(t, user, base.Add(time.Second))
	b.Transports = nil
	b.BackupEligible, b.BackupState, b.UserVerified = false, false, false
	c := credential(t, user, base.Add(2*time.Second)) // same time as a: ordered by ID
	for _, r := range []passkey.CredentialRecord{a, b, c} {
		if err := s.CreateCredential(ctx, r, 10); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetCredential(ctx, a.CredentialID)
	if err != nil {
		t.Fatal(err)
	}
	sameCredential(t, "GetCredential", got, a)
	_, err = s.GetCredential(ctx, randBytes(t, 16))
	wantErr(t, "unknown credential", err, passkey.ErrNotFound)
	list, err := s.ListCredentials(ctx, user)
	if err != nil || len(list) != 3 {
		t.Fatalf("ListCredentials = %d records, %v", len(list), err)
	}
	first, second := a, c
	if c.ID < a.ID {
		first, second = c, a
	}
	sameCredential(t, "list[0]", list[0], b)
	sameCredential(t, "list[1]", list[1], first)
	sameCredential(t, "list[2]", list[2], second)
	if other, _ := s.ListCredentials(ctx, newUser(t)); len(other) != 0 {
		t.Fatalf("another user's list has %d records", len(other))
	}
}

func testCredentialDuplicate(t *testing.T, s passkey.Store) {
	a := credential(t, newUser(t), base)
	if err := s.CreateCredential(ctx, a, 10); err != nil {
		t.Fatal(err)
	}
	sameCredID := credential(t, newUser(t), base)
	sameCredID.CredentialID = a.CredentialID
	wantErr(t, "same credential id, other user", s.CreateCredential(ctx, sameCredID, 10), passkey.ErrDuplicate)
	sameID := credential(t, a.UserID, base)
	sameID.ID = a.ID
	wantErr(t, "same record id", s.CreateCredential(ctx, sameID, 10), passkey.ErrDuplicate)
	if list, _ := s.ListCredentials(ctx, sameCredID.UserID); len(list) != 0 {
		t.Fatal("a refused duplicate was stored")
	}
	if list, _ := s.ListCredentials(ctx, a.UserID); len(list) != 1 {
		t.Fatalf("user holds %d credentials, want 1", len(list))
	}
}

func testCredentialLimit(t *testing.T, s passkey.Store) {
	user := newUser(t)
	for i := range 2 {
		if err := s.CreateCredential(ctx, credential(t, user, base), 2); err != nil {
			t.Fatalf("credential %d: %v", i, err)
		}
	}
	wantErr(t, "over the maximum", s.CreateCredential(ctx, credential(t, user, base), 2), passkey.ErrTooManyPasskeys)
	// Another user is not affected.
	if err := s.CreateCredential(ctx, credential(t, newUser(t), base), 2); err != nil {
		t.Fatal(err)
	}
}

func testCredentialParallelCreate(t *testing.T, s passkey.Store) {
	const max = 3
	user := newUser(t)
	var wins atomic.Int32
	errs := race.Run(Parallelism, func(int) error {
		err := s.CreateCredential(ctx, credential(t, user, base), max)
		if err == nil {
			wins.Add(1)
		}
		return err
	})
	if wins.Load() != max {
		t.Fatalf("%d of %d parallel creations won, want %d", wins.Load(), Parallelism, max)
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, passkey.ErrTooManyPasskeys) {
			t.Fatalf("losing creation: %v", err)
		}
	}
	if list, _ := s.ListCredentials(ctx, user); len(list) != max {
		t.Fatalf("user holds %d credentials, want %d", len(list), max)
	}
}

func testCredentialUse(t *testing.T, s passkey.Store) {
	user := newUser(t)
	c := credential(t, user, base)
	if err := s.CreateCredential(ctx, c, 10); err != nil {
		t.Fatal(err)
	}
	at := base.Add(time.Minute)
	steps := []struct {
		count  uint32
		backup bool
		want   error
	}{
		{0, true, nil}, // both 0: a counterless authenticator
		{0, false, nil},
		{5, true, nil},
		{5, true, passkey.ErrSignCount}, // equal
		{4, true, passkey.ErrSignCount}, // backwards
		{0, true, passkey.ErrSignCount}, // back to 0 after a counter was seen
		{6, false, nil},
		{1 << 31, false, nil}, // large counters round-trip
		{1<<32 - 1, true, nil},
	}
	want := c
	for i, st := range steps {
		at = at.Add(time.Second)
		got, err := s.UseCredential(ctx, user, c.CredentialID, st.count, st.backup, at)
		if !errors.Is(err, st.want) {
			t.Fatalf("step %d: UseCredential(count %d) = %v, want %v", i, st.count, err, st.want)
		}
		if err == nil {
			want.SignCount, want.BackupState, want.LastUsedAt = st.count, st.backup, at
			sameCredential(t, "UseCredential result", got, want)
		}
		stored, _ := s.GetCredential(ctx, c.CredentialID)
		sameCredential(t, "stored after step", stored, want)
	}
	_, err := s.UseCredential(ctx, newUser(t), c.CredentialID, 1<<32-1, true, at)
	wantErr(t, "another user's credential", err, passkey.ErrNotFound)
	_, err = s.UseCredential(ctx, user, randBytes(t, 16), 1, true, at)
	wantErr(t, "unknown credential", err, passkey.ErrNotFound)
}

func testCredentialParallelUse(t *testing.T, s passkey.Store) {
	user := newUser(t)
	c := credential(t, user, base)
	if err := s.CreateCredential(ctx, c, 10); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	errs := race.Run(Parallelism, func(int) error {
		_, err := s.UseCredential(ctx, user, c.CredentialID, 9, false, base)
		if err == nil {
			wins.Add(1)
		}
		return err
	})
	if wins.Load() != 1 {
		t.Fatalf("%d of %d parallel uses with counter 9 won, want 1", wins.Load(), Parallelism)
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, passkey.ErrSignCount) {
			t.Fatalf("losing use: %v", err)
		}
	}
}

func testCredentialRename(t *testing.T, s passkey.Store) {
	user := newUser(t)
	c := credential(t, user, base)
	if err := s.CreateCredential(ctx, c, 10); err != nil {
		t.Fatal(err)
	}
	at := base.Add(time.Hour)
	got, err := s.RenameCredential(ctx, user, c.ID, "Work laptop ✓", at)
	if err != nil {
		t.Fatal(err)
	}
	c.Alias, c.UpdatedAt = "Work laptop ✓", at
	sameCredential(t, "renamed", got, c)
	stored, _ := s.GetCredential(ctx, c.CredentialID)
	sameCredential(t, "stored after rename", stored, c)
	_, err = s.RenameCredential(ctx, newUser(t), c.ID, "x", at)
	wantErr(t, "another user's credential", err, passkey.ErrNotFound)
	_, err = s.RenameCredential(ctx, user, newUser(t), "x", at)
	wantErr(t, "unknown id", err, passkey.ErrNotFound)
}

func testCredentialDelete(t *testing.T, s passkey.Store) {
	user := newUser(t)
	a, b := credential(t, user, base), credential(t, user, base.Add(time.Second))
	for _, r := range []passkey.CredentialRecord{a, b} {
		if err := s.CreateCredential(ctx, r, 10); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, "another user's credential", s.DeleteCredential(ctx, newUser(t), a.ID, false), passkey.ErrNotFound)
	if err := s.DeleteCredential(ctx, user, a.ID, true); err != nil {
		t.Fatalf("delete one of two under keepOne: %v", err)
	}
	wantErr(t, "delete again", s.DeleteCredential(ctx, user, a.ID, false), passkey.ErrNotFound)
	wantErr(t, "delete the last under keepOne", s.DeleteCredential(ctx, user, b.ID, true), passkey.ErrLastCredential)
	if _, err := s.GetCredential(ctx, b.CredentialID); err != nil {
		t.Fatalf("refused delete removed the credential: %v", err)
	}
	if err := s.DeleteCredential(ctx, user, b.ID, false); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetCredential(ctx, a.CredentialID)
	wantErr(t, "get a deleted credential", err, passkey.ErrNotFound)
	if list, _ := s.ListCredentials(ctx, user); len(list) != 0 {
		t.Fatalf("%d credentials left", len(list))
	}
	// A deleted credential id and record id can be registered again.
	if err := s.CreateCredential(ctx, a, 10); err != nil {
		t.Fatalf("re-create a deleted credential: %v", err)
	}
}

func testCredentialParallelDelete(t *testing.T, s passkey.Store) {
	const n = 6
	user := newUser(t)
	ids := make([]string, n)
	for i := range ids {
		c := credential(t, user, base)
		if err := s.CreateCredential(ctx, c, n); err != nil {
			t.Fatal(err)
		}
		ids[i] = c.ID
	}
	var wins atomic.Int32
	errs := race.Run(n, func(i int) error {
		err := s.DeleteCredential(ctx, user, ids[i], true)
		if err == nil {
			wins.Add(1)
		}
		return err
	})
	if wins.Load() != n-1 {
		t.Fatalf("%d of %d parallel deletions under keepOne won, want %d", wins.Load(), n, n-1)
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, passkey.ErrLastCredential) {
			t.Fatalf("losing deletion: %v", err)
		}
	}
	if list, _ := s.ListCredentials(ctx, user); len(list) != 1 {
		t.Fatalf("%d credentials left, want 1", len(list))
	}
}

func testCredentialDeleteUser(t *testing.T, s passkey.Store) {
	user, other := newUser(t), newUser(t)
	var mine []passkey.CredentialRecord
	for range 3 {
		c := credential(t, user, base)
		if err := s.CreateCredential(ctx, c, 10); err != nil {
			t.Fatal(err)
		}
		mine = append(mine, c)
	}
	kept := credential(t, other, base)
	if err := s.CreateCredential(ctx, kept, 10); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := s.DeleteUserCredentials(ctx, user); err != nil {
			t.Fatal(err)
		}
	}
	if list, _ := s.ListCredentials(ctx, user); len(list) != 0 {
		t.Fatalf("%d credentials left", len(list))
	}
	for _, c := range mine {
		_, err := s.GetCredential(ctx, c.CredentialID)
		wantErr(t, "get a credential of a deleted user", err, passkey.ErrNotFound)
	}
	if got, err := s.GetCredential(ctx, kept.CredentialID); err != nil || got.UserID != other {
		t.Fatalf("another user's credential: %+v, %v", got, err)
	}
	// The user starts afresh: the maximum counts from zero.
	for i := range 2 {
		if err := s.CreateCredential(ctx, credential(t, user, base), 2); err != nil {
			t.Fatalf("credential %d after DeleteUserCredentials: %v", i, err)
		}
	}
	if err := s.DeleteUserCredentials(ctx, newUser(t)); err != nil {
		t.Fatalf("a user with no credentials: %v", err)
	}
}
