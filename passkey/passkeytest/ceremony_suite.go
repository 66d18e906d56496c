package passkeytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/internal/race"
	"github.com/authkit/authkit/internal/random"
	"github.com/authkit/authkit/passkey"
)

// Relying party of the ceremony suite.
const (
	RPID   = "example.com"
	Origin = "https://app.example.com"
	// RelatedRPID and RelatedOrigin are a second configured relying party.
	RelatedRPID   = "example.org"
	RelatedOrigin = "https://example.org"
)

// Assertions is how many parallel submissions of one response the
// concurrency cases make.
const Assertions = 20

// RunCeremonyTests runs the passkey ceremonies through the Service on
// stores made by newStore, with a virtual Authenticator: the happy paths
// for ES256, EdDSA and RS256; responses from a wrong origin, for a wrong RP
// ID or a wrong challenge; replayed and cross-ceremony challenges; a
// counter going backwards; another user's passkey; 20 parallel
// submissions of one assertion, of which exactly one passes; the per-user
// maximum under parallel registrations; and passkey management. newStore
// may return a shared store: every case uses fresh user ids.
func RunCeremonyTests(t *testing.T, newStore func(t *testing.T) passkey.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"RegisterSignIn/ES256", func(t *testing.T, e *env) { testRoundTrip(t, e, ES256) }},
		{"RegisterSignIn/EdDSA", func(t *testing.T, e *env) { testRoundTrip(t, e, EdDSA) }},
		{"RegisterSignIn/RS256", func(t *testing.T, e *env) { testRoundTrip(t, e, RS256) }},
		{"RegisterSignIn/RelatedRPID", testRelatedRP},
		{"RegisterSignIn/ClientDataJsonSpelling", testDynamicSpelling},
		{"MFA", testMFA},
		{"Options", testOptions},
		{"WrongOrigin", testWrongOrigin},
		{"WrongRPID", testWrongRPID},
		{"WrongChallenge", testWrongChallenge},
		{"WrongType", testWrongType},
		{"BadSignature", testBadSignature},
		{"MalformedResponse", testMalformed},
		{"ReplayedChallenge", testReplay},
		{"ExpiredChallenge", testExpired},
		{"CrossCeremony", testCrossCeremony},
		{"CounterBackwards", testCounterBackwards},
		{"Counterless", testCounterless},
		{"OtherUsersPasskey", testOtherUser},
		{"UserHandleMismatch", testUserHandleMismatch},
		{"AlreadyRegistered", testAlreadyRegistered},
		{"ParallelAssertions", testParallelAssertions},
		{"ParallelRegistrationsOverMax", testParallelRegistrations},
		{"Manage", testManage},
		{"DeleteLast", testDeleteLast},
		{"DeleteUser", testDeleteUser},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newEnv(t, newStore(t), nil))
		})
	}
}

// env is one Service on a fake clock.
type env struct {
	svc   *passkey.Service
	clock *clock.Fake
	store passkey.Store
}

// accountsFunc adapts a function to passkey.Accounts.
type accountsFunc func(ctx context.Context, userID string) (bool, error)

func (f accountsFunc) CanSignInWithoutPasskeys(ctx context.Context, userID string) (bool, error) {
	return f(ctx, userID)
}

// base is a fixed instant with whole-microsecond precision.
var base = time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, store passkey.Store, accounts passkey.Accounts) *env {
	t.Helper()
	fc := clock.NewFake(base)
	svc, err := passkey.New(passkey.Config{
		RP:          passkey.RelyingParty{ID: RPID, Origins: []string{Origin}},
		Related:     []passkey.RelyingParty{{ID: RelatedRPID, Origins: []string{RelatedOrigin}}},
		Name:        "authkit test",
		Store:       store,
		Accounts:    accounts,
		MaxPasskeys: 3,
		Now:         fc.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, clock: fc, store: store}
}

var ctx = context.Background()

func newUser(t *testing.T) string {
	t.Helper()
	id, err := random.UUID(nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// register runs a whole registration of a new credential on auth for user.
func (e *env) register(t *testing.T, auth *Authenticator, userID string, opts ...Option) (passkey.Passkey, *Credential) {
	t.Helper()
	o, err := e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: userID, Name: "alice@example.com"}, SessionID: "s-" + userID})
	if err != nil {
		t.Fatalf("BeginRegistration: %v", err)
	}
	resp, cred, err := auth.Register(mustJSON(t, o), opts...)
	if err != nil {
		t.Fatalf("authenticator Register: %v", err)
	}
	pk, err := e.svc.FinishRegistration(ctx, userID, "s-"+userID, resp)
	if err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	return pk, cred
}

