package oauth

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/authkit/authkit"
)

// Provider configures one provider a Flow signs in with.
type Provider struct {
	// Name is how the provider is addressed and what oauth_provider says:
	// a catalogue type ("github", "google", …) or, for a generic OpenID
	// Connect provider, any name ("okta", "acme-sso"). Required, unique.
	Name string
	// Type selects the catalogue entry; empty means Name. A type with no
	// catalogue entry (okta, GenericOIDC, or empty with a non-catalogue
	// Name) makes this a generic OpenID Connect provider, configured from
	// Issuer's discovery document.
	Type authkit.ProviderType
	// ClientID is the client id registered with the provider. Required.
	ClientID string
	// ClientSecret is the client secret. Not used for Apple when
	// AppleKey is set (the secret is then a generated JWT).
	ClientSecret string
	// RedirectURLs are the redirect_uri values registered with the
	// provider. A sign-in names one of them, compared by exact string
	// (no prefix, no pattern); the first is the default. At least one.
	RedirectURLs []string
	// Scopes replaces the catalogue's default scopes; nil keeps them. A
	// generic OpenID Connect provider defaults to "openid email profile".
	Scopes []string
	// AuthParams are extra authorization URL parameters (prompt, hd, …).
	// They cannot override state, PKCE, nonce or redirect_uri.
	AuthParams map[string]string
	// Issuer is the issuer of a generic OpenID Connect provider, exactly as
	// its discovery document states it. Its discovery document is fetched
	// on first use, with the caller's context and HTTP client.
	Issuer string
	// Tenant is Microsoft's tenant: "common" (default), "organizations",
	// "consumers" or a tenant id. With a tenant id only that tenant's
	// tokens are accepted; otherwise any tenant's, each checked against
	// its own issuer https://login.microsoftonline.com/{tid}/v2.0.
	Tenant string
	// AppleTeamID, AppleKeyID and AppleKey (the .p8 file's contents) make
	// Apple's client secret: a 5-minute ES256 JWT made for each exchange.
	AppleTeamID string
	// AppleKeyID is the key id of AppleKey, sent as the JWT's kid.
	AppleKeyID string
	// AppleKey is the PEM contents of Apple's .p8 private key.
	AppleKey []byte
	// Endpoints overrides the catalogue's endpoints field by field (tests,
	// proxies). For a generic provider it overrides discovery's results.
	Endpoints Endpoints
}

// GenericOIDC as a Provider's Type makes it a generic OpenID Connect
// provider whatever its Name (a development fake registered as "github",
// an SSO connection named after a catalogue provider).
const GenericOIDC authkit.ProviderType = "oidc"

// provider is a Provider resolved against the catalogue.
type provider struct {
	cfg      Provider
	spec     spec
	generic  bool
	appleKey *ecdsa.PrivateKey
	scopes   []string

	// Generic providers are discovered once, lazily; failed attempts are
	// retried no more often than minRetry.
	mu         sync.Mutex
	discovered bool
	triedAt    time.Time
	verifier   *idTokenVerifier
}

