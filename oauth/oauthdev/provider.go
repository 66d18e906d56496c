package oauthdev

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authkit/authkit/oauth"
)

// Config configures a fake provider. Issuer is required; zero values of
// the other fields give a working provider with a fixed identity.
type Config struct {
	// Issuer is the provider's absolute base URL, where the host mounts
	// Handler without stripping the path ("http://127.0.0.1:8080/dev/oauth"
	// is mounted at "/dev/oauth/"): its endpoints live under it
	// (Issuer+"/authorize", …) and it is the ID tokens' iss. Required.
	Issuer string
	// ClientID and ClientSecret are the one client the provider knows.
	// Defaults "test-client" and "test-secret".
	ClientID string
	// ClientSecret is the client's secret (see ClientID).
	ClientSecret string
	// VerifyClientSecret, if set, replaces the equality check of the
	// client secret (to accept Apple-style JWT secrets, say).
	VerifyClientSecret func(secret string) bool
	// RedirectURIs, if set, are the only redirect_uri values authorize
	// accepts (exact match). The token endpoint always requires the one
	// used at authorize, exactly.
	RedirectURIs []string
	// Subject, Name, Username, Email, EmailUnverified and Picture make the
	// identity returned in ID tokens and by user-info. Defaults: "user-1",
	// "Test User", "testuser", "test@example.com", verified, no picture.
	Subject string
	// Name is the user's display name.
	Name string
	// Username is the preferred_username.
	Username string
	// Email is the user's email.
	Email string
	// EmailUnverified makes email_verified false.
	EmailUnverified bool
	// Picture is the picture URL.
	Picture string
	// UserInfo, if set, is served verbatim by the user-info endpoint
	// (to mimic a provider's own profile format).
	UserInfo json.RawMessage
	// Emails, if set, is served verbatim by the emails endpoint; default a
	// GitHub-style list with the Email, primary and verified.
	Emails json.RawMessage
	// SigningKey signs ID tokens; nil means a fresh RSA 2048 key. Tests
	// that start many fakes can share one key to save key generation.
	SigningKey *rsa.PrivateKey
	// NoIDToken leaves the id_token out of token responses.
	NoIDToken bool
	// CodeTTL is how long an authorization code lives; default 1 minute.
	CodeTTL time.Duration
	// IDTokenTTL is the ID tokens' lifetime; default 1 hour.
	IDTokenTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Provider is a fake OAuth 2.0 / OpenID Connect provider. Its authorize
// endpoint approves at once (or denies, see Deny) and redirects back; its
// token endpoint enforces client authentication, PKCE S256, the exact
// redirect URI and single-use codes; it serves user-info, an emails list,
// discovery and a JWKS, and signs ID tokens (RS256) carrying the nonce.
type Provider struct {
	cfg    Config
	prefix string
	now    func() time.Time

	mu          sync.Mutex
	key         *rsa.PrivateKey
	kid         string
	oldKeys     []*rsa.PrivateKey // published for rollover
	codes       map[string]*grant
	tokens      map[string]bool
	deny        string
	tamper      func(claims map[string]any)
	tamperInfo  func(info map[string]any)
	fail        map[string]int // endpoint -> forced HTTP status
	hits        map[string]int
	lastAuth    url.Values
	unpublished *rsa.PrivateKey
	corrupt     bool // signs ID tokens without being in the JWKS
}

type grant struct {
	redirectURI, challenge, nonce, scope string
	expires                              time.Time
	used                                 bool
}

// NewProvider returns a fake provider for cfg. Its Handler serves the
// endpoints under the path of cfg.Issuer. A missing or relative Issuer is
// an error.
func NewProvider(cfg Config) (*Provider, error) {
	if cfg.ClientID == "" {
		cfg.ClientID = "test-client"
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = "test-secret"
	}
	if cfg.Subject == "" {
		cfg.Subject = "user-1"
	}
	if cfg.Name == "" {
		cfg.Name = "Test User"
	}
	if cfg.Username == "" {
		cfg.Username = "testuser"
	}
	if cfg.Email == "" {
		cfg.Email = "test@example.com"
	}
	if cfg.CodeTTL == 0 {
		cfg.CodeTTL = time.Minute
	}
	if cfg.IDTokenTTL == 0 {
		cfg.IDTokenTTL = time.Hour
	}
	p := &Provider{
		cfg: cfg, now: cfg.Now, codes: map[string]*grant{}, tokens: map[string]bool{},
		fail: map[string]int{}, hits: map[string]int{},
	}
	if p.now == nil {
		p.now = time.Now
	}
	if err := p.setIssuer(cfg.Issuer); err != nil {
		return nil, err
	}
	if cfg.SigningKey != nil {
		p.key, p.kid = cfg.SigningKey, keyID(&cfg.SigningKey.PublicKey)
	} else if err := p.RotateKey(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Provider) setIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("oauthdev: bad issuer %q", issuer)
	}
	p.cfg.Issuer = strings.TrimSuffix(issuer, "/")
	p.prefix = strings.TrimSuffix(u.Path, "/")
	return nil
}

