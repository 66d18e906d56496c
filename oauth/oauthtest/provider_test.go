package oauthtest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
)

const cb = "https://app.example.com/cb"

// authorize gets a code for verifier from the fake.
func authorize(t *testing.T, p *oauthtest.Provider, verifier string, extra url.Values) *url.URL {
	t.Helper()
	q := url.Values{
		"response_type": {"code"}, "client_id": {p.ClientID()}, "redirect_uri": {cb},
		"state": {"st-0123456789abcdef"}, "scope": {"openid email"}, "nonce": {"n-1"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
	}
	for k, v := range extra {
		q[k] = v
	}
	u, err := p.Authorize(t.Context(), p.Issuer()+"/authorize?"+q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

type tokenReq struct {
	code, verifier, redirect, secret string
	basic                            bool
}

func exchange(t *testing.T, p *oauthtest.Provider, r tokenReq) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {r.code}, "redirect_uri": {r.redirect}, "code_verifier": {r.verifier}}
	if !r.basic {
		form.Set("client_id", p.ClientID())
		form.Set("client_secret", r.secret)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, p.Issuer()+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r.basic {
		req.SetBasicAuth(p.ClientID(), r.secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestFakeTokenEndpoint(t *testing.T) {
	clk := clock.NewFake(time.Now())
	p := oauthtest.NewServer(t, oauthtest.Config{RedirectURIs: []string{cb}, Now: clk.Now})
	verifier := oauth2.GenerateVerifier()
	good := func() tokenReq {
		return tokenReq{code: authorize(t, p, verifier, nil).Query().Get("code"), verifier: verifier, redirect: cb, secret: p.ClientSecret()}
	}
	for _, tc := range []struct {
		name   string
		mod    func(r *tokenReq)
		status int
		errc   string
	}{
		{"ok post", func(r *tokenReq) {}, 200, ""},
		{"ok basic", func(r *tokenReq) { r.basic = true }, 200, ""},
		{"wrong secret", func(r *tokenReq) { r.secret = "nope" }, 401, "invalid_client"},
		{"no verifier", func(r *tokenReq) { r.verifier = "" }, 400, "invalid_grant"},
		{"wrong verifier", func(r *tokenReq) { r.verifier = oauth2.GenerateVerifier() }, 400, "invalid_grant"},
		{"redirect differs", func(r *tokenReq) { r.redirect = cb + "/" }, 400, "invalid_grant"},
		{"unknown code", func(r *tokenReq) { r.code = "made-up" }, 400, "invalid_grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.mod(&r)
			status, body := exchange(t, p, r)
			if status != tc.status || (tc.errc != "" && body["error"] != tc.errc) {
				t.Fatalf("status %d body %v", status, body)
			}
			if status == 200 && (body["access_token"] == "" || body["id_token"] == nil) {
				t.Fatalf("body %v", body)
			}
		})
	}
	t.Run("single use", func(t *testing.T) {
		r := good()
		if s, _ := exchange(t, p, r); s != 200 {
			t.Fatalf("first: %d", s)
		}
		if s, b := exchange(t, p, r); s != 400 || b["error"] != "invalid_grant" {
			t.Fatalf("second: %d %v", s, b)
		}
	})
	t.Run("failed attempt burns the code", func(t *testing.T) {
		r := good()
		bad := r
		bad.verifier = oauth2.GenerateVerifier()
		exchange(t, p, bad)
		if s, _ := exchange(t, p, r); s != 400 {
			t.Fatalf("after failed attempt: %d", s)
		}
	})
	t.Run("expired", func(t *testing.T) {
		r := good()
		clk.Advance(61 * time.Second)
		if s, _ := exchange(t, p, r); s != 400 {
			t.Fatalf("expired: %d", s)
		}
	})
}

func TestFakeAuthorize(t *testing.T) {
	p := oauthtest.NewServer(t, oauthtest.Config{RedirectURIs: []string{cb}})
	v := oauth2.GenerateVerifier()
	u := authorize(t, p, v, nil)
	if u.Query().Get("state") != "st-0123456789abcdef" || u.Query().Get("code") == "" || u.Query().Get("iss") != p.Issuer() {
		t.Fatalf("redirect %v", u)
	}
	u = authorize(t, p, v, url.Values{"code_challenge_method": {"plain"}})
	if u.Query().Get("error") != "invalid_request" || u.Query().Has("code") {
		t.Fatalf("plain PKCE: %v", u)
	}
	u = authorize(t, p, v, url.Values{"code_challenge": {""}})
	if u.Query().Get("error") != "invalid_request" {
		t.Fatalf("no PKCE: %v", u)
	}
	p.Deny("access_denied")
	u = authorize(t, p, v, nil)
	if u.Query().Get("error") != "access_denied" || u.Query().Get("state") != "st-0123456789abcdef" {
		t.Fatalf("denied: %v", u)
	}
	p.Deny("")
	// An unregistered redirect URI is never redirected to.
	_, err := p.Authorize(t.Context(), p.Issuer()+"/authorize?"+url.Values{"client_id": {p.ClientID()}, "redirect_uri": {"https://evil.example/cb"}}.Encode())
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("unregistered redirect: %v", err)
	}
	if got := p.LastAuthorizeQuery().Get("redirect_uri"); got != "https://evil.example/cb" {
		t.Fatalf("last query %q", got)
	}
}

func TestFakeUserInfoNeedsToken(t *testing.T) {
	p := oauthtest.NewServer(t, oauthtest.Config{})
	for _, ep := range []string{"/userinfo", "/emails"} {
		req, _ := http.NewRequest(http.MethodGet, p.Issuer()+ep, nil)
		req.Header.Set("Authorization", "Bearer made-up")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: %d", ep, resp.StatusCode)
		}
	}
}

// TestFakeMountedUnderPrefix mounts the fake inside another server's mux,
// as the reference server's development mode does, and signs in with it.
func TestFakeMountedUnderPrefix(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	p, err := oauthtest.NewProvider(oauthtest.Config{Issuer: srv.URL + "/dev/oauth", Subject: "42"})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/dev/oauth/", p.Handler())
	resp, err := http.Get(srv.URL + "/dev/oauth/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc["issuer"] != srv.URL+"/dev/oauth" || doc["token_endpoint"] != srv.URL+"/dev/oauth/token" {
		t.Fatalf("discovery %v", doc)
	}
	flow, err := oauth.New(oauth.Config{Store: oauth.NewMemoryStore(), Providers: []oauth.Provider{p.OIDCProvider("github", cb)}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	authURL, state, err := flow.Begin(ctx, oauth.InitRequest{Provider: "github"})
	if err != nil {
		t.Fatal(err)
	}
	redirect, err := p.Authorize(ctx, authURL)
	if err != nil {
		t.Fatal(err)
	}
	id, err := flow.Complete(ctx, oauth.CompleteRequest{Provider: "github", State: state, Code: redirect.Query().Get("code")})
	if err != nil || id.AccountID != "42" || id.Provider != "github" {
		t.Fatalf("%+v %v", id, err)
	}
}

func TestNewProviderBadIssuer(t *testing.T) {
	for _, issuer := range []string{"not a url", "", "/dev/oauth"} {
		if _, err := oauthtest.NewProvider(oauthtest.Config{Issuer: issuer}); err == nil {
			t.Errorf("issuer %q accepted", issuer)
		}
	}
}

// The fake's user-info carries the ID token's sub (OpenID Connect Core
// §5.3.2 requires the match) unless a test tampers with it.
func TestFakeUserInfoSubject(t *testing.T) {
	p := oauthtest.NewServer(t, oauthtest.Config{RedirectURIs: []string{cb}, Subject: "user-42"})
	verifier := oauth2.GenerateVerifier()
	status, tok := exchange(t, p, tokenReq{code: authorize(t, p, verifier, nil).Query().Get("code"), verifier: verifier, redirect: cb, secret: p.ClientSecret()})
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, tok)
	}
	parts := strings.Split(tok["id_token"].(string), ".")
	if len(parts) != 3 {
		t.Fatalf("id_token has %d parts", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	userinfo := func() map[string]any {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, p.Issuer()+"/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("userinfo: %d %v", resp.StatusCode, err)
		}
		return body
	}
	for _, tc := range []struct {
		name   string
		tamper func(info map[string]any)
		want   any // the sub served; nil: none
	}{
		{"default matches the ID token", nil, "user-42"},
		{"other sub", func(i map[string]any) { i["sub"] = "attacker" }, "attacker"},
		{"no sub", func(i map[string]any) { delete(i, "sub") }, nil},
		{"tampering stopped", nil, "user-42"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.TamperUserInfo(tc.tamper)
			if claims["sub"] != "user-42" {
				t.Fatalf("id token sub %v", claims["sub"])
			}
			if got := userinfo()["sub"]; got != tc.want {
				t.Fatalf("userinfo sub %v, want %v", got, tc.want)
			}
		})
	}
}