func (f *Flow) newProvider(p Provider) (*provider, error) {
	if p.Name == "" {
		return nil, fmt.Errorf("%w: provider without a Name", ErrConfig)
	}
	if p.ClientID == "" {
		return nil, fmt.Errorf("%w: provider %q: ClientID is required", ErrConfig, p.Name)
	}
	if len(p.RedirectURLs) == 0 {
		return nil, fmt.Errorf("%w: provider %q: at least one RedirectURL is required", ErrConfig, p.Name)
	}
	for _, u := range p.RedirectURLs {
		if err := checkAbsoluteURL(u); err != nil {
			return nil, fmt.Errorf("%w: provider %q: redirect URL %q: %w", ErrConfig, p.Name, u, err)
		}
	}
	typ := p.Type
	if typ == "" {
		typ = authkit.ProviderType(p.Name)
	}
	pr := &provider{cfg: p}
	sp, ok := catalogue(typ)
	if typ == GenericOIDC {
		ok = false
	}
	if !ok {
		if p.Issuer == "" {
			return nil, fmt.Errorf("%w: provider %q: not in the catalogue and no Issuer for OpenID Connect discovery", ErrConfig, p.Name)
		}
		if err := checkAbsoluteURL(p.Issuer); err != nil {
			return nil, fmt.Errorf("%w: provider %q: issuer: %w", ErrConfig, p.Name, err)
		}
		pr.generic = true
		pr.scopes = []string{"openid", "email", "profile"}
		if p.Scopes != nil {
			pr.scopes = p.Scopes
		}
		return pr, nil
	}
	if typ == authkit.ProviderMicrosoft {
		tenant := p.Tenant
		if tenant == "" {
			tenant = "common"
		}
		if strings.ContainsAny(tenant, "/?#{}") {
			return nil, fmt.Errorf("%w: provider %q: bad tenant %q", ErrConfig, p.Name, tenant)
		}
		r := strings.NewReplacer("{tenant}", url.PathEscape(tenant))
		sp.endpoints.AuthURL = r.Replace(sp.endpoints.AuthURL)
		sp.endpoints.TokenURL = r.Replace(sp.endpoints.TokenURL)
		sp.endpoints.JWKSURL = r.Replace(sp.endpoints.JWKSURL)
		switch tenant {
		case "common", "organizations", "consumers":
		default:
			// A single tenant has a fixed issuer.
			sp.endpoints.Issuer = strings.Replace(sp.endpoints.Issuer, "{tenantid}", tenant, 1)
		}
	}
	if p.Issuer != "" {
		sp.endpoints.Issuer = p.Issuer
	}
	sp.endpoints = sp.endpoints.override(p.Endpoints)
	pr.spec = sp
	pr.scopes = sp.scopes
	if p.Scopes != nil {
		pr.scopes = p.Scopes
	}
	if typ == authkit.ProviderApple && len(p.AppleKey) > 0 {
		k, err := ParseAppleKey(p.AppleKey)
		if err != nil {
			return nil, fmt.Errorf("%w: provider %q: %w", ErrConfig, p.Name, err)
		}
		if p.AppleTeamID == "" || p.AppleKeyID == "" {
			return nil, fmt.Errorf("%w: provider %q: AppleTeamID and AppleKeyID are required with AppleKey", ErrConfig, p.Name)
		}
		pr.appleKey = k
	} else if p.ClientSecret == "" {
		return nil, fmt.Errorf("%w: provider %q: ClientSecret is required", ErrConfig, p.Name)
	}
	if sp.oidc {
		if sp.endpoints.Issuer == "" || sp.endpoints.JWKSURL == "" {
			return nil, fmt.Errorf("%w: provider %q: OpenID provider without issuer or JWKS URL", ErrConfig, p.Name)
		}
		pr.verifier = f.newVerifier(pr, sp.endpoints.JWKSURL, sp.idTokenAlgs)
	}
	pr.discovered = true
	return pr, nil
}

func (f *Flow) newVerifier(pr *provider, jwksURL string, algs []string) *idTokenVerifier {
	var jalgs []jose.SignatureAlgorithm
	if len(algs) == 0 {
		algs = []string{"RS256"}
	}
	var secret []byte
	for _, a := range algs {
		if a == "none" {
			continue // never
		}
		if strings.HasPrefix(a, "HS") {
			// Symmetric ID tokens are keyed by the client secret (OIDC
			// Core §10.1); accepted only where the catalogue says so.
			secret = []byte(pr.cfg.ClientSecret)
		}
		jalgs = append(jalgs, jose.SignatureAlgorithm(a))
	}
	ks := &keySet{
		url: jwksURL, algs: jalgs, hmacSecret: secret, now: f.now,
		minRefetch: f.cfg.JWKSRefetchInterval, maxAge: f.cfg.JWKSCacheTTL,
	}
	return newIDTokenVerifier(pr.cfg.ClientID, pr.spec.endpoints.Issuer, algs, ks, f.now)
}

