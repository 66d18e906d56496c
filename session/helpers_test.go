package session_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/session"
	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer = "auth.example.com/0a1b2c3d-0000-4000-8000-000000000001"
	testEnv    = "0a1b2c3d-0000-4000-8000-000000000001"
	testOrigin = "https://app.example.com"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

var algs = []session.Algorithm{session.ES256, session.EdDSA, session.RS256}

// Keys are generated once per test binary: RSA generation is slow.
var (
	keyMu    sync.Mutex
	keyCache = map[string]crypto.Signer{}
)

// testPriv returns the n-th test private key for alg.
func testPriv(t testing.TB, alg session.Algorithm, n int) crypto.Signer {
	t.Helper()
	keyMu.Lock()
	defer keyMu.Unlock()
	name := fmt.Sprintf("%s/%d", alg, n)
	if k, ok := keyCache[name]; ok {
		return k
	}
	var (
		k   crypto.Signer
		err error
	)
	switch alg {
	case session.ES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case session.EdDSA:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	case session.RS256:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	keyCache[name] = k
	return k
}

func testKey(t testing.TB, alg session.Algorithm, n int) *session.Key {
	t.Helper()
	k, err := session.NewKey(testPriv(t, alg, n))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// forge signs arbitrary header and claims with priv through golang-jwt,
// to build tokens the Manager did not mint.
func forge(t testing.TB, priv crypto.Signer, alg session.Algorithm, header, claims map[string]any) string {
	t.Helper()
	m := jwt.GetSigningMethod(string(alg))
	h := map[string]any{"alg": string(alg)}
	for k, v := range header {
		h[k] = v
	}
	tok := &jwt.Token{Header: h, Claims: jwt.MapClaims(claims), Method: m}
	s, err := tok.SignedString(priv)
	if err != nil {
		t.Fatal(err)
	}
	if alg == session.ES256 {
		// golang-jwt leaves s as crypto/ecdsa made it, high half the time;
		// Verify wants the low-S form Mint produces.
		s = withS(t, s, false)
	}
	return s
}

// withS returns the ES256 token tok with its signature's s in the high
// (n−s, when s ≤ n/2) or low (when s > n/2) half: the same signature,
// encoded the other way. Both forms verify under crypto/ecdsa.
func withS(t testing.TB, tok string, high bool) string {
	t.Helper()
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("not an ES256 signature: %v", err)
	}
	n := elliptic.P256().Params().N
	s := new(big.Int).SetBytes(sig[32:])
	if isHigh := s.Cmp(new(big.Int).Rsh(n, 1)) > 0; isHigh != high {
		s.Sub(n, s).FillBytes(sig[32:])
	}
	return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}

// rawJWS assembles a token from a header, claims and signature bytes.
func rawJWS(t testing.TB, header, claims map[string]any, sig func(input string) []byte) string {
	t.Helper()
	hb, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	return in + "." + base64.RawURLEncoding.EncodeToString(sig(in))
}

// validClaims are claims Verify accepts for sid at the fixture's time.
func (f *fixture) validClaims(sid string) map[string]any {
	now := f.clk.Now()
	return map[string]any{
		"iss": testIssuer, "sub": testUser(0).ID, "aud": testIssuer,
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "jti": "forged-jti",
		"sid": sid, "environment_id": testEnv, "scope": "user:basic",
	}
}

type fixture struct {
	m     *session.Manager
	clk   *clock.Fake
	store *session.MemoryStore
	key   *session.Key
	keys  *session.KeySet
}

func newFixture(t testing.TB, alg session.Algorithm, withStore bool, mod ...func(*session.Config)) *fixture {
	t.Helper()
	f := &fixture{clk: clock.NewFake(t0), key: testKey(t, alg, 0)}
	var err error
	if f.keys, err = session.NewKeySet(f.key); err != nil {
		t.Fatal(err)
	}
	cfg := session.Config{
		Keys:          f.keys,
		Issuer:        testIssuer,
		Audiences:     []string{testOrigin},
		EnvironmentID: testEnv,
		Now:           f.clk.Now,
	}
	if withStore {
		f.store = session.NewMemoryStore()
		cfg.Store = f.store
	} else {
		cfg.Stateless = true
	}
	for _, fn := range mod {
		fn(&cfg)
	}
	if f.m, err = session.New(cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

func testUser(nCreds int) authkit.User {
	u := authkit.User{
		ID:                   "7f3e1c2a-5b6d-4e8f-9a0b-1c2d3e4f5a6b",
		ProjectEnvironmentID: testEnv,
		Email:                "ada@example.com",
		FirstName:            "Ada",
		LastName:             "Lovelace",
		Alias:                "ada",
		Lists:                []string{"beta"},
	}
	formats := []authkit.CredentialFormat{authkit.FormatEmail, authkit.FormatPhoneNumber, authkit.FormatOAuth, authkit.FormatBlockchain}
	for i := range nCreds {
		c := authkit.VerifiedCredential{
			ID:            fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
			Format:        formats[i%len(formats)],
			SignInEnabled: true,
		}
		switch c.Format {
		case authkit.FormatEmail:
			c.Email, c.PublicIdentifier = fmt.Sprintf("ada%d@example.com", i), fmt.Sprintf("ada%d@example.com", i)
		case authkit.FormatPhoneNumber:
			c.PhoneNumber, c.PhoneCountryCode, c.IsoCountryCode, c.PublicIdentifier = "9172113333", "1", "US", "+19172113333"
		case authkit.FormatOAuth:
			c.OAuthProvider, c.OAuthUsername, c.OAuthAccountID = authkit.ProviderGitHub, "ada", fmt.Sprint(1000+i)
		case authkit.FormatBlockchain:
			c.Address, c.Chain, c.WalletName = "0x00000000000000000000000000000000000000aa", "EVM", "metamask"
		}
		u.VerifiedCredentials = append(u.VerifiedCredentials, c)
	}
	if nCreds > 0 {
		u.LastVerifiedCredentialID = u.VerifiedCredentials[0].ID
	}
	return u
}

func tokensScopes() []authkit.Scope {
	return []authkit.Scope{authkit.ScopeWalletExport, authkit.ScopeCredentialLink}
}

// lookup is a user lookup for Refresh answering u whatever the id (so that Refresh's
// own owner check is exercised).
func lookup(u authkit.User) func(context.Context, string) (authkit.User, error) {
	return func(context.Context, string) (authkit.User, error) { return u, nil }
}