// Issuer returns the provider's issuer URL.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// ClientID returns the client id the provider accepts.
func (p *Provider) ClientID() string { return p.cfg.ClientID }

// ClientSecret returns the client secret the provider accepts.
func (p *Provider) ClientSecret() string { return p.cfg.ClientSecret }

// Endpoints returns the provider's URLs, to override a catalogue provider's.
func (p *Provider) Endpoints() oauth.Endpoints {
	i := p.cfg.Issuer
	return oauth.Endpoints{
		AuthURL: i + "/authorize", TokenURL: i + "/token", UserInfoURL: i + "/userinfo",
		EmailsURL: i + "/emails", Issuer: i, JWKSURL: i + "/jwks",
	}
}

// OIDCProvider returns an oauth.Provider that signs in with this fake as a
// generic OpenID Connect provider named name (discovered from Issuer),
// even when name is a catalogue provider's ("github").
func (p *Provider) OIDCProvider(name string, redirectURLs ...string) oauth.Provider {
	return oauth.Provider{
		Name: name, Type: oauth.GenericOIDC, Issuer: p.cfg.Issuer, ClientID: p.cfg.ClientID,
		ClientSecret: p.cfg.ClientSecret, RedirectURLs: redirectURLs,
	}
}

// Deny makes authorize redirect back with error=code (access_denied, …)
// instead of a code; "" restores approval.
func (p *Provider) Deny(code string) {
	p.mu.Lock()
	p.deny = code
	p.mu.Unlock()
}

// TamperIDTokens lets a test change the claims of ID tokens before they
// are signed (a wrong nonce, aud, iss, exp…); nil stops tampering.
func (p *Provider) TamperIDTokens(fn func(claims map[string]any)) {
	p.mu.Lock()
	p.tamper = fn
	p.mu.Unlock()
}

// TamperUserInfo lets a test change the user-info response before it is
// served (no sub, another sub…); nil stops tampering. It applies to the
// response made from Config's identity, not to a verbatim Config.UserInfo.
func (p *Provider) TamperUserInfo(fn func(info map[string]any)) {
	p.mu.Lock()
	p.tamperInfo = fn
	p.mu.Unlock()
}

// FailEndpoint makes an endpoint ("token", "userinfo", "jwks", …) answer
// with HTTP status; 0 restores it.
func (p *Provider) FailEndpoint(endpoint string, status int) {
	p.mu.Lock()
	if status == 0 {
		delete(p.fail, endpoint)
	} else {
		p.fail[endpoint] = status
	}
	p.mu.Unlock()
}

// Hits returns how many requests an endpoint has served.
func (p *Provider) Hits(endpoint string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[endpoint]
}

// LastAuthorizeQuery returns the query of the last authorize request.
func (p *Provider) LastAuthorizeQuery() url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastAuth
}

// CorruptSignatures makes ID tokens carry a broken signature (a claims
// set altered after signing, as an attacker would send it).
func (p *Provider) CorruptSignatures(on bool) {
	p.mu.Lock()
	p.corrupt = on
	p.mu.Unlock()
}

// RotateKey makes a new signing key; the previous one stays in the JWKS.
func (p *Provider) RotateKey() error {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key != nil {
		p.oldKeys = append(p.oldKeys, p.key)
	}
	p.key = k
	p.kid = keyID(&k.PublicKey)
	return nil
}

// SignWithUnpublishedKey makes ID tokens be signed by a fresh key that
// the JWKS does not list: an attacker's key, or a rotation the provider
// has not published yet. PublishSigningKey publishes it.
func (p *Provider) SignWithUnpublishedKey() error {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.unpublished = k
	p.mu.Unlock()
	return nil
}

