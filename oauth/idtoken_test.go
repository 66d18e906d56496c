package oauth

import (
	"encoding/json"
	"errors"
	"net/http"

	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// LINE signs web-login ID tokens with HS256 keyed by the channel secret.
func TestLineHS256IDToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	f, err := New(Config{
		Store:     NewMemoryStore(),
		Providers: []Provider{{Name: "line", ClientID: "1234567890", ClientSecret: "channel-secret-0123456789abcdefg", RedirectURLs: []string{"https://api.example.com/cb"}}},
		Now:       func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	pr := f.providers["line"]
	sign := func(secret string, claims jwt.MapClaims, method jwt.SigningMethod) string {
		s, err := jwt.NewWithClaims(method, claims).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	claims := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": "https://access.line.me", "sub": "U1", "aud": "1234567890", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": "n1", "name": "Taro"}
	}
	client := &http.Client{Timeout: time.Second}
	got, err := pr.verifier.verify(t.Context(), client, sign("channel-secret-0123456789abcdefg", claims(), jwt.SigningMethodHS256), "n1", now)
	if err != nil {
		t.Fatalf("valid token: %v", err)
	}
	var c struct{ Sub string }
	if err := json.Unmarshal(got, &c); err != nil || c.Sub != "U1" {
		t.Fatalf("claims %s", got)
	}
	for name, raw := range map[string]string{
		"wrong secret":  sign("another-secret", claims(), jwt.SigningMethodHS256),
		"HS512":         sign("channel-secret-0123456789abcdefg", claims(), jwt.SigningMethodHS512),
		"bad signature": sign("channel-secret-0123456789abcdefg", claims(), jwt.SigningMethodHS256) + "x",
	} {
		if _, err := pr.verifier.verify(t.Context(), client, raw, "n1", now); !errors.Is(err, ErrInvalidIDToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	unsigned, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if _, err := pr.verifier.verify(t.Context(), client, unsigned, "n1", now); !errors.Is(err, ErrInvalidIDToken) {
		t.Errorf("alg none: %v", err)
	}
}

// A provider whose catalogue entry is asymmetric never accepts HS256,
// whatever secret signed it (the algorithm-confusion attack).
func TestNoHS256ForAsymmetricProviders(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	f, err := New(Config{
		Store:     NewMemoryStore(),
		Providers: []Provider{{Name: "google", ClientID: "cid", ClientSecret: "secret", RedirectURLs: []string{"https://api.example.com/cb"}}},
		Now:       func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://accounts.google.com", "sub": "1", "aud": "cid", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).SignedString([]byte("secret"))
	if _, err := f.providers["google"].verifier.verify(t.Context(), &http.Client{Timeout: time.Second}, raw, "", now); !errors.Is(err, ErrInvalidIDToken) {
		t.Fatalf("err = %v", err)
	}
}

// go-oidc tolerates an nbf up to 5 minutes ahead; ours allows at most the
// 60 s leeway (standards F9), as for iat.
func TestIDTokenNotBeforeLeeway(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	f, err := New(Config{
		Store:     NewMemoryStore(),
		Providers: []Provider{{Name: "line", ClientID: "1234567890", ClientSecret: "channel-secret-0123456789abcdefg", RedirectURLs: []string{"https://api.example.com/cb"}}},
		Now:       func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	pr := f.providers["line"]
	client := &http.Client{Timeout: time.Second}
	for _, tc := range []struct {
		nbf time.Duration
		ok  bool
	}{{-time.Minute, true}, {50 * time.Second, true}, {90 * time.Second, false}, {4 * time.Minute, false}} {
		raw, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"iss": "https://access.line.me", "sub": "U1", "aud": "1234567890", "iat": now.Unix(),
			"nbf": now.Add(tc.nbf).Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": "n1",
		}).SignedString([]byte("channel-secret-0123456789abcdefg"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = pr.verifier.verify(t.Context(), client, raw, "n1", now)
		if tc.ok && err != nil {
			t.Errorf("nbf now%+v: %v", tc.nbf, err)
		}
		if !tc.ok && !errors.Is(err, ErrInvalidIDToken) {
			t.Errorf("nbf now%+v: err = %v, want ErrInvalidIDToken", tc.nbf, err)
		}
	}
}