// signIn returns a sign-in response from auth for a fresh challenge.
func (e *env) signInResponse(t *testing.T, auth *Authenticator, opts ...Option) []byte {
	t.Helper()
	o, err := e.svc.BeginSignIn(ctx, "")
	if err != nil {
		t.Fatalf("BeginSignIn: %v", err)
	}
	resp, err := auth.Assert(mustJSON(t, o), opts...)
	if err != nil {
		t.Fatalf("authenticator Assert: %v", err)
	}
	return resp
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

func testRoundTrip(t *testing.T, e *env, alg Algorithm) {
	auth := &Authenticator{Origin: Origin, Alg: alg}
	user := newUser(t)
	pk, cred := e.register(t, auth, user)
	if pk.UserID != user || pk.CredentialID != b64.EncodeToString(cred.ID) || pk.Origin != Origin || !pk.CreatedAt.Equal(base) {
		t.Fatalf("registered passkey = %+v", pk)
	}
	got, err := e.svc.FinishSignIn(ctx, e.signInResponse(t, auth))
	if err != nil {
		t.Fatalf("FinishSignIn: %v", err)
	}
	if got.UserID != user || got.ID != pk.ID || got.SignCount != 1 || got.LastUsedAt == nil || !got.UserVerified {
		t.Fatalf("signed in with %+v, want user %s passkey %s count 1", got, user, pk.ID)
	}
	// A second sign-in advances the counter.
	if got, err = e.svc.FinishSignIn(ctx, e.signInResponse(t, auth)); err != nil || got.SignCount != 2 {
		t.Fatalf("second FinishSignIn = %+v, %v", got, err)
	}
}

func testRelatedRP(t *testing.T, e *env) {
	auth := &Authenticator{Origin: RelatedOrigin}
	user := newUser(t)
	o, err := e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: user}, SessionID: "s", RPID: RelatedRPID})
	if err != nil {
		t.Fatal(err)
	}
	if o.RP.ID != RelatedRPID {
		t.Fatalf("rp.id = %q", o.RP.ID)
	}
	resp, _, err := auth.Register(mustJSON(t, o))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.FinishRegistration(ctx, user, "s", resp); err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	so, err := e.svc.BeginSignIn(ctx, RelatedRPID)
	if err != nil || so.RPID != RelatedRPID {
		t.Fatalf("BeginSignIn = %+v, %v", so, err)
	}
	a, err := auth.Assert(mustJSON(t, so))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.FinishSignIn(ctx, a); err != nil || got.UserID != user {
		t.Fatalf("FinishSignIn = %+v, %v", got, err)
	}
	// The primary RP's origin may not answer for the related RP ID.
	so, _ = e.svc.BeginSignIn(ctx, RelatedRPID)
	a, _ = auth.Assert(mustJSON(t, so), WithOrigin(Origin))
	_, err = e.svc.FinishSignIn(ctx, a)
	wantErr(t, "primary origin on related RP ID", err, passkey.ErrVerification)
	_, err = e.svc.BeginSignIn(ctx, "evil.example")
	wantErr(t, "unknown RP ID", err, passkey.ErrUnknownRPID)
}

func testDynamicSpelling(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	user := newUser(t)
	e.register(t, auth, user, WithClientDataField("clientDataJson"))
	if got, err := e.svc.FinishSignIn(ctx, e.signInResponse(t, auth, WithClientDataField("clientDataJson"))); err != nil || got.UserID != user {
		t.Fatalf("FinishSignIn = %+v, %v", got, err)
	}
}