// PublishSigningKey adds the key set by SignWithUnpublishedKey to the JWKS
// and makes it the signing key (a completed rotation).
func (p *Provider) PublishSigningKey() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.unpublished == nil {
		return
	}
	p.oldKeys = append(p.oldKeys, p.key)
	p.key, p.kid = p.unpublished, keyID(&p.unpublished.PublicKey)
	p.unpublished = nil
}

// Authorize plays the browser: it requests authURL from this provider
// without following the redirect and returns the callback URL the
// provider redirected to (with code and state, or error and state).
func (p *Provider) Authorize(ctx context.Context, authURL string) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	p.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusFound {
		return nil, fmt.Errorf("oauthdev: authorize answered %d: %s", rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	return url.Parse(rec.Header().Get("Location"))
}

func keyID(k *rsa.PublicKey) string {
	sum := sha256.Sum256(k.N.Bytes())
	return base64.RawURLEncoding.EncodeToString(sum[:8])
}

// Handler serves the provider's endpoints under the Issuer's path:
// /authorize, /token, /userinfo, /emails, /jwks and
// /.well-known/openid-configuration.
func (p *Provider) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, p.prefix)
		name := strings.TrimPrefix(path, "/")
		if name == ".well-known/openid-configuration" {
			name = "discovery"
		}
		p.mu.Lock()
		p.hits[name]++
		status := p.fail[name]
		p.mu.Unlock()
		if status != 0 {
			http.Error(w, "forced failure", status)
			return
		}
		switch name {
		case "authorize":
			p.authorize(w, r)
		case "token":
			p.token(w, r)
		case "userinfo":
			p.userinfo(w, r)
		case "emails":
			p.emails(w, r)
		case "jwks":
			p.jwks(w)
		case "discovery":
			p.discovery(w)
		default:
			http.NotFound(w, r)
		}
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

var formPostPage = template.Must(template.New("fp").Parse(`<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="{{.Action}}">{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}</form></body></html>`))

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	p.lastAuth = q
	deny := p.deny
	p.mu.Unlock()
	redirect := q.Get("redirect_uri")
	if q.Get("client_id") != p.cfg.ClientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	if redirect == "" || (len(p.cfg.RedirectURIs) > 0 && !contains(p.cfg.RedirectURIs, redirect)) {
		// Never redirect to an unregistered URI (RFC 6749 §4.1.2.1).
		http.Error(w, "redirect_uri not registered", http.StatusBadRequest)
		return
	}
	out := url.Values{}
	out.Set("state", q.Get("state"))
	out.Set("iss", p.cfg.Issuer) // RFC 9207
	switch {
	case deny != "":
		out.Set("error", deny)
	case q.Get("response_type") != "code":
		out.Set("error", "unsupported_response_type")
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		out.Set("error", "invalid_request")
		out.Set("error_description", "PKCE S256 required")
	default:
		code, err := randToken()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		p.mu.Lock()
		p.codes[code] = &grant{
			redirectURI: redirect, challenge: q.Get("code_challenge"), nonce: q.Get("nonce"),
			scope: q.Get("scope"), expires: p.now().Add(p.cfg.CodeTTL),
		}
		p.mu.Unlock()
		out.Set("code", code)
	}
	if q.Get("response_mode") == "form_post" {
		fields := map[string]string{}
		for k := range out {
			fields[k] = out.Get(k)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = formPostPage.Execute(w, struct {
			Action string
			Fields map[string]string
		}{redirect, fields})
		return
	}
	u, _ := url.Parse(redirect)
	uq := u.Query()
	for k := range out {
		uq.Set(k, out.Get(k))
	}
	u.RawQuery = uq.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (p *Provider) clientAuthenticated(r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.cfg.ClientID || secret == "" {
		return false
	}
	if p.cfg.VerifyClientSecret != nil {
		return p.cfg.VerifyClientSecret(secret)
	}
	return subtle.ConstantTimeCompare([]byte(secret), []byte(p.cfg.ClientSecret)) == 1
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	if !p.clientAuthenticated(r) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g := p.codes[code]
	var reason string
	switch {
	case g == nil:
		reason = "unknown code"
	case g.used:
		reason = "code already used"
	case !p.now().Before(g.expires):
		reason = "code expired"
	}
	if g != nil {
		g.used = true // single use, even when this attempt fails below
	}
	p.mu.Unlock()
	if reason != "" {
		oauthError(w, http.StatusBadRequest, "invalid_grant", reason)
		return
	}
	if r.PostForm.Get("redirect_uri") != g.redirectURI {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	}
	verifier := r.PostForm.Get("code_verifier")
	sum := sha256.Sum256([]byte(verifier))
	if verifier == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		return
	}
	access, err := randToken()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p.mu.Lock()
	p.tokens[access] = true
	p.mu.Unlock()
	resp := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600, "scope": g.scope}
	if !p.cfg.NoIDToken && (g.nonce != "" || strings.Contains(" "+g.scope+" ", " openid ")) {
		idt, err := p.IDToken(g.nonce, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		resp["id_token"] = idt
	}
	writeJSON(w, http.StatusOK, resp)
}

