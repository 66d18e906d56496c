package session_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/session"
)

// TestRotation: after Rotate the new key signs, tokens of the old key keep
// verifying until the longest token lifetime has passed, then fail with
// ErrUnknownKey; the JWKS follows.
func TestRotation(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	old, err := f.m.Mint(ctx, testUser(1), session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	next := testKey(t, session.EdDSA, 0)
	if err := f.m.Rotate(next); err != nil {
		t.Fatal(err)
	}
	if f.keys.Active().KID() != next.KID() {
		t.Fatal("Rotate did not switch the active key")
	}
	fresh, err := f.m.Mint(ctx, testUser(1), session.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := f.m.Verify(ctx, fresh.MinifiedJWT, session.KindSession); err != nil || c.KeyID != next.KID() {
		t.Fatalf("new token: %v", err)
	}
	kids := func() []string {
		b, err := f.m.JWKS()
		if err != nil {
			t.Fatal(err)
		}
		var set session.JWKSet
		if err := json.Unmarshal(b, &set); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range set.Keys {
			out = append(out, k.Kid)
		}
		return out
	}
	if got := kids(); len(got) != 2 || got[0] != next.KID() || got[1] != f.key.KID() {
		t.Fatalf("JWKS kids after rotation = %v", got)
	}
	f.clk.Advance(2*time.Hour - time.Minute)
	if _, err := f.m.Verify(ctx, old.MinifiedJWT, session.KindSession); err != nil {
		t.Fatalf("old token before its exp: %v", err)
	}
	// Past the old token's exp plus leeway the old key is gone.
	f.clk.Advance(2 * time.Minute)
	if _, err := f.m.Verify(ctx, old.MinifiedJWT, session.KindSession); !errors.Is(err, session.ErrUnknownKey) && !errors.Is(err, session.ErrExpired) {
		t.Fatalf("old token after its exp: %v", err)
	}
	if got := kids(); len(got) != 1 || got[0] != next.KID() {
		t.Fatalf("JWKS kids after retirement = %v", got)
	}
	f.keys.Prune(f.clk.Now())
	if _, ok := f.keys.Lookup(f.key.KID(), t0); ok {
		t.Fatal("Prune kept a retired key")
	}
	if err := f.m.Rotate(next.PublicOnly()); !errors.Is(err, session.ErrNoSigningKey) {
		t.Fatalf("Rotate to a public key = %v", err)
	}
}

// TestKeySetAddRemove: a pre-published key verifies; a removed key does not.
func TestKeySetAddRemove(t *testing.T) {
	active := testKey(t, session.ES256, 0)
	extra := testKey(t, session.ES256, 1)
	ks, err := session.NewKeySet(active)
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Add(extra, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if k, ok := ks.Lookup(extra.KID(), t0); !ok || k.CanSign() {
		t.Fatal("added key missing, or published with its private part")
	}
	if _, ok := ks.Lookup(extra.KID(), t0.Add(2*time.Hour)); ok {
		t.Fatal("key visible after its date")
	}
	ks.Remove(extra.KID())
	if _, ok := ks.Lookup(extra.KID(), t0); ok {
		t.Fatal("removed key still found")
	}
	ks.Remove(active.KID())
	if ks.Active().KID() != active.KID() {
		t.Fatal("active key removed")
	}
}

// TestJWKS: every key has kty, kid, alg, use=sig and no private member.
func TestJWKS(t *testing.T) {
	ks, err := session.NewKeySet(testKey(t, session.ES256, 0), testKey(t, session.EdDSA, 0), testKey(t, session.RS256, 0))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ks.JWKS(t0)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Keys) != 3 {
		t.Fatalf("%d keys", len(raw.Keys))
	}
	wantKty := map[string]string{"ES256": "EC", "EdDSA": "OKP", "RS256": "RSA"}
	for _, k := range raw.Keys {
		for _, m := range []string{"kty", "kid", "alg", "use"} {
			if _, ok := k[m]; !ok {
				t.Errorf("key without %s: %v", m, k)
			}
		}
		if k["use"] != "sig" || wantKty[k["alg"].(string)] != k["kty"] {
			t.Errorf("key %v", k)
		}
		for _, m := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := k[m]; ok {
				t.Errorf("JWKS leaks private member %s", m)
			}
		}
	}
}

func TestJWKSHandler(t *testing.T) {
	f := newFixture(t, session.ES256, false)
	h := f.m.JWKSHandler()
	get := func(method string, hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/.well-known/jwks", nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := get("GET")
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	want, _ := f.m.JWKS()
	if w.Body.String() != string(want) {
		t.Fatalf("body %s", w.Body)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=300" {
		t.Fatalf("Cache-Control %q", cc)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	etag := w.Header().Get("ETag")
	if !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
		t.Fatalf("ETag %q", etag)
	}
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		if w := get("GET", "If-None-Match", inm); w.Code != http.StatusNotModified || w.Body.Len() != 0 || w.Header().Get("ETag") != etag {
			t.Fatalf("If-None-Match %s: status %d", inm, w.Code)
		}
	}
	if w := get("GET", "If-None-Match", `"stale"`); w.Code != 200 {
		t.Fatalf("stale ETag: %d", w.Code)
	}
	if w := get("HEAD"); w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("HEAD: %d %q", w.Code, w.Body)
	}
	if w := get("POST"); w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", w.Code)
	}
	// A rotation changes the body and so the ETag.
	if err := f.m.Rotate(testKey(t, session.EdDSA, 0)); err != nil {
		t.Fatal(err)
	}
	if w := get("GET", "If-None-Match", etag); w.Code != 200 || w.Header().Get("ETag") == etag {
		t.Fatalf("after rotation: %d, ETag %s", w.Code, w.Header().Get("ETag"))
	}
}

