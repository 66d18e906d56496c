package oauth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
)

func appleKey(t *testing.T) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestAppleClientSecret(t *testing.T) {
	k, p8 := appleKey(t)
	parsed, err := oauth.ParseAppleKey(p8)
	if err != nil || !parsed.Equal(k) {
		t.Fatalf("ParseAppleKey: %v", err)
	}
	now := time.Unix(1700000000, 0)
	s, err := oauth.AppleClientSecret(parsed, "TEAM123456", "KEY1234567", "com.example.web", now)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Parse(s, func(*jwt.Token) (any, error) { return &k.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithIssuer("TEAM123456"), jwt.WithSubject("com.example.web"), jwt.WithAudience("https://appleid.apple.com"))
	if err != nil {
		t.Fatal(err)
	}
	c := tok.Claims.(jwt.MapClaims)
	if tok.Header["kid"] != "KEY1234567" || c["aud"] != "https://appleid.apple.com" || c["exp"].(float64) != float64(now.Unix()+300) {
		t.Fatalf("header %v claims %v", tok.Header, c)
	}
	// Not a P-256 key.
	rk, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(rk)
	if _, err := oauth.ParseAppleKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err == nil {
		t.Fatal("P-384 key accepted")
	}
}

var hiddenInput = regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`)

func TestAppleFormPostFlow(t *testing.T) {
	k, p8 := appleKey(t)
	const team, kid, services = "TEAM123456", "KEY1234567", "com.example.web"
	e := newEnv(t, oauthtest.Config{
		ClientID: services, Subject: "001234.abcdef.1234", Email: "abc@privaterelay.appleid.com",
		VerifyClientSecret: func(secret string) bool {
			_, err := jwt.Parse(secret, func(*jwt.Token) (any, error) { return &k.PublicKey, nil },
				jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(team), jwt.WithSubject(services),
				jwt.WithAudience("https://appleid.apple.com"), jwt.WithExpirationRequired())
			return err == nil
		},
	}, func(fake *oauthtest.Provider) []oauth.Provider {
		ep := fake.Endpoints()
		// Apple has no user-info endpoint: only the token ones are faked.
		ep.UserInfoURL, ep.EmailsURL = "", ""
		return []oauth.Provider{{
			Name: "apple", ClientID: services, RedirectURLs: []string{redirectURL},
			AppleTeamID: team, AppleKeyID: kid, AppleKey: p8, Endpoints: ep,
		}}
	})
	signIn := func(user string) *oauth.Identity {
		authURL, state, err := e.flow.Begin(t.Context(), oauth.InitRequest{Provider: "apple"})
		if err != nil {
			t.Fatal(err)
		}
		if q := query(t, authURL); q.Get("response_mode") != "form_post" || q.Get("scope") != "name email" {
			t.Fatalf("auth URL %s", authURL)
		}
		resp, err := http.Get(authURL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		form := url.Values{}
		for _, m := range hiddenInput.FindAllStringSubmatch(string(body), -1) {
			form.Set(m[1], html.UnescapeString(m[2]))
		}
		if form.Get("state") != state || form.Get("code") == "" {
			t.Fatalf("form_post page: %s", body)
		}
		if user != "" {
			form.Set("user", user)
		}
		r := httptest.NewRequest(http.MethodPost, redirectURL, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		p, err := oauth.ParseCallback(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.flow.Callback(t.Context(), "apple", p); err != nil {
			t.Fatal(err)
		}
		id, err := e.flow.Complete(t.Context(), oauth.CompleteRequest{Provider: "apple", State: state})
		if err != nil {
			t.Fatalf("Complete: %v", err)
		}
		return id
	}
	first := signIn(`{"name":{"firstName":"Jane","lastName":"Appleseed"},"email":"abc@privaterelay.appleid.com"}`)
	if first.AccountID != "001234.abcdef.1234" || first.DisplayName != "Jane Appleseed" || len(first.LinkableEmails()) != 1 {
		t.Fatalf("first sign-in %+v", first)
	}
	again := signIn("")
	if again.AccountID != first.AccountID || again.DisplayName != "" {
		t.Fatalf("second sign-in %+v", again)
	}
	// An oversized user field is not stored (an unauthenticated caller
	// chooses it and the store would keep it).
	oversized := signIn(`{"name":{"firstName":"` + strings.Repeat("J", oauth.MaxCallbackUserLen) + `","lastName":"A"}}`)
	if oversized.AccountID != first.AccountID || oversized.DisplayName != "" {
		t.Fatalf("oversized user field kept: %+v", oversized)
	}
	if n := e.fake.Hits("userinfo"); n != 0 {
		t.Fatalf("userinfo called %d times", n)
	}
}
