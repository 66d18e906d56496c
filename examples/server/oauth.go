package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthdev"
)

// The OAuth routes under providers/{type}: initAuth, loginUrl, redirect
// (GET, and POST for Apple's form_post), oauthResult, signIn and verify.
// The provider list is the -oidc flags, plus in development mode a fake
// provider (oauth/oauthdev) mounted at /dev/oauth/ and registered as
// github, so that the whole flow runs offline.

// providerTimeout bounds every call to a provider.
const providerTimeout = 10 * time.Second

// fakeGitHubProfile is what the fake provider's user-info endpoint
// answers, in GitHub's GET /user format, since it stands in for github.
var fakeGitHubProfile = json.RawMessage(`{"id":424242,"login":"devuser","name":"Dev User","email":"dev@example.com","avatar_url":"https://avatars.example.com/u/424242"}`)

// buildOAuth configures the OAuth flow. Every provider gets one
// redirect_uri, {issuer}/providers/{name}/redirect.
func (s *server) buildOAuth(opt serverOptions) error {
	client := opt.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: providerTimeout}
	}
	var providers []oauth.Provider
	names := map[string]bool{}
	for _, p := range s.cfg.OIDC {
		providers = append(providers, oauth.Provider{
			Name: p.Name,
			// Generic OIDC whatever the name: -oidc name=github,issuer=…
			// must use that issuer, not the catalogue's GitHub.
			Type:         oauth.GenericOIDC,
			ClientID:     p.ClientID,
			ClientSecret: p.ClientSecret,
			Issuer:       p.Issuer,
			RedirectURLs: []string{s.redirectURI(p.Name)},
			Scopes:       []string{"openid", "email", "profile"},
		})
		names[p.Name] = true
	}
	if s.cfg.Dev && !names[string(authkit.ProviderGitHub)] {
		fake, err := oauthdev.NewProvider(oauthdev.Config{
			Issuer:       s.ownOrigin + "/dev/oauth",
			RedirectURIs: []string{s.redirectURI(string(authkit.ProviderGitHub))},
			UserInfo:     fakeGitHubProfile,
			Email:        "dev@example.com",
			Now:          s.now,
		})
		if err != nil {
			return err
		}
		s.fakeOAuth = fake
		providers = append(providers, oauth.Provider{
			Name:         string(authkit.ProviderGitHub),
			ClientID:     fake.ClientID(),
			ClientSecret: fake.ClientSecret(),
			RedirectURLs: []string{s.redirectURI(string(authkit.ProviderGitHub))},
			Endpoints:    fake.Endpoints(),
		})
	}
	if len(providers) == 0 {
		return nil // no OAuth: every providers/… route answers 404
	}
	flow, err := oauth.New(oauth.Config{
		Providers:  providers,
		Store:      s.stores.OAuthStates,
		ReturnURLs: s.cfg.RedirectURLs,
		HTTPClient: client,
		Now:        s.now,
		Logger:     s.log,
	})
	if err != nil {
		return err
	}
	s.oauth = flow
	return nil
}

// redirectURI is the redirect_uri registered with the named provider.
func (s *server) redirectURI(provider string) string {
	return s.cfg.Issuer + "/providers/" + provider + "/redirect"
}

// provider returns the {type} of the request if it is configured.
func (s *server) provider(r *http.Request) (string, error) {
	name := r.PathValue("type")
	if s.oauth == nil || !isProviderName(name) {
		return "", errProviderNotAvailable()
	}
	for _, p := range s.oauth.Providers() {
		if p == name {
			return name, nil
		}
	}
	return "", errProviderNotAvailable()
}

// oauthInitAuth is POST providers/{type}/initAuth.
func (s *server) oauthInitAuth(w http.ResponseWriter, r *http.Request) error {
	name, err := s.provider(r)
	if err != nil {
		return err
	}
	var body struct {
		State         string `json:"state"`
		RedirectURL   string `json:"redirectUrl,omitempty"`
		CodeChallenge string `json:"codeChallenge,omitempty"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.State == "" {
		return errValidation("state is required.")
	}
	// Without a codeChallenge the client builds the provider URL itself
	// with its own PKCE challenge (Dynamic's SDK): the server never sees
	// it, and the provider checks the verifier signIn forwards. With one,
	// the server checks the verifier itself.
	if _, err := s.oauth.Init(r.Context(), oauth.InitRequest{
		Provider: name, State: body.State, ReturnURL: body.RedirectURL, CodeChallenge: body.CodeChallenge,
		ClientBuiltURL: body.CodeChallenge == "",
	}); err != nil {
		return classifyOAuth(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// oauthLoginURL is GET providers/{type}/loginUrl[?state=S].
func (s *server) oauthLoginURL(w http.ResponseWriter, r *http.Request) error {
	u, err := s.loginURL(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		URL string `json:"url"`
	}{u})
	return nil
}

// oauthLogin is GET providers/{type}/login[?state=S]: the browser is sent
// to the URL loginUrl returns.
func (s *server) oauthLogin(w http.ResponseWriter, r *http.Request) error {
	u, err := s.loginURL(r)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u, http.StatusFound)
	return nil
}

// loginURL is the provider's authorization URL: for a state from
// initAuth, that sign-in's URL (with the PKCE challenge initAuth was
// given, if any); without a state, the bare URL, to which the caller adds
// its own state and challenge.
func (s *server) loginURL(r *http.Request) (string, error) {
	name, err := s.provider(r)
	if err != nil {
		return "", err
	}
	var u string
	if state := r.URL.Query().Get("state"); state != "" {
		u, err = s.oauth.AuthCodeURL(r.Context(), name, state)
	} else {
		u, err = s.oauth.ClientAuthURL(r.Context(), name)
	}
	if err != nil {
		return "", classifyOAuth(err)
	}
	return u, nil
}

// sdkReturnParams are the query parameters Dynamic's SDK reads on its
// redirect page; on a provider error there is no code, so the SDK does not
// take the page for a completed sign-in.
var sdkReturnParams = oauth.ReturnParams{State: "dynamicOauthState", Code: "dynamicOauthCode", Error: "dynamicOauthError"}

// closeWindowPage is the answer to a callback without a redirectUrl.
var closeWindowPage = template.Must(template.New("done").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signed in</title></head>
<body><p>{{.}}</p></body></html>
`))