// TestKeySetInstall: Install replaces the whole set at once; a signing key
// without a private key, a nil key or mismatched end times are refused and
// leave the set as it was.
func TestKeySetInstall(t *testing.T) {
	a, b, c := testKey(t, session.ES256, 0), testKey(t, session.ES256, 1), testKey(t, session.ES256, 2)
	ks, err := session.NewKeySet(a)
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	bad := []struct {
		name   string
		active *session.Key
		pub    []*session.Key
		until  []time.Time
	}{
		{"public active", b.PublicOnly(), nil, nil},
		{"nil active", nil, nil, nil},
		{"nil published", b, []*session.Key{nil}, []time.Time{{}}},
		{"lengths differ", b, []*session.Key{c}, nil},
	}
	for _, tc := range bad {
		if err := ks.Install(tc.active, nil, time.Time{}, tc.pub, tc.until); !errors.Is(err, session.ErrKeyInvalid) {
			t.Errorf("%s: %v, want ErrKeyInvalid", tc.name, err)
		}
		if ks.Active() != a {
			t.Fatalf("%s: the set changed", tc.name)
		}
	}
	if err := ks.Install(b, c, now.Add(time.Hour), []*session.Key{a}, []time.Time{now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if ks.Active() != b || len(ks.Keys(now)) != 3 || len(ks.Keys(now.Add(2*time.Minute))) != 2 {
		t.Fatalf("installed set: active %v, %d keys now, %d later", ks.Active().KID(), len(ks.Keys(now)), len(ks.Keys(now.Add(2*time.Minute))))
	}
	if k, ok := ks.Lookup(a.KID(), now); !ok || k.CanSign() {
		t.Fatal("a published key must verify and never sign")
	}
}

// TestManagerConfig: Config reports the defaults in effect, and
// KeyRetention the longest token lifetime plus the leeway.
func TestManagerConfig(t *testing.T) {
	f := newFixture(t, session.ES256, true)
	c := f.m.Config()
	if c.TTL != 2*time.Hour || c.MaxAge != 30*24*time.Hour || c.Leeway != 30*time.Second || c.RefreshGrace != 5*time.Second || c.Now == nil {
		t.Fatalf("defaults in effect: %+v", c)
	}
	if got := f.m.KeyRetention(); got != 2*time.Hour+30*time.Second {
		t.Fatalf("KeyRetention = %v", got)
	}
}

// TestNewKeySetVerifyKeys: the verification keys given to NewKeySet are
// published public-only with no end, after the active key and in the
// order given, a duplicate kid once; a nil one is refused.
func TestNewKeySetVerifyKeys(t *testing.T) {
	active := testKey(t, session.ES256, 0)
	v1, v2 := testKey(t, session.EdDSA, 0), testKey(t, session.ES256, 1)
	if _, err := session.NewKeySet(active, v1, nil); !errors.Is(err, session.ErrKeyInvalid) {
		t.Fatalf("NewKeySet with a nil verification key = %v, want ErrKeyInvalid", err)
	}
	if _, err := session.NewKeySet(nil); !errors.Is(err, session.ErrNoSigningKey) {
		t.Fatalf("NewKeySet(nil) = %v, want ErrNoSigningKey", err)
	}
	ks, err := session.NewKeySet(active, v1, active, v2, v1.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	far := t0.Add(100 * 365 * 24 * time.Hour)
	keys := ks.Keys(far)
	want := []string{active.KID(), v1.KID(), v2.KID()}
	if len(keys) != len(want) {
		t.Fatalf("%d keys published, want %d", len(keys), len(want))
	}
	for i, k := range keys {
		if k.KID() != want[i] {
			t.Errorf("key %d is %s, want %s", i, k.KID(), want[i])
		}
		if i > 0 && k.CanSign() {
			t.Errorf("verification key %s published with its private part", k.KID())
		}
	}
	if ks.Active() != active {
		t.Error("Active is not the signing key given")
	}
}