func testMFA(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	user := newUser(t)
	pk, _ := e.register(t, auth, user)
	o, err := e.svc.BeginMFA(ctx, user, "sess-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(o.AllowCredentials) != 1 || o.AllowCredentials[0].ID != pk.CredentialID || o.AllowCredentials[0].Type != "public-key" {
		t.Fatalf("allowCredentials = %+v", o.AllowCredentials)
	}
	resp, err := auth.Assert(mustJSON(t, o))
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.FinishMFA(ctx, user, "sess-1", resp)
	if err != nil || got.ID != pk.ID {
		t.Fatalf("FinishMFA = %+v, %v", got, err)
	}
	_, err = e.svc.BeginMFA(ctx, newUser(t), "sess-2", "")
	wantErr(t, "BeginMFA without passkeys", err, passkey.ErrNoPasskeys)
}

func testOptions(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	user := newUser(t)
	o, err := e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: user, Name: "alice@example.com"}, SessionID: "s"})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(mustJSON(t, o), &m); err != nil {
		t.Fatal(err)
	}
	if ex, ok := m["excludeCredentials"].([]any); !ok || len(ex) != 0 {
		t.Fatalf("excludeCredentials = %#v, want an empty array", m["excludeCredentials"])
	}
	if o.Attestation != "none" || o.AuthenticatorSelection.ResidentKey != "preferred" || o.AuthenticatorSelection.UserVerification != "preferred" ||
		o.RP.ID != RPID || o.User.ID != b64.EncodeToString([]byte(user)) || o.User.Name != "alice@example.com" || o.Timeout != 300000 {
		t.Fatalf("creation options = %+v", o)
	}
	if raw, err := b64.DecodeString(o.Challenge); err != nil || len(raw) < 16 {
		t.Fatalf("challenge %q", o.Challenge)
	}
	pk, _ := e.register(t, auth, user)
	o2, err := e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: user}, SessionID: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if len(o2.ExcludeCredentials) != 1 || o2.ExcludeCredentials[0].ID != pk.CredentialID {
		t.Fatalf("excludeCredentials = %+v", o2.ExcludeCredentials)
	}
	if o2.Challenge == o.Challenge {
		t.Fatal("challenge repeated")
	}
	if _, _, err := auth.Register(mustJSON(t, o2)); !errors.Is(err, ErrExcluded) {
		t.Fatalf("authenticator registered an excluded credential: %v", err)
	}
	so, err := e.svc.BeginSignIn(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mustJSON(t, so), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["allowCredentials"]; ok {
		t.Fatalf("sign-in options carry allowCredentials: %s", mustJSON(t, so))
	}
	_, err = e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: ""}})
	wantErr(t, "empty user", err, passkey.ErrInvalidUser)
}

func testWrongOrigin(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	user := newUser(t)
	o, _ := e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: user}, SessionID: "s"})
	resp, _, err := auth.Register(mustJSON(t, o), WithOrigin("https://evil.example"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FinishRegistration(ctx, user, "s", resp)
	wantErr(t, "registration from a wrong origin", err, passkey.ErrVerification)
	auth2 := &Authenticator{Origin: Origin}
	e.register(t, auth2, user)
	_, err = e.svc.FinishSignIn(ctx, e.signInResponse(t, auth2, WithOrigin("https://app.example.com.evil.example")))
	wantErr(t, "assertion from a wrong origin", err, passkey.ErrVerification)
}

func testWrongRPID(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	user := newUser(t)
	o, _ := e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: user}, SessionID: "s"})
	resp, _, err := auth.Register(mustJSON(t, o), WithRPID("evil.example"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FinishRegistration(ctx, user, "s", resp)
	wantErr(t, "registration for a wrong RP ID", err, passkey.ErrVerification)
	auth = &Authenticator{Origin: Origin}
	e.register(t, auth, user)
	_, err = e.svc.FinishSignIn(ctx, e.signInResponse(t, auth, WithRPID(RelatedRPID)))
	wantErr(t, "assertion for a wrong RP ID", err, passkey.ErrVerification)
}

func testWrongChallenge(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	user := newUser(t)
	e.register(t, auth, user)
	other := b64.EncodeToString(make([]byte, 32))
	_, err := e.svc.FinishSignIn(ctx, e.signInResponse(t, auth, WithChallenge(other)))
	wantErr(t, "assertion for a challenge never issued", err, passkey.ErrChallenge)
	_, err = e.svc.FinishSignIn(ctx, e.signInResponse(t, auth, WithChallenge("not base64!")))
	wantErr(t, "assertion with a malformed challenge", err, passkey.ErrChallenge)
	o, _ := e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: user}, SessionID: "s"})
	resp, _, err := (&Authenticator{Origin: Origin}).Register(mustJSON(t, o), WithChallenge(other))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FinishRegistration(ctx, user, "s", resp)
	wantErr(t, "registration for a challenge never issued", err, passkey.ErrChallenge)
}