// oauthRedirect is the provider's callback, GET providers/{type}/redirect
// (and POST, for Apple's form_post): record the code (or error) under the
// state, then send the browser to the sign-in's redirectUrl with state
// and code, or show a page saying the window can be closed.
func (s *server) oauthRedirect(w http.ResponseWriter, r *http.Request) error {
	name, err := s.provider(r)
	if err != nil {
		return err
	}
	params, err := oauth.ParseCallback(r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errValidation("Malformed callback.")
	}
	if params.State == "" {
		return errValidation("state is required.")
	}
	rec, err := s.oauth.Callback(r.Context(), name, params)
	if err != nil {
		return classifyOAuth(err)
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // the code must not leak in a Referer
	if loc, ok := oauth.ReturnLocationWith(rec, sdkReturnParams); ok {
		http.Redirect(w, r, loc, http.StatusFound)
		return nil
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'")
	msg := "Sign-in complete. You can close this window."
	if rec.Error != "" {
		msg = "Sign-in was not completed. You can close this window."
	}
	return closeWindowPage.Execute(w, msg)
}

// oauthResult is POST providers/{type}/oauthResult: pending until the
// callback arrives, then the provider's code (or error) as received.
func (s *server) oauthResult(w http.ResponseWriter, r *http.Request) error {
	name, err := s.provider(r)
	if err != nil {
		return err
	}
	var body struct {
		State string `json:"state"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.State == "" {
		return errValidation("state is required.")
	}
	res, err := s.oauth.Result(r.Context(), name, body.State)
	if err != nil {
		return classifyOAuth(err)
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// oauthRequest is the body of signIn and verify.
type oauthRequest struct {
	State            string    `json:"state"`
	Code             string    `json:"code,omitempty"`
	CodeVerifier     string    `json:"codeVerifier,omitempty"`
	CaptchaToken     string    `json:"captchaToken,omitempty"`
	SessionPublicKey string    `json:"sessionPublicKey,omitempty"`
	RequestedScopes  *[]string `json:"requestedScopes,omitempty"`
}

// completeOAuth validates a signIn/verify body, checks its captchaToken
// when withCaptcha (signIn, the public route), and completes the sign-in
// with the provider, returning the credential it proves.
func (s *server) completeOAuth(r *http.Request, withCaptcha bool) (authkit.VerifiedCredential, oauthRequest, []authkit.Scope, error) {
	var body oauthRequest
	name, err := s.provider(r)
	if err != nil {
		return authkit.VerifiedCredential{}, body, nil, err
	}
	if err := decodeJSON(r, &body); err != nil {
		return authkit.VerifiedCredential{}, body, nil, err
	}
	if body.State == "" {
		return authkit.VerifiedCredential{}, body, nil, errValidation("state is required.")
	}
	if len(body.Code) > 4096 || len(body.CodeVerifier) > 128 {
		return authkit.VerifiedCredential{}, body, nil, errValidation("code or codeVerifier too long.")
	}
	if err := validSessionPublicKey(body.SessionPublicKey); err != nil {
		return authkit.VerifiedCredential{}, body, nil, err
	}
	scopes, err := parseRequestedScopes(body.RequestedScopes)
	if err != nil {
		return authkit.VerifiedCredential{}, body, nil, err
	}
	if withCaptcha {
		// Before Complete, which consumes the state: a refused captcha
		// can be solved again and retried with the same state.
		if err := s.checkCaptcha(r, body.CaptchaToken); err != nil {
			return authkit.VerifiedCredential{}, body, nil, err
		}
	}
	id, err := s.oauth.Complete(r.Context(), oauth.CompleteRequest{
		Provider: name, State: body.State, Code: body.Code, CodeVerifier: body.CodeVerifier,
	})
	if err != nil {
		return authkit.VerifiedCredential{}, body, nil, classifyOAuth(err)
	}
	return id.Credential(), body, scopes, nil
}

// oauthSignIn is POST providers/{type}/signIn: the provider account signs
// in (finding or creating its user). Users are matched on the provider
// account only, never on an email, so no provider can take over an
// account by reporting its address.
func (s *server) oauthSignIn(w http.ResponseWriter, r *http.Request) error {
	cred, body, scopes, err := s.completeOAuth(r, true)
	if err != nil {
		return err
	}
	return s.signIn(w, r, cred, signInOptions{sessionPublicKey: body.SessionPublicKey, requestedScopes: scopes})
}

// oauthVerify is POST providers/{type}/verify: link the provider account
// to the signed-in user.
func (s *server) oauthVerify(w http.ResponseWriter, r *http.Request) error {
	cred, _, scopes, err := s.completeOAuth(r, false)
	if err != nil {
		return err
	}
	return s.linkCredential(w, r, cred, linkOptions{requestedScopes: scopes})
}

// describeProviders lists the configured providers for the start-up log.
func (s *server) describeProviders() string {
	if s.oauth == nil {
		return "none"
	}
	return fmt.Sprint(s.oauth.Providers())
}
