package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authkit/authkit/passkey/passkeytest"
	"github.com/authkit/authkit/session"
)

// DELETE users: the user, its credentials, sessions and MFA devices go; its
// tokens stop working at once; its phone number then signs in a new user.
func testDeleteUser(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(60, nil)
	e.clock.Advance(time.Minute)   // the send cooldown
	second := e.smsSignIn(60, nil) // another session of the same user
	r := e.do(req{Method: "DELETE", Path: "users", Bearer: v.MinifiedJWT})
	expectStatus(t, r, 204)
	for _, tok := range []string{v.MinifiedJWT, second.MinifiedJWT, v.JWT} {
		expectError(t, e.do(req{Method: "GET", Path: "session", Bearer: tok}), 401, "unauthorized")
		expectError(t, e.do(req{Method: "GET", Path: "users", Bearer: tok}), 401, "unauthorized")
	}
	expectError(t, e.do(req{Method: "DELETE", Path: "users", Bearer: second.MinifiedJWT}), 401, "unauthorized")
	e.clock.Advance(time.Minute)
	again := e.smsSignIn(60, nil)
	if again.User.ID == v.User.ID || again.User.NewUser == nil || !*again.User.NewUser {
		t.Fatalf("sign-in after delete: user %s (was %s), newUser %v", again.User.ID, v.User.ID, again.User.NewUser)
	}

	// A user with TOTP needs a second factor to delete, and its devices go.
	m := e.smsSignIn(61, nil)
	_, secret := e.enrollTOTP(m.MinifiedJWT)
	expectError(t, e.do(req{Method: "DELETE", Path: "users", Bearer: m.MinifiedJWT}), 403, "step_up_required")
	e.clock.Advance(time.Minute)
	p := e.smsSignIn(61, nil)
	r = e.do(req{Method: "POST", Path: "users/mfa/auth/totp", Bearer: p.MinifiedJWT, Body: map[string]any{
		"code": e.totpCode(secret), "createMfaToken": map[string]any{"singleUse": true},
	}})
	expectStatus(t, r, 200)
	var up verifyResponse
	r.JSON(t, &up)
	r = e.do(req{Method: "DELETE", Path: "users", Bearer: up.MinifiedJWT, Header: map[string]string{mfaTokenHeader: up.MFAToken}})
	expectStatus(t, r, 204)
	expectError(t, e.do(req{Method: "GET", Path: "session", Bearer: m.MinifiedJWT}), 401, "unauthorized")
	e.clock.Advance(2 * time.Minute)
	fresh := e.smsSignIn(61, nil)
	if fresh.User.ID == m.User.ID || hasScope(decodeJWT(t, fresh.MinifiedJWT).Scope, "requiresAdditionalAuth") {
		t.Fatalf("after delete the number signs in the old user or an MFA-pending session: %s", fresh.raw.Body)
	}
}