func testWrongType(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	e.register(t, auth, newUser(t))
	_, err := e.svc.FinishSignIn(ctx, e.signInResponse(t, auth, WithType("webauthn.create")))
	wantErr(t, "assertion with client data type webauthn.create", err, passkey.ErrVerification)
}

func testBadSignature(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	user := newUser(t)
	e.register(t, auth, user)
	_, err := e.svc.FinishSignIn(ctx, e.signInResponse(t, auth, WithBadSignature()))
	wantErr(t, "assertion with a corrupted signature", err, passkey.ErrVerification)
	// The counter was not advanced by the refused assertion.
	list, _ := e.svc.List(ctx, user)
	if len(list) != 1 || list[0].SignCount != 0 || list[0].LastUsedAt != nil {
		t.Fatalf("refused assertion changed the passkey: %+v", list)
	}
}

func testMalformed(t *testing.T, e *env) {
	for _, body := range []string{``, `{}`, `null`, `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{}}`, `[1,2]`} {
		_, err := e.svc.FinishSignIn(ctx, []byte(body))
		wantErr(t, "FinishSignIn("+body+")", err, passkey.ErrInvalidResponse)
		_, err = e.svc.FinishRegistration(ctx, "u", "s", []byte(body))
		wantErr(t, "FinishRegistration("+body+")", err, passkey.ErrInvalidResponse)
	}
}

func testReplay(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	user := newUser(t)
	e.register(t, auth, user)
	resp := e.signInResponse(t, auth)
	if _, err := e.svc.FinishSignIn(ctx, resp); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.FinishSignIn(ctx, resp)
	wantErr(t, "replayed assertion", err, passkey.ErrChallenge)
	// A registration response cannot be replayed either.
	o, _ := e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: user}, SessionID: "s"})
	reg, _, err := (&Authenticator{Origin: Origin}).Register(mustJSON(t, o))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.FinishRegistration(ctx, user, "s", reg); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FinishRegistration(ctx, user, "s", reg)
	wantErr(t, "replayed registration", err, passkey.ErrChallenge)
}

func testExpired(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	e.register(t, auth, newUser(t))
	resp := e.signInResponse(t, auth)
	e.clock.Advance(passkey.DefaultChallengeTTL)
	_, err := e.svc.FinishSignIn(ctx, resp)
	wantErr(t, "assertion after the challenge expired", err, passkey.ErrChallenge)
	resp = e.signInResponse(t, auth)
	e.clock.Advance(passkey.DefaultChallengeTTL - time.Second)
	if _, err := e.svc.FinishSignIn(ctx, resp); err != nil {
		t.Fatalf("assertion just before expiry: %v", err)
	}
}