// resolve makes sure a generic provider has been discovered.
func (f *Flow) resolve(ctx context.Context, pr *provider) error {
	if !pr.generic {
		return nil
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.discovered {
		return nil
	}
	now := f.now()
	if !pr.triedAt.IsZero() && now.Sub(pr.triedAt) < f.cfg.JWKSRefetchInterval {
		return fmt.Errorf("%w: discovery of %q failed recently", ErrProviderUnavailable, pr.cfg.Issuer)
	}
	pr.triedAt = now
	// go-oidc checks that the document's issuer equals ours exactly.
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, boundedClient(f.client(ctx), maxDiscoveryBytes)), pr.cfg.Issuer)
	if err != nil {
		return f.discoveryError(ctx, pr, err)
	}
	var doc struct {
		Auth       string   `json:"authorization_endpoint"`
		Token      string   `json:"token_endpoint"`
		UserInfo   string   `json:"userinfo_endpoint"`
		JWKS       string   `json:"jwks_uri"`
		Algs       []string `json:"id_token_signing_alg_values_supported"`
		AuthMethod []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := op.Claims(&doc); err != nil {
		return fmt.Errorf("%w: discovery: %w", ErrProviderUnavailable, err)
	}
	if doc.Auth == "" || doc.Token == "" || doc.JWKS == "" {
		return fmt.Errorf("%w: discovery document lacks endpoints", ErrProviderUnavailable)
	}
	// client_secret_basic is the default (OIDC Discovery §3); use
	// client_secret_post only when the provider supports nothing else.
	style := oauth2.AuthStyleInHeader
	if len(doc.AuthMethod) > 0 && !slices.Contains(doc.AuthMethod, "client_secret_basic") && slices.Contains(doc.AuthMethod, "client_secret_post") {
		style = oauth2.AuthStyleInParams
	}
	var algs []string
	for _, a := range doc.Algs {
		if a != "none" && !strings.HasPrefix(a, "HS") {
			algs = append(algs, a)
		}
	}
	pr.spec = spec{
		endpoints: Endpoints{
			AuthURL: doc.Auth, TokenURL: doc.Token, UserInfoURL: doc.UserInfo,
			Issuer: pr.cfg.Issuer, JWKSURL: doc.JWKS,
		}.override(pr.cfg.Endpoints),
		scopes: pr.scopes, oidc: true, authStyle: style, mapProfile: mapOIDC,
	}
	pr.verifier = f.newVerifier(pr, pr.spec.endpoints.JWKSURL, algs)
	pr.discovered = true
	return nil
}

// discoveryError turns a failed discovery into ErrProviderUnavailable
// without go-oidc's text, which quotes a non-200 response body whole (and
// the document's issuer on a mismatch): an issuer a tenant admin may set
// must not turn sign-in errors into a way to read internal URLs. Transport
// errors (*url.Error: no answer, timeout) carry no body and are kept; the
// full detail goes to the server's log.
func (f *Flow) discoveryError(ctx context.Context, pr *provider, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%w: discovery: %w", ErrProviderUnavailable, err)
	}
	f.log.WarnContext(ctx, "oauth: discovery failed", "provider", pr.cfg.Name, "issuer", pr.cfg.Issuer, "err", err)
	var mismatch *oidc.IssuerMismatchError
	if errors.As(err, &mismatch) {
		return fmt.Errorf("%w: discovery document of %q names another issuer", ErrProviderUnavailable, pr.cfg.Issuer)
	}
	return fmt.Errorf("%w: discovery of %q failed", ErrProviderUnavailable, pr.cfg.Issuer)
}

// maxDiscoveryBytes bounds a discovery document, which go-oidc reads whole.
const maxDiscoveryBytes = 1 << 20

// boundedClient returns a copy of c whose response bodies end after n
// bytes (a longer document is cut short and fails to decode).
func boundedClient(c *http.Client, n int64) *http.Client {
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	bc := *c
	bc.Transport = limitBody{rt: rt, n: n}
	return &bc
}

type limitBody struct {
	rt http.RoundTripper
	n  int64
}

// RoundTrip implements http.RoundTripper.
func (l limitBody) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.rt.RoundTrip(r)
	if resp != nil && resp.Body != nil {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, l.n), resp.Body}
	}
	return resp, err
}

// current returns the provider's spec and verifier under its lock.
func (pr *provider) current() (spec, *idTokenVerifier) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.spec, pr.verifier
}

// oauth2Config builds the x/oauth2 configuration for one redirect URL.
// The auth style is always explicit, so x/oauth2's auto-detection (which
// may send the secret twice) is never used.
func (f *Flow) oauth2Config(pr *provider, sp spec, redirectURL string) (*oauth2.Config, error) {
	secret := pr.cfg.ClientSecret
	if pr.appleKey != nil {
		s, err := AppleClientSecret(pr.appleKey, pr.cfg.AppleTeamID, pr.cfg.AppleKeyID, pr.cfg.ClientID, f.now())
		if err != nil {
			return nil, err
		}
		secret = s
	}
	return &oauth2.Config{
		ClientID:     pr.cfg.ClientID,
		ClientSecret: secret,
		RedirectURL:  redirectURL,
		Scopes:       pr.scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   sp.endpoints.AuthURL,
			TokenURL:  sp.endpoints.TokenURL,
			AuthStyle: sp.authStyle,
		},
	}, nil
}

func checkAbsoluteURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme == "" || u.Fragment != "" {
		return errors.New("must be absolute, without a fragment")
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Host == "" {
		return errors.New("must have a host")
	}
	return nil
}

// client returns the client for this call: one put in the context
// under oauth2.HTTPClient wins, then Config.HTTPClient.
func (f *Flow) client(ctx context.Context) *http.Client {
	if c, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && c != nil {
		return c
	}
	return f.httpClient
}