// IDToken signs an ID token for the configured identity with nonce,
// applying extra claims and then any tamper function.
func (p *Provider) IDToken(nonce string, extra map[string]any) (string, error) {
	now := p.now()
	claims := map[string]any{
		"iss": p.cfg.Issuer, "sub": p.cfg.Subject, "aud": p.cfg.ClientID,
		"iat": now.Unix(), "exp": now.Add(p.cfg.IDTokenTTL).Unix(),
		"name": p.cfg.Name, "preferred_username": p.cfg.Username,
		"email": p.cfg.Email, "email_verified": !p.cfg.EmailUnverified,
	}
	if p.cfg.Picture != "" {
		claims["picture"] = p.cfg.Picture
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	for k, v := range extra {
		claims[k] = v
	}
	p.mu.Lock()
	tamper, key, kid, corrupt := p.tamper, p.key, p.kid, p.corrupt
	if p.unpublished != nil {
		key, kid = p.unpublished, keyID(&p.unpublished.PublicKey)
	}
	p.mu.Unlock()
	if tamper != nil {
		tamper(claims)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims(claims))
	tok.Header["kid"] = kid
	signed, err := tok.SignedString(key)
	if err != nil || !corrupt {
		return signed, err
	}
	// Re-sign nothing: swap in a payload with another subject, keeping the
	// original signature.
	parts := strings.Split(signed, ".")
	claims["sub"] = "attacker"
	forged, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(forged)
	return strings.Join(parts, "."), nil
}

func (p *Provider) bearerOK(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokens[tok]
}

func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	if !p.bearerOK(r) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "")
		return
	}
	if p.cfg.UserInfo != nil {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(p.cfg.UserInfo)
		return
	}
	info := map[string]any{
		"sub": p.cfg.Subject, "name": p.cfg.Name, "preferred_username": p.cfg.Username,
		"email": p.cfg.Email, "email_verified": !p.cfg.EmailUnverified,
	}
	if p.cfg.Picture != "" {
		info["picture"] = p.cfg.Picture
	}
	p.mu.Lock()
	tamper := p.tamperInfo
	p.mu.Unlock()
	if tamper != nil {
		tamper(info)
	}
	writeJSON(w, http.StatusOK, info)
}

func (p *Provider) emails(w http.ResponseWriter, r *http.Request) {
	if !p.bearerOK(r) {
		oauthError(w, http.StatusUnauthorized, "invalid_token", "")
		return
	}
	if p.cfg.Emails != nil {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(p.cfg.Emails)
		return
	}
	writeJSON(w, http.StatusOK, []map[string]any{
		{"email": p.cfg.Email, "primary": true, "verified": !p.cfg.EmailUnverified, "visibility": "public"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter) {
	p.mu.Lock()
	keys := []map[string]string{jwk(&p.key.PublicKey)}
	for _, k := range p.oldKeys {
		keys = append(keys, jwk(&k.PublicKey))
	}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func jwk(k *rsa.PublicKey) map[string]string {
	return map[string]string{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": keyID(k),
		"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
	}
}

func (p *Provider) discovery(w http.ResponseWriter) {
	e := p.Endpoints()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         e.Issuer,
		"authorization_endpoint":                         e.AuthURL,
		"token_endpoint":                                 e.TokenURL,
		"userinfo_endpoint":                              e.UserInfoURL,
		"jwks_uri":                                       e.JWKSURL,
		"response_types_supported":                       []string{"code"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                               []string{"openid", "email", "profile"},
		"authorization_response_iss_parameter_supported": true,
	})
}

func randToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", errors.New("oauthdev: no randomness")
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