func testCrossCeremony(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	user := newUser(t)
	e.register(t, auth, user)
	// A sign-in challenge answered on the MFA step.
	signIn := e.signInResponse(t, auth)
	_, err := e.svc.FinishMFA(ctx, user, "sess", signIn)
	wantErr(t, "sign-in challenge used for MFA", err, passkey.ErrCeremonyMismatch)
	// An MFA challenge of one session answered in another, or by another
	// user, or on the sign-in step.
	o, _ := e.svc.BeginMFA(ctx, user, "sess", "")
	mfa, err := auth.Assert(mustJSON(t, o))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FinishMFA(ctx, user, "other-session", mfa)
	wantErr(t, "MFA challenge in another session", err, passkey.ErrCeremonyMismatch)
	_, err = e.svc.FinishMFA(ctx, newUser(t), "sess", mfa)
	wantErr(t, "MFA challenge of another user", err, passkey.ErrCeremonyMismatch)
	_, err = e.svc.FinishSignIn(ctx, mfa)
	wantErr(t, "MFA challenge used to sign in", err, passkey.ErrCeremonyMismatch)
	// A registration challenge answered by an assertion.
	ro, _ := e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: user}, SessionID: "sess"})
	a, err := auth.Assert(mustJSON(t, RequestOptionsFor(ro)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FinishSignIn(ctx, a)
	wantErr(t, "registration challenge used to sign in", err, passkey.ErrCeremonyMismatch)
	// The mismatches consumed nothing: the rightful answers still pass.
	if _, err := e.svc.FinishSignIn(ctx, signIn); err != nil {
		t.Fatalf("sign-in after mismatches: %v", err)
	}
	if _, err := e.svc.FinishMFA(ctx, user, "sess", mfa); err != nil {
		t.Fatalf("MFA after mismatches: %v", err)
	}
}

// RequestOptionsFor turns creation options into request options with the
// same challenge and RP ID, to build cross-ceremony responses.
func RequestOptionsFor(o passkey.CreationOptions) passkey.RequestOptions {
	return passkey.RequestOptions{Challenge: o.Challenge, RPID: o.RP.ID, UserVerification: o.AuthenticatorSelection.UserVerification}
}

func testCounterBackwards(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	user := newUser(t)
	e.register(t, auth, user)
	cred := auth.Credentials()[0]
	if _, err := e.svc.FinishSignIn(ctx, e.signInResponse(t, auth, WithSignCount(10))); err != nil {
		t.Fatal(err)
	}
	for _, n := range []uint32{10, 9, 0} {
		_, err := e.svc.FinishSignIn(ctx, e.signInResponse(t, auth, WithSignCount(n)))
		wantErr(t, fmt.Sprintf("counter 10 then %d", n), err, passkey.ErrSignCount)
	}
	cred.SetSignCount(10)
	if got, err := e.svc.FinishSignIn(ctx, e.signInResponse(t, auth)); err != nil || got.SignCount != 11 {
		t.Fatalf("counter 11: %+v, %v", got, err)
	}
}

func testCounterless(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin, Counterless: true, BackupEligible: true}
	user := newUser(t)
	e.register(t, auth, user)
	for i := range 3 {
		if got, err := e.svc.FinishSignIn(ctx, e.signInResponse(t, auth)); err != nil || got.SignCount != 0 {
			t.Fatalf("counterless sign-in %d: %+v, %v", i, got, err)
		}
	}
	// Once a counter was seen, 0 is a step backwards.
	if _, err := e.svc.FinishSignIn(ctx, e.signInResponse(t, auth, WithSignCount(3))); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.FinishSignIn(ctx, e.signInResponse(t, auth, WithSignCount(0)))
	wantErr(t, "counter 3 then 0", err, passkey.ErrSignCount)
}

func testOtherUser(t *testing.T, e *env) {
	alice, bob := newUser(t), newUser(t)
	aliceAuth, bobAuth := &Authenticator{Origin: Origin}, &Authenticator{Origin: Origin}
	e.register(t, aliceAuth, alice)
	e.register(t, bobAuth, bob)
	o, _ := e.svc.BeginMFA(ctx, alice, "sess", "")
	resp, err := bobAuth.Assert(mustJSON(t, o), WithCredential(bobAuth.Credentials()[0]))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FinishMFA(ctx, alice, "sess", resp)
	wantErr(t, "MFA with another user's passkey", err, passkey.ErrCredentialNotFound)
	// An unknown credential.
	stranger := &Authenticator{Origin: Origin}
	so, _ := e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: newUser(t)}, SessionID: "x"})
	if _, _, err := stranger.Register(mustJSON(t, so)); err != nil { // never finished
		t.Fatal(err)
	}
	_, err = e.svc.FinishSignIn(ctx, e.signInResponse(t, stranger))
	wantErr(t, "sign-in with an unregistered credential", err, passkey.ErrCredentialNotFound)
}

func testUserHandleMismatch(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	e.register(t, auth, newUser(t))
	_, err := e.svc.FinishSignIn(ctx, e.signInResponse(t, auth, WithUserHandle([]byte(newUser(t)))))
	wantErr(t, "sign-in with another user's handle", err, passkey.ErrCredentialNotFound)
	// No userHandle at all: the credential id alone finds the user.
	if _, err := e.svc.FinishSignIn(ctx, e.signInResponse(t, auth, WithUserHandle(nil))); err != nil {
		t.Fatalf("sign-in without userHandle: %v", err)
	}
}

