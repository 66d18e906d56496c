package session_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

// decodeToken returns a token's header and payload as maps, unverified.
func decodeToken(t *testing.T, tok string) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%d segments", len(parts))
	}
	var h, p map[string]any
	for i, dst := range []*map[string]any{&h, &p} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return h, p
}

func TestMintClaims(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	user := testUser(3)
	first := t0.Add(-48 * time.Hour)
	user.FirstVisit = &first
	spk := "02" + strings.Repeat("ab", 32)
	tok, err := f.m.Mint(ctx, user, session.MintOptions{
		Audience:         testOrigin,
		Scopes:           authkit.Scopes{"gate:vip", authkit.ScopeUserBasic, "gate:vip"},
		SessionPublicKey: spk,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !tok.ExpiresAt.Equal(t0.Add(2*time.Hour)) || !tok.SessionExpiresAt.Equal(t0.Add(30*24*time.Hour)) {
		t.Fatalf("ExpiresAt %v, SessionExpiresAt %v", tok.ExpiresAt, tok.SessionExpiresAt)
	}
	fh, fp := decodeToken(t, tok.JWT)
	mh, mp := decodeToken(t, tok.MinifiedJWT)
	if fh["typ"] != session.TypFull || mh["typ"] != session.TypMinified || fh["alg"] != "ES256" || fh["kid"] != f.key.KID() || mh["kid"] != f.key.KID() {
		t.Fatalf("headers %v / %v", fh, mh)
	}
	for _, p := range []map[string]any{fp, mp} {
		want := map[string]any{
			"iss": testIssuer, "sub": user.ID, "aud": testOrigin, "sid": tok.SessionID,
			"environment_id": testEnv, "scope": "user:basic gate:vip",
			"iat": float64(t0.Unix()), "exp": float64(t0.Add(2 * time.Hour).Unix()),
			"kid": f.key.KID(), "last_verified_credential_id": user.LastVerifiedCredentialID,
			"session_public_key": spk, "email": "ada@example.com",
		}
		for k, v := range want {
			if p[k] != v {
				t.Errorf("claim %s = %v, want %v", k, p[k], v)
			}
		}
		if s, _ := p["jti"].(string); len(s) < 22 {
			t.Errorf("jti %q", p["jti"])
		}
	}
	if fp["jti"] == mp["jti"] {
		t.Error("full and minified share a jti")
	}
	// Full-only claims.
	if fp["given_name"] != "Ada" || fp["family_name"] != "Lovelace" || fp["alias"] != "ada" || fp["first_visit"] == nil {
		t.Errorf("profile claims %v", fp)
	}
	vcs, _ := fp["verified_credentials"].([]any)
	if len(vcs) != 3 {
		t.Fatalf("verified_credentials: %v", fp["verified_credentials"])
	}
	if vc := vcs[1].(map[string]any); vc["format"] != "phoneNumber" || vc["phoneNumber"] != "9172113333" || vc["signInEnabled"] != true {
		t.Errorf("credential wire form %v", vc)
	}
	if va, _ := fp["verified_account"].(map[string]any); va["id"] != user.LastVerifiedCredentialID {
		t.Errorf("verified_account %v", fp["verified_account"])
	}
	if l, _ := fp["lists"].([]any); len(l) != 1 {
		t.Errorf("lists %v", fp["lists"])
	}
	// Required by Dynamic's DynamicJwt model: present even when empty.
	if mf, ok := fp["missing_fields"].([]any); !ok || len(mf) != 0 {
		t.Errorf("missing_fields %v, want []", fp["missing_fields"])
	}
	if fp["kid"] != f.key.KID() || mp["kid"] != f.key.KID() {
		t.Errorf("payload kid %v %v, want %s", fp["kid"], mp["kid"], f.key.KID())
	}
	// Minified: what it drops and what it adds.
	for _, k := range []string{"verified_credentials", "verified_account", "lists", "given_name", "family_name", "first_visit", "missing_fields"} {
		if _, ok := mp[k]; ok {
			t.Errorf("minified token carries %s", k)
		}
	}
	if _, ok := mp["signin_credential_id"]; mp["client_id"] != testEnv || ok {
		t.Errorf("client_id %v signin %v", mp["client_id"], mp["signin_credential_id"])
	}
	other, err := f.m.Mint(ctx, user, session.MintOptions{SigninCredentialID: user.VerifiedCredentials[2].ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, op := decodeToken(t, other.MinifiedJWT); op["signin_credential_id"] != user.VerifiedCredentials[2].ID {
		t.Errorf("signin_credential_id %v", op["signin_credential_id"])
	}
	h, _ := mp["verifiedCredentialsHashes"].(map[string]any)
	want := session.HashCredentials(user.VerifiedCredentials)
	if len(h) != 5 || h["email"] != want.Email || h["phoneNumber"] != want.PhoneNumber || h["oauth"] != want.OAuth {
		t.Errorf("verifiedCredentialsHashes %v", h)
	}
	// The typed claims round-trip through Verify.
	c, err := f.m.Verify(ctx, tok.JWT, session.KindFull)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != session.KindFull || len(c.VerifiedCredentials) != 3 || !c.HasScope("gate:vip") || c.MFAPending() || !c.ExpiresAt.Equal(tok.ExpiresAt) {
		t.Fatalf("verified claims %+v", c)
	}
}

// TestMinifiedConstantSize: the minified token has the same size for 1 and
// 10 credentials (ES256 and EdDSA signatures have a fixed length, RS256's
// too for one key); the full token grows.
func TestMinifiedConstantSize(t *testing.T) {
	for _, alg := range algs {
		f := newFixture(t, alg, false)
		size := map[int][2]int{}
		for _, n := range []int{1, 10} {
			tok, err := f.m.Mint(t.Context(), testUser(n), session.MintOptions{SessionID: "6d1c8f0e-3b2a-4c5d-8e9f-0a1b2c3d4e5f"})
			if err != nil {
				t.Fatal(err)
			}
			size[n] = [2]int{len(tok.JWT), len(tok.MinifiedJWT)}
		}
		if size[1][1] != size[10][1] {
			t.Errorf("%s: minified %d bytes with 1 credential, %d with 10", alg, size[1][1], size[10][1])
		}
		if size[10][0] <= size[1][0] {
			t.Errorf("%s: full token did not grow: %v", alg, size)
		}
		t.Logf("%s: full %d / %d bytes, minified %d / %d bytes (1 / 10 credentials)", alg, size[1][0], size[10][0], size[1][1], size[10][1])
	}
}

func TestHashCredentials(t *testing.T) {
	u := testUser(6)
	a := session.HashCredentials(u.VerifiedCredentials)
	rev := append([]authkit.VerifiedCredential(nil), u.VerifiedCredentials...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	if session.HashCredentials(rev) != a {
		t.Fatal("hashes depend on credential order")
	}
	none := session.HashCredentials(nil)
	if none.Email == a.Email || none.ExternalUser != a.ExternalUser {
		t.Fatalf("per-format hashing wrong: %+v vs %+v", none, a)
	}
	fewer := session.HashCredentials(u.VerifiedCredentials[:5])
	if fewer.Email != a.Email || fewer.PhoneNumber == a.PhoneNumber {
		// credentials 0 and 4 are emails; 1 and 5 phone numbers
		t.Fatalf("dropping credential 5 must change the phone hash only: %+v vs %+v", fewer, a)
	}
}

func TestMFAPendingAndUpgrade(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	user := testUser(1)
	pending, err := f.m.Mint(ctx, user, session.MintOptions{MFAPending: true, Scopes: authkit.Scopes{"gate:vip"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.m.Verify(ctx, pending.MinifiedJWT, session.KindSession)
	if err != nil {
		t.Fatal(err)
	}
	if c.Scope != "requiresAdditionalAuth" || c.HasScope(authkit.ScopeUserBasic) || c.HasScope("gate:vip") || !c.MFAPending() {
		t.Fatalf("pending scope %q", c.Scope)
	}
	if c.PendingScope != "gate:vip" {
		t.Fatalf("pending_scope %q, want the scopes kept for Upgrade", c.PendingScope)
	}
	if !pending.ExpiresAt.Equal(t0.Add(10 * time.Minute)) {
		t.Fatalf("pending token lives until %v", pending.ExpiresAt)
	}
	if _, _, err := f.m.MintElevated(ctx, c, session.ElevatedOptions{Scopes: tokensScopes()}); !errors.Is(err, session.ErrInsufficientScope) {
		t.Fatalf("elevated token for a pending session: %v", err)
	}
	// A pending session cannot be refreshed: it dies with its short exp.
	f.clk.Advance(time.Minute)
	if _, err := f.m.Refresh(ctx, pending.MinifiedJWT, lookup(user)); !errors.Is(err, session.ErrInsufficientScope) {
		t.Fatalf("refresh of a pending session: %v", err)
	}
	if _, err := f.m.Upgrade(ctx, c, testUserOther(), nil); !errors.Is(err, session.ErrSessionMismatch) {
		t.Fatalf("Upgrade for another user: %v", err)
	}
	// The scopes the pending session was minted with come back without
	// the caller repeating them.
	up, err := f.m.Upgrade(ctx, c, user, nil)
	if err != nil {
		t.Fatal(err)
	}
	if up.SessionID != pending.SessionID {
		t.Fatal("Upgrade changed the session id")
	}
	uc, err := f.m.Verify(ctx, up.MinifiedJWT, session.KindSession)
	if err != nil {
		t.Fatal(err)
	}
	if uc.Scope != "user:basic gate:vip" || uc.MFAPending() {
		t.Fatalf("upgraded scope %q", uc.Scope)
	}
	if !up.ExpiresAt.Equal(f.clk.Now().Add(2 * time.Hour)) {
		t.Fatalf("upgraded token expires %v", up.ExpiresAt)
	}
	f.m.Revoke(ctx, pending.SessionID)
	if _, err := f.m.Upgrade(ctx, c, user, nil); !errors.Is(err, session.ErrRevoked) {
		t.Fatalf("Upgrade of a revoked session: %v", err)
	}
}

func testUserOther() authkit.User {
	u := testUser(1)
	u.ID = "11111111-2222-4333-8444-555555555555"
	return u
}

func TestRefresh(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.EdDSA, true, func(c *session.Config) { c.MaxAge = 3 * time.Hour })
	user := testUser(1)
	first, err := f.m.Mint(ctx, user, session.MintOptions{Audience: testOrigin, Scopes: authkit.Scopes{"gate:vip"}})
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(30 * time.Minute)
	user.Email = "new@example.com"
	second, err := f.m.Refresh(ctx, first.JWT, lookup(user))
	if err != nil {
		t.Fatal(err)
	}
	if second.SessionID != first.SessionID || !second.ExpiresAt.After(first.ExpiresAt) {
		t.Fatalf("refresh: sid %s→%s, exp %v→%v", first.SessionID, second.SessionID, first.ExpiresAt, second.ExpiresAt)
	}
	c := second.Claims
	if c.Email != "new@example.com" || c.Scope != "user:basic gate:vip" || c.Audience[0] != testOrigin {
		t.Fatalf("refreshed claims: %q %q %v", c.Email, c.Scope, c.Audience)
	}
	// The superseded token works during the grace window only.
	if _, err := f.m.Verify(ctx, first.MinifiedJWT, session.KindSession); err != nil {
		t.Fatalf("superseded token within the grace window: %v", err)
	}
	f.clk.Advance(session.DefaultRefreshGrace)
	if _, err := f.m.Verify(ctx, first.MinifiedJWT, session.KindSession); !errors.Is(err, session.ErrSuperseded) || !errors.Is(err, session.ErrRevoked) {
		t.Fatalf("superseded token after the grace window: %v, want ErrSuperseded", err)
	}
	// Capped at the session's maximum age (3 h).
	f.clk.Advance(90 * time.Minute)
	third, err := f.m.Refresh(ctx, second.MinifiedJWT, lookup(user))
	if err != nil {
		t.Fatal(err)
	}
	if !third.ExpiresAt.Equal(t0.Add(3 * time.Hour)) {
		t.Fatalf("refresh past max age: exp %v, want %v", third.ExpiresAt, t0.Add(3*time.Hour))
	}
	if _, err := f.m.Refresh(ctx, third.MinifiedJWT, lookup(testUserOther())); !errors.Is(err, session.ErrSessionMismatch) {
		t.Fatalf("refresh for another user: %v", err)
	}
	// After the maximum age nothing of the session works.
	f.clk.Advance(61 * time.Minute)
	if _, err := f.m.Refresh(ctx, third.MinifiedJWT, lookup(user)); !errors.Is(err, session.ErrExpired) && !errors.Is(err, session.ErrSessionExpired) {
		t.Fatalf("refresh after max age: %v", err)
	}
	if _, err := f.m.Mint(ctx, user, session.MintOptions{SessionID: first.SessionID}); !errors.Is(err, session.ErrSessionExpired) {
		t.Fatalf("mint into an expired session: %v", err)
	}
	// Logout: refresh and verify fail.
	fresh, _ := f.m.Mint(ctx, user, session.MintOptions{})
	if err := f.m.Revoke(ctx, fresh.SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Refresh(ctx, fresh.MinifiedJWT, lookup(user)); !errors.Is(err, session.ErrRevoked) {
		t.Fatalf("refresh after logout: %v", err)
	}
	if err := f.m.Revoke(ctx, "no-such-session"); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Revoke(unknown) = %v", err)
	}
}

// TestSessionExpiredWhileTokenLive: a token whose exp is still ahead fails
// once its session passed its maximum age.
func TestSessionExpiredWhileTokenLive(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	rec := session.Record{ID: "short-session", UserID: testUser(0).ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	if err := f.store.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	tok := forge(t, testPriv(t, session.ES256, 0), session.ES256, map[string]any{"typ": session.TypMinified, "kid": f.key.KID()}, f.validClaims(rec.ID))
	if _, err := f.m.Verify(ctx, tok, session.KindSession); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(2 * time.Minute)
	if _, err := f.m.Verify(ctx, tok, session.KindSession); !errors.Is(err, session.ErrSessionExpired) {
		t.Fatalf("Verify = %v, want ErrSessionExpired", err)
	}
}

func TestRevokeAll(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	user := testUser(1)
	a, _ := f.m.Mint(ctx, user, session.MintOptions{})
	b, _ := f.m.Mint(ctx, user, session.MintOptions{})
	other, _ := f.m.Mint(ctx, testUserOther(), session.MintOptions{})
	n, err := f.m.RevokeAll(ctx, user.ID)
	if err != nil || n != 2 {
		t.Fatalf("RevokeAll = %d, %v", n, err)
	}
	for _, tok := range []string{a.JWT, a.MinifiedJWT, b.MinifiedJWT} {
		if _, err := f.m.Verify(ctx, tok, session.KindSession); !errors.Is(err, session.ErrRevoked) {
			t.Fatalf("after RevokeAll: %v", err)
		}
	}
	if _, err := f.m.Verify(ctx, other.MinifiedJWT, session.KindSession); err != nil {
		t.Fatalf("other user's session: %v", err)
	}
	c, _ := f.m.Mint(ctx, user, session.MintOptions{})
	if _, err := f.m.Verify(ctx, c.MinifiedJWT, session.KindSession); err != nil {
		t.Fatalf("new session after RevokeAll: %v", err)
	}
}

func TestMintRejects(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	user := testUser(1)
	other, _ := f.m.Mint(ctx, testUserOther(), session.MintOptions{})
	noID := user
	noID.ID = ""
	otherEnv := user
	otherEnv.ProjectEnvironmentID = "ffffffff-0000-4000-8000-000000000001"
	cases := []struct {
		name string
		user authkit.User
		opts session.MintOptions
		want error
	}{
		{"no user id", noID, session.MintOptions{}, session.ErrInvalidRequest},
		{"other environment", otherEnv, session.MintOptions{}, session.ErrInvalidRequest},
		{"audience not accepted", user, session.MintOptions{Audience: "https://evil.example"}, session.ErrInvalidRequest},
		{"session public key not hex", user, session.MintOptions{SessionPublicKey: "zz" + strings.Repeat("0", 64)}, session.ErrInvalidRequest},
		{"session public key uncompressed", user, session.MintOptions{SessionPublicKey: "04" + strings.Repeat("0", 64)}, session.ErrInvalidRequest},
		{"scope with space", user, session.MintOptions{Scopes: authkit.Scopes{"a b"}}, session.ErrInvalidScope},
		{"scope with quote", user, session.MintOptions{Scopes: authkit.Scopes{`a"`}}, session.ErrInvalidScope},
		{"another user's session", user, session.MintOptions{SessionID: other.SessionID}, session.ErrSessionMismatch},
		{"unknown session", user, session.MintOptions{SessionID: "nope"}, session.ErrRevoked},
	}
	for _, tc := range cases {
		if _, err := f.m.Mint(ctx, tc.user, tc.opts); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestNewConfig(t *testing.T) {
	ks, _ := session.NewKeySet(testKey(t, session.ES256, 0))
	cases := map[string]session.Config{
		"no keys":             {Issuer: "x", Stateless: true},
		"no issuer":           {Keys: ks, Stateless: true},
		"negative lifetime":   {Keys: ks, Issuer: "x", Stateless: true, TTL: -time.Second},
		"lifetime > max age":  {Keys: ks, Issuer: "x", Stateless: true, TTL: 48 * time.Hour, MaxAge: 24 * time.Hour},
		"leeway > 60 s":       {Keys: ks, Issuer: "x", Stateless: true, Leeway: 2 * time.Minute},
		"empty audience":      {Keys: ks, Issuer: "x", Stateless: true, Audiences: []string{""}},
		"zero key set":        {Keys: &session.KeySet{}, Issuer: "x", Stateless: true},
		"no store":            {Keys: ks, Issuer: "x"},
		"store and stateless": {Keys: ks, Issuer: "x", Store: session.NewMemoryStore(), Stateless: true},
		"grace > 1 min":       {Keys: ks, Issuer: "x", Store: session.NewMemoryStore(), RefreshGrace: 2 * time.Minute},
		"negative grace":      {Keys: ks, Issuer: "x", Store: session.NewMemoryStore(), RefreshGrace: -time.Second},
		"negative touch":      {Keys: ks, Issuer: "x", Store: session.NewMemoryStore(), TouchInterval: -time.Second},
	}
	for name, cfg := range cases {
		if _, err := session.New(cfg); !errors.Is(err, session.ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