// POST verify/unlink: removes a credential and re-issues the tokens; never
// the last sign-in credential; never another user's.
func testVerifyUnlink(t *testing.T, newStores storeFactory) {
	e := newTestEnv(t, newStores)
	v := e.smsSignIn(62, nil)
	other := e.emailSignIn("unlink-other@example.com")
	id := e.emailStart("unlink@example.com")
	r := e.do(req{Method: "POST", Path: "emailVerifications/verify", Bearer: v.MinifiedJWT, Body: map[string]any{
		"verificationUUID": id, "verificationToken": e.lastCode("unlink@example.com"),
	}})
	expectStatus(t, r, 200)
	var linked verifyResponse
	r.JSON(t, &linked)
	if len(linked.User.VerifiedCredentials) != 2 {
		t.Fatalf("link %s", r.Body)
	}
	phoneID := linked.User.VerifiedCredentials[0].ID
	emailID := linked.User.VerifiedCredentials[1].ID
	bearer := linked.MinifiedJWT

	expectError(t, e.do(req{Method: "POST", Path: "verify/unlink", Bearer: bearer, Body: map[string]any{}}), 422, "invalid_unlink_request")
	expectError(t, e.do(req{Method: "POST", Path: "verify/unlink", Bearer: bearer, Body: map[string]any{
		"verifiedCredentialId": other.User.VerifiedCredentials[0].ID}}), 422, "invalid_unlink_request")
	expectError(t, e.do(req{Method: "POST", Path: "verify/unlink", Bearer: bearer, Body: map[string]any{
		"verifiedCredentialId": "../x y"}}), 422, "invalid_unlink_request")

	// The legacy spelling works; the answer carries new tokens.
	r = e.do(req{Method: "POST", Path: "verify/unlink", Bearer: bearer, Body: map[string]any{"verifiedCrentialId": phoneID}})
	expectStatus(t, r, 200)
	var un verifyResponse
	r.JSON(t, &un)
	if len(un.User.VerifiedCredentials) != 1 || un.User.VerifiedCredentials[0].ID != emailID || un.User.PhoneNumber != "" || un.MinifiedJWT == "" || un.JWT == "" {
		t.Fatalf("unlink %s", r.Body)
	}
	if c := decodeJWT(t, un.JWT); c.Sid != decodeJWT(t, v.JWT).Sid || len(c.Creds) != 1 {
		t.Fatalf("re-issued token: sid %s, %d credentials", c.Sid, len(c.Creds))
	}
	expectError(t, e.do(req{Method: "POST", Path: "verify/unlink", Bearer: un.MinifiedJWT, Body: map[string]any{"verifiedCredentialId": emailID}}), 422, "cannot_delete_last_sign_in_verified_credential")
	// The other user's credential is untouched, and the freed number signs
	// in a new user.
	expectStatus(t, e.do(req{Method: "GET", Path: "users", Bearer: other.MinifiedJWT}), 200)
	e.clock.Advance(time.Minute)
	if n := e.smsSignIn(62, nil); n.User.ID == v.User.ID {
		t.Fatal("an unlinked number still signs in its old user")
	}
}

// sharedBackend returns store factories whose every call opens a new
// connection to one shared database (one schema, one key prefix): each call
// is a separate process's view of one deployment.
type sharedBackend struct {
	name string
	open func(t *testing.T, env string) *storeSet
}

func sharedBackends(t *testing.T) []sharedBackend {
	return []sharedBackend{
		{"postgres", func() func(t *testing.T, env string) *storeSet {
			var once sync.Once
			var schema string
			return func(t *testing.T, env string) *storeSet {
				dsn := backendURL(t, "AUTHKIT_TEST_POSTGRES")
				once.Do(func() { schema = newSharedSchema(t, dsn) })
				s, err := openPostgres(context.Background(), dsn, env, schema)
				if err != nil {
					t.Fatalf("openPostgres: %v", err)
				}
				return s
			}
		}()},
		{"redis", func() func(t *testing.T, env string) *storeSet {
			prefix := "e2e:" + randomName(t)
			return func(t *testing.T, env string) *storeSet {
				s, err := openRedis(context.Background(), backendURL(t, "AUTHKIT_TEST_REDIS"), env, prefix)
				if err != nil {
					t.Fatalf("openRedis: %v", err)
				}
				return s
			}
		}()},
	}
}