func testAlreadyRegistered(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	user := newUser(t)
	o, _ := e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: user}, SessionID: "s"})
	resp, _, err := auth.Register(mustJSON(t, o))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.FinishRegistration(ctx, user, "s", resp); err != nil {
		t.Fatal(err)
	}
	// The same attestation on a fresh challenge (a client ignoring
	// excludeCredentials) is refused by the store's uniqueness.
	o2, _ := e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: user}, SessionID: "s"})
	resp2 := swapChallenge(t, resp, o2.Challenge, auth)
	_, err = e.svc.FinishRegistration(ctx, user, "s", resp2)
	wantErr(t, "registering a registered credential", err, passkey.ErrCredentialExists)
}

// swapChallenge rebuilds a registration response for the same credential
// with another challenge.
func swapChallenge(t *testing.T, resp []byte, challenge string, auth *Authenticator) []byte {
	t.Helper()
	cred := auth.Credentials()[0]
	c := &ceremony{origin: auth.Origin, rpID: cred.RPID, challenge: &challenge, typ: "webauthn.create", clientField: "clientDataJSON"}
	cd, err := c.clientData()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(resp, &m); err != nil {
		t.Fatal(err)
	}
	m["response"].(map[string]any)["clientDataJSON"] = b64.EncodeToString(cd)
	return mustJSON(t, m)
}

func testParallelAssertions(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin, Counterless: true}
	user := newUser(t)
	e.register(t, auth, user)
	for _, ceremony := range []string{"signin", "mfa"} {
		var resp []byte
		if ceremony == "signin" {
			resp = e.signInResponse(t, auth)
		} else {
			o, _ := e.svc.BeginMFA(ctx, user, "sess", "")
			resp, _ = auth.Assert(mustJSON(t, o))
		}
		var wins atomic.Int32
		errs := race.Run(Assertions, func(int) error {
			var err error
			if ceremony == "signin" {
				_, err = e.svc.FinishSignIn(ctx, resp)
			} else {
				_, err = e.svc.FinishMFA(ctx, user, "sess", resp)
			}
			if err == nil {
				wins.Add(1)
			}
			return err
		})
		if wins.Load() != 1 {
			t.Fatalf("%s: %d of %d parallel submissions of one assertion passed, want 1", ceremony, wins.Load(), Assertions)
		}
		for _, err := range errs {
			if err != nil && !errors.Is(err, passkey.ErrChallenge) {
				t.Fatalf("%s: losing submission: %v, want ErrChallenge", ceremony, err)
			}
		}
	}
	// Parallel assertions with distinct challenges but one counter value:
	// the counter admits one.
	counted := &Authenticator{Origin: Origin}
	e.register(t, counted, newUser(t))
	resps := make([][]byte, Assertions)
	for i := range resps {
		resps[i] = e.signInResponse(t, counted, WithSignCount(7))
	}
	var wins atomic.Int32
	race.Run(Assertions, func(i int) error {
		_, err := e.svc.FinishSignIn(ctx, resps[i])
		if err == nil {
			wins.Add(1)
		} else if !errors.Is(err, passkey.ErrSignCount) {
			t.Errorf("losing assertion: %v, want ErrSignCount", err)
		}
		return err
	})
	if wins.Load() != 1 {
		t.Fatalf("%d of %d parallel assertions carrying counter 7 passed, want 1", wins.Load(), Assertions)
	}
}

func testParallelRegistrations(t *testing.T, e *env) {
	const n = 8 // MaxPasskeys is 3
	user := newUser(t)
	resps := make([][]byte, n)
	for i := range resps {
		o, err := e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: user}, SessionID: "s"})
		if err != nil {
			t.Fatal(err)
		}
		if resps[i], _, err = (&Authenticator{Origin: Origin}).Register(mustJSON(t, o)); err != nil {
			t.Fatal(err)
		}
	}
	var wins atomic.Int32
	race.Run(n, func(i int) error {
		_, err := e.svc.FinishRegistration(ctx, user, "s", resps[i])
		if err == nil {
			wins.Add(1)
		} else if !errors.Is(err, passkey.ErrTooManyPasskeys) {
			t.Errorf("losing registration: %v, want ErrTooManyPasskeys", err)
		}
		return err
	})
	if wins.Load() != 3 {
		t.Fatalf("%d of %d parallel registrations passed, want the maximum 3", wins.Load(), n)
	}
	_, err := e.svc.BeginRegistration(ctx, passkey.Registration{User: passkey.User{ID: user}, SessionID: "s"})
	wantErr(t, "BeginRegistration at the maximum", err, passkey.ErrTooManyPasskeys)
}

