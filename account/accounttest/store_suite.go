// Package accounttest holds test helpers for hosts of package account: the
// store conformance suite RunStoreTests, which every account.Store (memory,
// Postgres, Redis, or a host's own over its users table) must pass,
// including the concurrency cases: parallel first sign-ins with one
// credential create one user, parallel links of one credential have one
// winner, and a user never loses its last sign-in credential.
package accounttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/internal/random"
)

// Parallelism is the number of goroutines the concurrency cases start.
const Parallelism = 24

// base is a fixed instant at millisecond precision (what the Service
// passes), so that every backend round-trips it exactly.
var base = time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)

// RunStoreTests runs the conformance suite against stores made by newStore.
// newStore is called once per subtest and may return a shared, non-empty
// store: every subtest uses fresh random credentials.
//
// A store may assign its own user and credential ids (see account.Store):
// the suite only uses the ids the store returns.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) account.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s account.Store)
	}{
		{"FindOrCreate/CreatesThenFinds", testFindOrCreate},
		{"FindOrCreate/RefreshesCredential", testRefresh},
		{"Link/AddsAndRefreshes", testLink},
		{"Link/TakenChangesNothing", testLinkTaken},
		{"Link/UnknownUser", testLinkUnknown},
		{"Unlink/Rules", testUnlink},
		{"Unlink/FreesKey", testUnlinkFreesKey},
		{"Get/NotFound", testGetNotFound},
		{"UpdateProfile", testUpdateProfile},
		{"Delete", testDelete},
		{"RoundTrip/Credential", testRoundTrip},
		{"Parallel/FindOrCreateOneKey", testParallelFindOrCreate},
		{"Parallel/FindOrCreateDistinctKeys", testParallelDistinct},
		{"Parallel/LinkOneKey", testParallelLink},
		{"Parallel/LinkOrder", testParallelLinkOrder},
		{"Parallel/UnlinkRacesLink", testUnlinkRacesLink},
		{"Parallel/UnlinkAll", testParallelUnlinkAll},
		{"Parallel/UpdateProfile", testParallelUpdate},
		{"Parallel/DeleteRacesLink", testDeleteRacesLink},
		{"Refresh/KeepsSignIn", testRefreshKeepsSignIn},
		{"Parallel/UnlinkRacesRefresh", testUnlinkRacesRefresh},
		{"Parallel/DeleteRacesFindOrCreate", testDeleteRacesFindOrCreate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func uuid(t *testing.T) string {
	t.Helper()
	id, err := random.UUID(nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// email returns a credential for a fresh random address.
func email(t *testing.T) account.Credential {
	t.Helper()
	return mustCred(t, authkit.VerifiedCredential{Format: authkit.FormatEmail, Email: "u-" + uuid(t) + "@example.com"})
}

// oauth returns a credential for a fresh GitHub account.
func oauth(t *testing.T, name string) account.Credential {
	t.Helper()
	return mustCred(t, authkit.VerifiedCredential{
		Format: authkit.FormatOAuth, OAuthProvider: authkit.ProviderGitHub,
		OAuthAccountID: uuid(t), OAuthUsername: name,
		OAuthEmails: []string{name + "@example.com"}, OAuthAccountPhotos: []string{"https://example.com/" + name + ".png"},
	})
}

func mustCred(t *testing.T, vc authkit.VerifiedCredential) account.Credential {
	t.Helper()
	c, key, err := account.Key(vc)
	if err != nil {
		t.Fatal(err)
	}
	c.ID = uuid(t)
	return account.Credential{Key: key, VerifiedCredential: c}
}

// newUser is the user value the Service passes for a first sign-in.
func newUser(t *testing.T, now time.Time) authkit.User {
	return authkit.User{ID: uuid(t), ProjectEnvironmentID: "env-" + uuid(t)[:8], FirstVisit: &now, LastVisit: &now}
}

// create signs a new user in with cred and returns it.
func create(t *testing.T, s account.Store, cred account.Credential) authkit.User {
	t.Helper()
	u, created, err := s.FindOrCreate(ctxT(t), newUser(t, base), cred, base)
	if err != nil || !created {
		t.Fatalf("FindOrCreate(new) = %v, %v; want created", created, err)
	}
	checkIDs(t, u)
	return u
}

func checkIDs(t *testing.T, u authkit.User) {
	t.Helper()
	if !account.ValidID(u.ID) {
		t.Fatalf("user id %q is not a valid id", u.ID)
	}
	for _, c := range u.VerifiedCredentials {
		if !account.ValidID(c.ID) {
			t.Fatalf("credential id %q is not a valid id", c.ID)
		}
	}
}

// find returns the credential of u with the identity of cred (its key).
func find(t *testing.T, u authkit.User, cred account.Credential) (authkit.VerifiedCredential, bool) {
	t.Helper()
	for _, c := range u.VerifiedCredentials {
		_, k, err := account.Key(c)
		if err == nil && k == cred.Key {
			return c, true
		}
		if c.Format == cred.Format && c.Format != authkit.FormatEmail && c.Format != authkit.FormatPhoneNumber && c.Format != authkit.FormatOAuth &&
			c.PublicIdentifier == cred.PublicIdentifier {
			return c, true
		}
	}
	return authkit.VerifiedCredential{}, false
}

func get(t *testing.T, s account.Store, id string) authkit.User {
	t.Helper()
	u, err := s.Get(ctxT(t), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return u
}

func eqTime(p *time.Time, want time.Time) bool { return p != nil && p.Equal(want) }

func testFindOrCreate(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	cred := email(t)
	nu := newUser(t, base)
	u, created, err := s.FindOrCreate(ctx, nu, cred, base)
	if err != nil || !created {
		t.Fatalf("first FindOrCreate = %v, %v", created, err)
	}
	checkIDs(t, u)
	if u.ProjectEnvironmentID != nu.ProjectEnvironmentID || !eqTime(u.FirstVisit, base) || !eqTime(u.LastVisit, base) {
		t.Fatalf("new user = %+v", u)
	}
	if len(u.VerifiedCredentials) != 1 {
		t.Fatalf("credentials = %+v", u.VerifiedCredentials)
	}
	c := u.VerifiedCredentials[0]
	if c.Email != cred.Email || c.Format != authkit.FormatEmail || !c.SignInEnabled || !eqTime(c.LastSelectedAt, base) {
		t.Fatalf("credential = %+v", c)
	}
	if u.LastVerifiedCredentialID != c.ID {
		t.Fatalf("LastVerifiedCredentialID = %q, want %q", u.LastVerifiedCredentialID, c.ID)
	}
	later := base.Add(time.Hour)
	again := cred
	again.ID = uuid(t)
	u2, created, err := s.FindOrCreate(ctx, newUser(t, later), again, later)
	if err != nil || created {
		t.Fatalf("second FindOrCreate = %v, %v", created, err)
	}
	if u2.ID != u.ID || len(u2.VerifiedCredentials) != 1 || u2.VerifiedCredentials[0].ID != c.ID {
		t.Fatalf("second sign-in gave %+v, want user %s with credential %s", u2, u.ID, c.ID)
	}
	if !eqTime(u2.FirstVisit, base) || !eqTime(u2.LastVisit, later) || !eqTime(u2.VerifiedCredentials[0].LastSelectedAt, later) {
		t.Fatalf("visit not recorded: first %v last %v selected %v", u2.FirstVisit, u2.LastVisit, u2.VerifiedCredentials[0].LastSelectedAt)
	}
	if g := get(t, s, u.ID); !reflect.DeepEqual(g, u2) {
		t.Fatalf("Get = %+v\nwant %+v", g, u2)
	}
}

func testRefresh(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	cred := oauth(t, "old")
	u := create(t, s, cred)
	id := u.VerifiedCredentials[0].ID
	fresh := cred
	fresh.ID = uuid(t)
	fresh.OAuthUsername = "new"
	fresh.OAuthEmails = []string{"new@example.com", "second@example.com"}
	u2, created, err := s.FindOrCreate(ctx, newUser(t, base), fresh, base.Add(time.Minute))
	if err != nil || created {
		t.Fatalf("FindOrCreate = %v, %v", created, err)
	}
	c := u2.VerifiedCredentials[0]
	if c.ID != id || c.OAuthUsername != "new" || !reflect.DeepEqual(c.OAuthEmails, fresh.OAuthEmails) {
		t.Fatalf("refreshed credential = %+v", c)
	}
}

func testLink(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	u := create(t, s, email(t))
	gh := oauth(t, "jane")
	at := base.Add(time.Minute)
	u2, err := s.Link(ctx, u.ID, gh, at)
	if err != nil {
		t.Fatal(err)
	}
	checkIDs(t, u2)
	if len(u2.VerifiedCredentials) != 2 {
		t.Fatalf("credentials = %+v", u2.VerifiedCredentials)
	}
	// Attach order is kept.
	if u2.VerifiedCredentials[0].Format != authkit.FormatEmail || u2.VerifiedCredentials[1].Format != authkit.FormatOAuth {
		t.Fatalf("order = %s, %s", u2.VerifiedCredentials[0].Format, u2.VerifiedCredentials[1].Format)
	}
	linked := u2.VerifiedCredentials[1]
	if u2.LastVerifiedCredentialID != linked.ID || !eqTime(linked.LastSelectedAt, at) {
		t.Fatalf("link not recorded as the last credential: %+v", u2)
	}
	// Linking it again refreshes, never duplicates.
	again := gh
	again.ID = uuid(t)
	again.OAuthUsername = "jane2"
	u3, err := s.Link(ctx, u.ID, again, at.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(u3.VerifiedCredentials) != 2 || u3.VerifiedCredentials[1].ID != linked.ID || u3.VerifiedCredentials[1].OAuthUsername != "jane2" {
		t.Fatalf("relink = %+v", u3.VerifiedCredentials)
	}
	// The linked credential signs the same user in.
	u4, created, err := s.FindOrCreate(ctx, newUser(t, base), gh, at)
	if err != nil || created || u4.ID != u.ID {
		t.Fatalf("sign-in with linked credential = %s, %v, %v", u4.ID, created, err)
	}
}

func testLinkTaken(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	credA, credB := email(t), email(t)
	a, b := create(t, s, credA), create(t, s, credB)
	other := credA
	other.ID = uuid(t)
	if _, err := s.Link(ctx, b.ID, other, base.Add(time.Minute)); !errors.Is(err, account.ErrCredentialTaken) {
		t.Fatalf("Link of another user's credential = %v, want ErrCredentialTaken", err)
	}
	if g := get(t, s, a.ID); !reflect.DeepEqual(g, a) {
		t.Fatalf("owner changed: %+v\nwas %+v", g, a)
	}
	if g := get(t, s, b.ID); !reflect.DeepEqual(g, b) {
		t.Fatalf("loser changed: %+v\nwas %+v", g, b)
	}
}

func testLinkUnknown(t *testing.T, s account.Store) {
	cred := email(t)
	if _, err := s.Link(ctxT(t), uuid(t), cred, base); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("Link to unknown user = %v, want ErrNotFound", err)
	}
	// Nothing was claimed: the credential still creates a user.
	create(t, s, cred)
}

func testUnlink(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	mail := email(t)
	u := create(t, s, mail)
	only := u.VerifiedCredentials[0].ID
	if _, err := s.Unlink(ctx, u.ID, only); !errors.Is(err, account.ErrLastCredential) {
		t.Fatalf("Unlink(last) = %v, want ErrLastCredential", err)
	}
	if _, err := s.Unlink(ctx, u.ID, uuid(t)); !errors.Is(err, account.ErrCredentialNotFound) {
		t.Fatalf("Unlink(unknown credential) = %v, want ErrCredentialNotFound", err)
	}
	if _, err := s.Unlink(ctx, uuid(t), only); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("Unlink(unknown user) = %v, want ErrNotFound", err)
	}
	// Another user's credential id is not this user's.
	v := create(t, s, email(t))
	if _, err := s.Unlink(ctx, v.ID, only); !errors.Is(err, account.ErrCredentialNotFound) {
		t.Fatalf("Unlink(other user's credential) = %v, want ErrCredentialNotFound", err)
	}
	// A credential that cannot sign in never counts, and may always go.
	wallet := walletCred(t)
	u2, err := s.Link(ctx, u.ID, wallet, base.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Unlink(ctx, u.ID, only); !errors.Is(err, account.ErrLastCredential) {
		t.Fatalf("Unlink(last sign-in credential beside a wallet) = %v, want ErrLastCredential", err)
	}
	wid := u2.VerifiedCredentials[1].ID
	u3, err := s.Unlink(ctx, u.ID, wid)
	if err != nil {
		t.Fatalf("Unlink(wallet) = %v", err)
	}
	if len(u3.VerifiedCredentials) != 1 || u3.VerifiedCredentials[0].ID != only {
		t.Fatalf("after unlink: %+v", u3.VerifiedCredentials)
	}
	if u3.LastVerifiedCredentialID != "" {
		t.Fatalf("LastVerifiedCredentialID = %q after unlinking it, want \"\"", u3.LastVerifiedCredentialID)
	}
	if g := get(t, s, u.ID); !reflect.DeepEqual(g, u3) {
		t.Fatalf("Get = %+v\nwant %+v", g, u3)
	}
}

// walletCred is a credential of a format outside the built-in three that
// cannot sign in.
func walletCred(t *testing.T) account.Credential {
	addr := "0x" + uuid(t)
	return account.Credential{Key: "blockchain:" + addr, VerifiedCredential: authkit.VerifiedCredential{
		ID: uuid(t), Format: authkit.FormatBlockchain, Address: addr, Chain: "EVM", PublicIdentifier: addr,
		WalletName: "metamask", NameService: &authkit.NameService{Name: "jane.eth"},
		WalletProperties:          json.RawMessage(`{"a":[1,2]}`),
		WalletAdditionalAddresses: []authkit.WalletAdditionalAddress{{Address: "bc1q", Type: "ordinals"}},
	}}
}

func testUnlinkFreesKey(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	mail, gh := email(t), oauth(t, "x")
	u := create(t, s, mail)
	u, err := s.Link(ctx, u.ID, gh, base)
	if err != nil {
		t.Fatal(err)
	}
	u2, err := s.Unlink(ctx, u.ID, u.VerifiedCredentials[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(u2.VerifiedCredentials) != 1 || u2.LastVerifiedCredentialID != "" {
		t.Fatalf("after unlink: %+v", u2)
	}
	v, created, err := s.FindOrCreate(ctx, newUser(t, base), gh, base)
	if err != nil || !created || v.ID == u.ID {
		t.Fatalf("sign-in with the unlinked credential = %s, %v, %v; want a new user", v.ID, created, err)
	}
}

func testGetNotFound(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	if _, err := s.Get(ctx, uuid(t)); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("Get(unknown) = %v", err)
	}
	if _, err := s.UpdateProfile(ctx, uuid(t), account.Profile{FirstName: ptr("x")}); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("UpdateProfile(unknown) = %v", err)
	}
	if err := s.Delete(ctx, uuid(t)); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("Delete(unknown) = %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func testUpdateProfile(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	u := create(t, s, email(t))
	u2, err := s.UpdateProfile(ctx, u.ID, account.Profile{
		FirstName: ptr("Jane"), LastName: ptr("O'Neil"), Country: ptr("FR"), PoliciesConsent: ptr(false),
		EmailNotification: ptr(true), Metadata: json.RawMessage(`{"plan":"pro","n":12345678901234567}`), BtcWallet: ptr("bc1x"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if u2.FirstName != "Jane" || u2.LastName != "O'Neil" || u2.Country != "FR" || u2.BtcWallet != "bc1x" ||
		u2.PoliciesConsent == nil || *u2.PoliciesConsent || u2.EmailNotification == nil || !*u2.EmailNotification {
		t.Fatalf("after update: %+v", u2)
	}
	var md map[string]any
	dec := json.NewDecoder(bytes.NewReader(u2.Metadata))
	dec.UseNumber()
	if err := dec.Decode(&md); err != nil || md["n"] != json.Number("12345678901234567") {
		t.Fatalf("metadata = %s (%v)", u2.Metadata, err)
	}
	// nil fields stay; "" clears.
	u3, err := s.UpdateProfile(ctx, u.ID, account.Profile{LastName: ptr(""), Alias: ptr("jj")})
	if err != nil {
		t.Fatal(err)
	}
	if u3.FirstName != "Jane" || u3.LastName != "" || u3.Alias != "jj" || u3.Country != "FR" || len(u3.Metadata) == 0 {
		t.Fatalf("second update: %+v", u3)
	}
	if len(u3.VerifiedCredentials) != 1 || u3.LastVerifiedCredentialID != u.LastVerifiedCredentialID {
		t.Fatalf("update touched credentials: %+v", u3)
	}
	if g := get(t, s, u.ID); !reflect.DeepEqual(g, u3) {
		t.Fatalf("Get = %+v\nwant %+v", g, u3)
	}
}

func testDelete(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	mail, gh := email(t), oauth(t, "d")
	u := create(t, s, mail)
	if _, err := s.Link(ctx, u.ID, gh, base); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, u.ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
	if err := s.Delete(ctx, u.ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("second Delete = %v", err)
	}
	if _, err := s.Link(ctx, u.ID, email(t), base); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("Link to deleted user = %v", err)
	}
	// Both keys are free again.
	for _, c := range []account.Credential{mail, gh} {
		v, created, err := s.FindOrCreate(ctx, newUser(t, base), c, base)
		if err != nil || !created || v.ID == u.ID {
			t.Fatalf("sign-in after Delete = %s, %v, %v; want a new user", v.ID, created, err)
		}
	}
}

func testRoundTrip(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	u := create(t, s, oauth(t, "rt"))
	w := walletCred(t)
	u2, err := s.Link(ctx, u.ID, w, base)
	if err != nil {
		t.Fatal(err)
	}
	got := u2.VerifiedCredentials[1]
	want := w.VerifiedCredential
	want.ID, want.LastSelectedAt = got.ID, got.LastSelectedAt
	if !reflect.DeepEqual(normJSON(t, got), normJSON(t, want)) {
		t.Fatalf("credential round trip:\n got %+v\nwant %+v", got, want)
	}
	if g := get(t, s, u.ID); !reflect.DeepEqual(g, u2) {
		t.Fatalf("Get = %+v\nwant %+v", g, u2)
	}
}

// normJSON compares credentials by their wire form (raw JSON fields may be
// re-encoded by a JSON column).
func normJSON(t *testing.T, c authkit.VerifiedCredential) any {
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func testParallelFindOrCreate(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	cred := email(t)
	users := make([]authkit.User, Parallelism)
	createdN := make([]bool, Parallelism)
	errs := race.Run(Parallelism, func(i int) error {
		c := cred
		c.ID = fmt.Sprintf("%s-%d", cred.ID, i)
		var err error
		users[i], createdN[i], err = s.FindOrCreate(ctx, newUser(t, base), c, base)
		return err
	})
	n := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("FindOrCreate %d: %v", i, err)
		}
		if createdN[i] {
			n++
		}
		if users[i].ID != users[0].ID {
			t.Fatalf("parallel first sign-ins made users %s and %s", users[0].ID, users[i].ID)
		}
	}
	if n != 1 {
		t.Fatalf("%d of %d parallel first sign-ins created a user, want 1", n, Parallelism)
	}
	if u := get(t, s, users[0].ID); len(u.VerifiedCredentials) != 1 {
		t.Fatalf("credentials = %+v", u.VerifiedCredentials)
	}
}

func testParallelDistinct(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	ids := make([]string, Parallelism)
	errs := race.Run(Parallelism, func(i int) error {
		u, created, err := s.FindOrCreate(ctx, newUser(t, base), email(t), base)
		if err == nil && !created {
			err = errors.New("not created")
		}
		ids[i] = u.ID
		return err
	})
	seen := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("FindOrCreate %d: %v", i, err)
		}
		if seen[ids[i]] {
			t.Fatalf("two new credentials gave one user %s", ids[i])
		}
		seen[ids[i]] = true
		get(t, s, ids[i])
	}
}

func testParallelLink(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	users := make([]authkit.User, Parallelism)
	for i := range users {
		users[i] = create(t, s, email(t))
	}
	cred := oauth(t, "contested")
	errs := race.Run(Parallelism, func(i int) error {
		c := cred
		c.ID = fmt.Sprintf("%s-%d", cred.ID, i)
		_, err := s.Link(ctx, users[i].ID, c, base)
		return err
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("users %d and %d both linked one credential", winner, i)
			}
			winner = i
		case !errors.Is(err, account.ErrCredentialTaken):
			t.Fatalf("Link %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no parallel Link won")
	}
	for i, u := range users {
		g := get(t, s, u.ID)
		_, holds := find(t, g, cred)
		if holds != (i == winner) || (i != winner && !reflect.DeepEqual(g, u)) {
			t.Fatalf("user %d (winner %d): holds=%v, %+v", i, winner, holds, g)
		}
	}
	owner, created, err := s.FindOrCreate(ctx, newUser(t, base), cred, base)
	if err != nil || created || owner.ID != users[winner].ID {
		t.Fatalf("sign-in with the contested credential = %s, %v, %v; want the winner %s", owner.ID, created, err, users[winner].ID)
	}
}

// testParallelLinkOrder: the credentials each concurrent Link returns are a
// prefix of the user's final list, so attach order is the order the links
// took effect in. A host that keeps only the latest credential of a format
// (an email change) relies on it: the link that returns last sees every
// earlier one before its own.
func testParallelLinkOrder(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	for round := range 4 {
		u := create(t, s, email(t))
		got := make([][]string, Parallelism)
		errs := race.Run(Parallelism, func(i int) error {
			r, err := s.Link(ctx, u.ID, email(t), base)
			for _, c := range r.VerifiedCredentials {
				got[i] = append(got[i], c.ID)
			}
			return err
		})
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		var final []string
		for _, c := range get(t, s, u.ID).VerifiedCredentials {
			final = append(final, c.ID)
		}
		if len(final) != Parallelism+1 {
			t.Fatalf("round %d: %d credentials after %d links, want %d", round, len(final), Parallelism, Parallelism+1)
		}
		for i, ids := range got {
			if len(ids) > len(final) || !reflect.DeepEqual(ids, final[:len(ids)]) {
				t.Fatalf("round %d: link %d returned %v, not a prefix of the final order %v", round, i, ids, final)
			}
		}
	}
}

func testUnlinkRacesLink(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	for round := range 8 {
		contested := oauth(t, "c")
		u := create(t, s, email(t))
		u, err := s.Link(ctx, u.ID, contested, base)
		if err != nil {
			t.Fatal(err)
		}
		cid := u.VerifiedCredentials[1].ID
		v := create(t, s, email(t))
		errs := race.Run(2, func(i int) error {
			if i == 0 {
				_, err := s.Unlink(ctx, u.ID, cid)
				return err
			}
			c := contested
			c.ID = uuid(t)
			_, err := s.Link(ctx, v.ID, c, base)
			return err
		})
		if errs[0] != nil {
			t.Fatalf("round %d: Unlink = %v", round, errs[0])
		}
		if errs[1] != nil && !errors.Is(errs[1], account.ErrCredentialTaken) {
			t.Fatalf("round %d: Link = %v", round, errs[1])
		}
		_, uHolds := find(t, get(t, s, u.ID), contested)
		_, vHolds := find(t, get(t, s, v.ID), contested)
		if uHolds || vHolds != (errs[1] == nil) {
			t.Fatalf("round %d: u holds %v, v holds %v, link err %v", round, uHolds, vHolds, errs[1])
		}
		owner, created, err := s.FindOrCreate(ctx, newUser(t, base), contested, base)
		if err != nil || (vHolds && (created || owner.ID != v.ID)) || (!vHolds && !created) {
			t.Fatalf("round %d: sign-in = %s, %v, %v (v holds %v)", round, owner.ID, created, err, vHolds)
		}
	}
}

func testParallelUnlinkAll(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	u := create(t, s, email(t))
	var err error
	for range 7 {
		if u, err = s.Link(ctx, u.ID, email(t), base); err != nil {
			t.Fatal(err)
		}
	}
	creds := u.VerifiedCredentials
	errs := race.Run(len(creds), func(i int) error {
		_, err := s.Unlink(ctx, u.ID, creds[i].ID)
		return err
	})
	last := 0
	for i, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, account.ErrLastCredential):
			last++
		default:
			t.Fatalf("Unlink %d: %v", i, err)
		}
	}
	g := get(t, s, u.ID)
	if last != 1 || len(g.VerifiedCredentials) != 1 {
		t.Fatalf("%d refusals, %d credentials left; want 1 and 1", last, len(g.VerifiedCredentials))
	}
}

func testParallelUpdate(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	u := create(t, s, email(t))
	type set func(string) account.Profile
	sets := []set{
		func(v string) account.Profile { return account.Profile{Alias: &v} },
		func(v string) account.Profile { return account.Profile{FirstName: &v} },
		func(v string) account.Profile { return account.Profile{LastName: &v} },
		func(v string) account.Profile { return account.Profile{JobTitle: &v} },
		func(v string) account.Profile { return account.Profile{Team: &v} },
		func(v string) account.Profile { return account.Profile{Username: &v} },
	}
	errs := race.Run(len(sets), func(i int) error {
		_, err := s.UpdateProfile(ctx, u.ID, sets[i](fmt.Sprint("v", i)))
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("UpdateProfile %d: %v", i, err)
		}
	}
	g := get(t, s, u.ID)
	got := []string{g.Alias, g.FirstName, g.LastName, g.JobTitle, g.Team, g.Username}
	for i, v := range got {
		if v != fmt.Sprint("v", i) {
			t.Fatalf("field %d = %q: a concurrent update was lost (%v)", i, v, got)
		}
	}
}

func testDeleteRacesLink(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	for round := range 8 {
		u := create(t, s, email(t))
		cred := oauth(t, "r")
		errs := race.Run(2, func(i int) error {
			if i == 0 {
				return s.Delete(ctx, u.ID)
			}
			_, err := s.Link(ctx, u.ID, cred, base)
			return err
		})
		if errs[0] != nil || (errs[1] != nil && !errors.Is(errs[1], account.ErrNotFound)) {
			t.Fatalf("round %d: Delete = %v, Link = %v", round, errs[0], errs[1])
		}
		// The key never points at a deleted user: it signs a new one in.
		v, created, err := s.FindOrCreate(ctx, newUser(t, base), cred, base)
		if err != nil || !created || v.ID == u.ID {
			t.Fatalf("round %d: sign-in after Delete = %s, %v, %v", round, v.ID, created, err)
		}
	}
}

// testRefreshKeepsSignIn: a refresh (FindOrCreate or Link of a key the user
// holds) never changes whether the credential can sign in, else it could
// take the user's last sign-in credential away without Unlink's check.
func testRefreshKeepsSignIn(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	cred := email(t)
	u := create(t, s, cred)
	off := cred
	off.ID, off.SignInEnabled = uuid(t), false
	u2, created, err := s.FindOrCreate(ctx, newUser(t, base), off, base.Add(time.Minute))
	if err != nil || created || u2.ID != u.ID {
		t.Fatalf("FindOrCreate(refresh) = %s, %v, %v", u2.ID, created, err)
	}
	if !u2.VerifiedCredentials[0].SignInEnabled {
		t.Fatal("FindOrCreate's refresh disabled the user's only sign-in credential")
	}
	u3, err := s.Link(ctx, u.ID, off, base.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !u3.VerifiedCredentials[0].SignInEnabled {
		t.Fatal("Link's refresh disabled the user's only sign-in credential")
	}
	if g := get(t, s, u.ID); !g.VerifiedCredentials[0].SignInEnabled {
		t.Fatalf("stored credential = %+v", g.VerifiedCredentials[0])
	}
}

// testUnlinkRacesRefresh: unlinking one of two sign-in credentials while
// the other is refreshed (here with sign-in off, which must not stick)
// leaves the user exactly one sign-in credential.
func testUnlinkRacesRefresh(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	for round := range 8 {
		keep, drop := email(t), email(t)
		u := create(t, s, keep)
		u, err := s.Link(ctx, u.ID, drop, base)
		if err != nil {
			t.Fatal(err)
		}
		dropID := u.VerifiedCredentials[1].ID
		errs := race.Run(2, func(i int) error {
			if i == 0 {
				_, err := s.Unlink(ctx, u.ID, dropID)
				return err
			}
			off := keep
			off.ID, off.SignInEnabled = uuid(t), false
			_, _, err := s.FindOrCreate(ctx, newUser(t, base), off, base.Add(time.Minute))
			return err
		})
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: Unlink = %v, FindOrCreate = %v", round, errs[0], errs[1])
		}
		g := get(t, s, u.ID)
		if len(g.VerifiedCredentials) != 1 || !g.VerifiedCredentials[0].SignInEnabled {
			t.Fatalf("round %d: user left with %+v; want one sign-in credential", round, g.VerifiedCredentials)
		}
	}
}

// testDeleteRacesFindOrCreate: a sign-in racing the deletion of the user
// it signs in either finds the user before it goes or creates a new one;
// either way the key never points at a deleted user afterwards.
func testDeleteRacesFindOrCreate(t *testing.T, s account.Store) {
	ctx := ctxT(t)
	for round := range 8 {
		cred := email(t)
		u := create(t, s, cred)
		var signedIn authkit.User
		errs := race.Run(2, func(i int) error {
			if i == 0 {
				return s.Delete(ctx, u.ID)
			}
			c := cred
			c.ID = uuid(t)
			var err error
			signedIn, _, err = s.FindOrCreate(ctx, newUser(t, base), c, base.Add(time.Minute))
			return err
		})
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: Delete = %v, FindOrCreate = %v", round, errs[0], errs[1])
		}
		if _, err := s.Get(ctx, u.ID); !errors.Is(err, account.ErrNotFound) {
			t.Fatalf("round %d: deleted user still there: %v", round, err)
		}
		owner, created, err := s.FindOrCreate(ctx, newUser(t, base), cred, base.Add(2*time.Minute))
		if err != nil || owner.ID == u.ID {
			t.Fatalf("round %d: sign-in after the race = %s, %v, %v (deleted %s)", round, owner.ID, created, err, u.ID)
		}
		if signedIn.ID != u.ID && (created || owner.ID != signedIn.ID) {
			t.Fatalf("round %d: the user created in the race (%s) lost the key to %s", round, signedIn.ID, owner.ID)
		}
		if _, ok := find(t, get(t, s, owner.ID), cred); !ok {
			t.Fatalf("round %d: owner %s does not hold the key", round, owner.ID)
		}
	}
}