// newSharedSchema creates a schema dropped when the test ends.
func newSharedSchema(t *testing.T, dsn string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	schema := "e2e_" + randomName(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, dsn); err == nil {
			c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	return schema
}

// deployment is the configuration instances of one deployment share: the
// master secret (code hashing, sealed TOTP secrets), the signing key and
// the issuer.
func deployment(t *testing.T) func(*config) {
	k, err := session.GenerateKey(session.ES256)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := k.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "signing.pem")
	if err := os.WriteFile(file, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	secret := randomName(t) + randomName(t) + randomName(t) + randomName(t) + randomName(t) + randomName(t)
	return func(c *config) {
		c.Secret, c.SigningKeyFile = secret, file
		c.Issuer = "http://localhost" + apiPrefix + testEnvID // one issuer for every instance
	}
}

// alignClocks sets both fake clocks to the later of the two.
func alignClocks(a, b *testEnv) {
	if d := a.clock.Now().Sub(b.clock.Now()); d > 0 {
		b.clock.Advance(d)
	} else {
		a.clock.Advance(-d)
	}
}

// TestRestartKeepsUsers: a user who enrolled TOTP gets, after a restart on
// the same database, the same user id and an MFA-pending session, and the
// TOTP device still works.
func TestRestartKeepsUsers(t *testing.T) {
	for _, b := range sharedBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			dep := deployment(t)
			first := newTestEnv(t, b.open, dep)
			v := first.smsSignIn(70, nil)
			_, secret := first.enrollTOTP(v.MinifiedJWT)
			now := first.clock.Now()
			first.ts.Close()
			first.srv.Close()

			second := newTestEnv(t, b.open, dep)
			second.clock.Set(now.Add(time.Minute)) // past the send cooldown
			p := second.smsSignIn(70, nil)
			if p.User.ID != v.User.ID || *p.User.NewUser {
				t.Fatalf("after restart: user %s (newUser %v), want %s", p.User.ID, *p.User.NewUser, v.User.ID)
			}
			if sc := decodeJWT(t, p.MinifiedJWT).Scope; !hasScope(sc, "requiresAdditionalAuth") || hasScope(sc, "user:basic") {
				t.Fatalf("after restart the TOTP user got scope %q", sc)
			}
			r := second.do(req{Method: "POST", Path: "users/mfa/auth/totp", Bearer: p.MinifiedJWT, Body: map[string]any{"code": second.totpCode(secret)}})
			expectStatus(t, r, 200)
		})
	}
}

// TestTwoInstances: two servers on one PostgreSQL, and two on one Redis,
// are one deployment: the same users, one attempt budget per code, one
// sign-in per code, one use per TOTP step.
func TestTwoInstances(t *testing.T) {
	for _, b := range sharedBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			dep := deployment(t)
			a, c := newTestEnv(t, b.open, dep), newTestEnv(t, b.open, dep)
			alignClocks(a, c)
			both := []*testEnv{a, c}
			advance := func(d time.Duration) { a.clock.Advance(d); c.clock.Advance(d) }

			// A user created on one instance is the same user on the other.
			v := a.smsSignIn(71, nil)
			advance(time.Minute) // the send cooldown, shared by both
			w := c.smsSignIn(71, nil)
			if w.User.ID != v.User.ID || *w.User.NewUser {
				t.Fatalf("instance B made user %s, A had %s", w.User.ID, v.User.ID)
			}
			// A's token works on B, and a profile change on B shows on A.
			expectStatus(t, c.do(req{Method: "PUT", Path: "users", Bearer: v.MinifiedJWT, Body: map[string]any{"firstName": "Ada"}}), 200)
			r := a.do(req{Method: "GET", Path: "users", Bearer: w.MinifiedJWT})
			expectStatus(t, r, 200)
			if r.Map(t)["firstName"] != "Ada" {
				t.Fatalf("A does not see B's update: %s", r.Body)
			}

			// 40 parallel wrong codes split across both: exactly MaxAttempts
			// (5) are evaluated.
			national, e164 := testPhone(72)
			id := a.smsStart(national)
			code := a.lastCode(e164)
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			res := parallelSignins(t, both, 40, id, wrong)
			if res[smsCodes.wrong] != 5 || res[smsCodes.tooMany] != 35 {
				t.Fatalf("40 wrong codes over two instances: %v; want exactly 5 evaluated", res)
			}
			for _, e := range both {
				expectError(t, e.do(req{Method: "POST", Path: "smsVerifications/signin", Body: map[string]any{"verificationUUID": id, "verificationToken": code}}), 422, smsCodes.tooMany)
			}

			// 20 parallel right codes across both: exactly one sign-in.
			national, e164 = testPhone(73)
			id = c.smsStart(national)
			res = parallelSignins(t, both, 20, id, c.lastCode(e164))
			if res["200"] != 1 || res[smsCodes.invalid] != 19 {
				t.Fatalf("20 right codes over two instances: %v; want exactly one sign-in", res)
			}

			// The TOTP replay guard holds across instances: MFA-pending
			// sessions on both race one code; one is accepted.
			u := a.smsSignIn(74, nil)
			_, secret := a.enrollTOTP(u.MinifiedJWT)
			c.clock.Set(a.clock.Now())
			user, err := a.srv.accounts.Get(context.Background(), u.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			var pending []string
			for range 8 {
				toks, err := a.srv.sessions.Mint(context.Background(), user, session.MintOptions{MFAPending: true})
				if err != nil {
					t.Fatal(err)
				}
				pending = append(pending, toks.MinifiedJWT)
			}
			totp := a.totpCode(secret)
			statuses := make([]int, len(pending))
			var wg sync.WaitGroup
			for i, tok := range pending {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses[i] = both[i%2].post(t, "users/mfa/auth/totp", tok, `{"code":"`+totp+`"}`)
				}()
			}
			wg.Wait()
			ok := 0
			for _, s := range statuses {
				switch s {
				case 200:
					ok++
				case 422, 429:
				default:
					t.Fatalf("statuses %v", statuses)
				}
			}
			if ok != 1 {
				t.Fatalf("one TOTP code was accepted %d times over two instances (%v)", ok, statuses)
			}
		})
	}
}