func testManage(t *testing.T, e *env) {
	user := newUser(t)
	first, _ := e.register(t, &Authenticator{Origin: Origin}, user)
	e.clock.Advance(time.Second)
	second, _ := e.register(t, &Authenticator{Origin: Origin}, user)
	list, err := e.svc.List(ctx, user)
	if err != nil || len(list) != 2 || list[0].ID != first.ID || list[1].ID != second.ID {
		t.Fatalf("List = %+v, %v", list, err)
	}
	got, err := e.svc.Rename(ctx, user, second.ID, "YubiKey")
	if err != nil || got.Alias != "YubiKey" || got.UpdatedAt == nil {
		t.Fatalf("Rename = %+v, %v", got, err)
	}
	_, err = e.svc.Rename(ctx, newUser(t), second.ID, "mine")
	wantErr(t, "renaming another user's passkey", err, passkey.ErrCredentialNotFound)
	_, err = e.svc.Rename(ctx, user, second.ID, string(make([]byte, passkey.MaxAliasLen+1)))
	wantErr(t, "overlong alias", err, passkey.ErrInvalidAlias)
	err = e.svc.Delete(ctx, newUser(t), first.ID)
	wantErr(t, "deleting another user's passkey", err, passkey.ErrCredentialNotFound)
	if err := e.svc.Delete(ctx, user, first.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	err = e.svc.Delete(ctx, user, first.ID)
	wantErr(t, "deleting twice", err, passkey.ErrCredentialNotFound)
	if list, _ := e.svc.List(ctx, user); len(list) != 1 || list[0].ID != second.ID || list[0].Alias != "YubiKey" {
		t.Fatalf("List after delete = %+v", list)
	}
}

func testDeleteLast(t *testing.T, e *env) {
	user := newUser(t)
	pk, _ := e.register(t, &Authenticator{Origin: Origin}, user)
	err := e.svc.Delete(ctx, user, pk.ID)
	wantErr(t, "deleting the last passkey with no other sign-in", err, passkey.ErrLastCredential)
	other := false
	e2 := newEnv(t, e.store, accountsFunc(func(_ context.Context, id string) (bool, error) { return other && id == user, nil }))
	wantErr(t, "deleting when Accounts says no", e2.svc.Delete(ctx, user, pk.ID), passkey.ErrLastCredential)
	other = true
	if err := e2.svc.Delete(ctx, user, pk.ID); err != nil {
		t.Fatalf("deleting with another sign-in credential: %v", err)
	}
	boom := errors.New("account store down")
	e3 := newEnv(t, e.store, accountsFunc(func(context.Context, string) (bool, error) { return false, boom }))
	pk2, _ := e3.register(t, &Authenticator{Origin: Origin}, user)
	wantErr(t, "Accounts failing", e3.svc.Delete(ctx, user, pk2.ID), boom)
	// Parallel deletion of the last two: one stays.
	pk3, _ := e.register(t, &Authenticator{Origin: Origin}, user)
	ids := []string{pk2.ID, pk3.ID}
	var wins atomic.Int32
	race.Run(2, func(i int) error {
		err := e.svc.Delete(ctx, user, ids[i])
		if err == nil {
			wins.Add(1)
		}
		return err
	})
	if wins.Load() != 1 {
		t.Fatalf("%d of 2 parallel deletions of the last two passkeys passed, want 1", wins.Load())
	}
}

func testDeleteUser(t *testing.T, e *env) {
	auth := &Authenticator{Origin: Origin}
	user := newUser(t)
	e.register(t, auth, user)
	resp := e.signInResponse(t, auth)
	if err := e.svc.DeleteUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.FinishSignIn(ctx, resp)
	wantErr(t, "sign-in with a deleted user's passkey", err, passkey.ErrCredentialNotFound)
	if list, err := e.svc.List(ctx, user); err != nil || len(list) != 0 {
		t.Fatalf("List after DeleteUser = %+v, %v", list, err)
	}
	wantErr(t, "DeleteUser with no user", e.svc.DeleteUser(ctx, ""), passkey.ErrInvalidUser)
}
