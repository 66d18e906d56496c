package oauth

import (
	"context"
	"net/url"
)

// This file holds the client-built authorization mode: a client (such as
// Dynamic's headless SDK) that reads the provider's public configuration,
// builds the authorization URL itself with its own state and PKCE
// challenge, and presents its verifier at completion. The server never
// sees the challenge, so the provider is the one that enforces PKCE
// (RFC 7636 §4.6); the state still binds the sign-in to this provider and
// redirect URL and is single-use (RFC 9700 §2.1).

// ClientConfig is the public part of a provider's configuration: what a
// client needs to build the authorization URL itself. It never holds the
// client secret.
type ClientConfig struct {
	// Name is the provider's configured Name.
	Name string
	// ClientID is the OAuth client_id.
	ClientID string
	// AuthURL is the provider's authorization endpoint (RFC 6749 §3.1).
	AuthURL string
	// RedirectURL is the redirect_uri the client must send: the provider's
	// first RedirectURLs entry, which Complete presents at the token
	// endpoint byte for byte (RFC 6749 §4.1.3).
	RedirectURL string
	// Scopes are the scopes to request.
	Scopes []string
}

// ClientConfig returns the public configuration of the named provider,
// discovering a generic OpenID Connect provider first if needed.
func (f *Flow) ClientConfig(ctx context.Context, name string) (ClientConfig, error) {
	pr, err := f.provider(name)
	if err != nil {
		return ClientConfig{}, err
	}
	if err := f.resolve(ctx, pr); err != nil {
		return ClientConfig{}, err
	}
	sp, _ := pr.current()
	return ClientConfig{
		Name:        pr.cfg.Name,
		ClientID:    pr.cfg.ClientID,
		AuthURL:     sp.endpoints.AuthURL,
		RedirectURL: pr.cfg.RedirectURLs[0],
		Scopes:      append([]string(nil), pr.scopes...),
	}, nil
}

// ClientAuthURL returns the provider's authorization URL without state,
// PKCE or nonce, for a client that adds its own state and challenge (a
// client-built sign-in; Dynamic's loginUrl without a state): client_id,
// redirect_uri, response_type=code, scope and the provider's extra
// parameters (RFC 6749 §4.1.1).
func (f *Flow) ClientAuthURL(ctx context.Context, provider string) (string, error) {
	pr, err := f.provider(provider)
	if err != nil {
		return "", err
	}
	if err := f.resolve(ctx, pr); err != nil {
		return "", err
	}
	u, err := f.authCodeURL(State{Provider: pr.cfg.Name, RedirectURL: pr.cfg.RedirectURLs[0]})
	if err != nil {
		return "", err
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	q := parsed.Query()
	q.Del("state") // the client adds its own
	parsed.RawQuery = q.Encode()
	return parsed.String(), nil
}

// ReturnParams names the query parameters ReturnLocationWith adds to the
// return URL.
type ReturnParams struct {
	// State, Code and Error name the state, the authorization code and the
	// provider's error code. An empty name leaves that value out.
	State, Code, Error string
}

// DefaultReturnParams are the names ReturnLocation uses: those of the
// provider's own redirect (RFC 6749 §4.1.2).
var DefaultReturnParams = ReturnParams{State: "state", Code: "code", Error: "error"}

// ReturnLocationWith is ReturnLocation with the parameter names of p, for
// clients that read other names than the provider's (Dynamic's SDK reads
// dynamicOauthState and dynamicOauthCode). Parameters of the return URL
// with those names are replaced.
func ReturnLocationWith(rec State, p ReturnParams) (location string, ok bool) {
	if rec.ReturnURL == "" {
		return "", false
	}
	u, err := url.Parse(rec.ReturnURL)
	if err != nil {
		return "", false
	}
	q := u.Query()
	set := func(k, v string) {
		if k != "" {
			q.Set(k, v)
		}
	}
	set(p.State, rec.State)
	if rec.Error != "" {
		set(p.Error, rec.Error)
	} else {
		set(p.Code, rec.Code)
	}
	u.RawQuery = q.Encode()
	return u.String(), true
}

// clientBuilt reports whether rec was made by Init with ClientBuiltURL:
// the server holds neither verifier nor challenge.
func clientBuilt(rec State) bool {
	return rec.CodeVerifier == "" && rec.CodeChallenge == ""
}

// validClientVerifier checks an optional client-held verifier of a
// client-built sign-in: absent, or of RFC 7636 §4.1 form.
func validClientVerifier(v string) bool {
	return v == "" || ValidVerifier(v)
}