// post sends a bearer POST from a goroutine (no t.Fatal) and returns the
// status, 0 on a transport error.
func (e *testEnv) post(t *testing.T, path, bearer, body string) int {
	hr, err := http.NewRequest("POST", e.base+"/"+path, stringsReader(body))
	if err != nil {
		t.Error(err)
		return 0
	}
	hr.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := e.ts.Client().Do(hr)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer res.Body.Close()
	return res.StatusCode
}

// parallelSignins sends n simultaneous SMS sign-ins for one verification,
// alternating between the instances, and counts the answers: "200" or the
// error code.
func parallelSignins(t *testing.T, envs []*testEnv, n int, id, code string) map[string]int {
	out := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := envs[i%len(envs)]
			<-start
			body := `{"verificationUUID":"` + id + `","verificationToken":"` + code + `"}`
			hr, err := http.NewRequest("POST", e.base+"/smsVerifications/signin", stringsReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			hr.Header.Set("Content-Type", "application/json")
			res, err := e.ts.Client().Do(hr)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			key := "200"
			if res.StatusCode != 200 {
				var eb errorBody
				_ = jsonDecode(res.Body, &eb)
				key = eb.Code
			}
			mu.Lock()
			out[key]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// TestDeleteUserRemovesPasskeys: a deleted user's passkeys go with it, so
// none can sign in again.
func TestDeleteUserRemovesPasskeys(t *testing.T) {
	e := newTestEnv(t, nil)
	v := e.smsSignIn(63, nil)
	auth := &passkeytest.Authenticator{Origin: e.passkeyOrigin()}
	expectStatus(t, e.registerPasskey(auth, v.MinifiedJWT, nil), 200)
	ctx := context.Background()
	if err := e.srv.accounts.Delete(ctx, v.User.ID); err != nil {
		t.Fatal(err)
	}
	if pks, err := e.srv.stores.Passkeys.ListCredentials(ctx, v.User.ID); err != nil || len(pks) != 0 {
		t.Fatalf("passkeys after delete: %d, %v", len(pks), err)
	}
	r := e.do(req{Method: "GET", Path: "users/passkeys/signin"})
	expectStatus(t, r, 200)
	body, err := auth.Assert(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	if r := e.do(req{Method: "POST", Path: "users/passkeys/signin", Body: body}); r.Status == 200 {
		t.Fatalf("a deleted user's passkey signed in: %s", r.Body)
	}
}
