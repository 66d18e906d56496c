package oauth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/internal/random"
)

// Defaults of Config.
const (
	// DefaultStateTTL is how long a sign-in may take (RFC 9700 §4.7).
	DefaultStateTTL = 10 * time.Minute
	// DefaultHTTPTimeout bounds each call to a provider.
	DefaultHTTPTimeout = 10 * time.Second
	// DefaultJWKSRefetchInterval is the least time between two JWKS
	// fetches (and discovery retries) triggered by unknown key ids.
	DefaultJWKSRefetchInterval = time.Minute
	// DefaultJWKSCacheTTL is how long fetched keys are trusted before they
	// are fetched again.
	DefaultJWKSCacheTTL = time.Hour
)

// Config configures a Flow. Providers and Store are required; every other
// zero value means the documented default.
type Config struct {
	// Providers are the providers users may sign in with. At least one.
	Providers []Provider
	// Store keeps sign-in states. Required: NewMemoryStore for one
	// process, store/postgres or store/redis for several, or the host's own.
	Store Store
	// ReturnURLs are the URLs a sign-in may ask to be sent back to after
	// the provider's callback (Dynamic's redirectUrl), compared by exact
	// string. Empty: no return URL is accepted.
	ReturnURLs []string
	// HTTPClient makes every call to providers (token, user-info, JWKS,
	// discovery). nil means a client with a DefaultHTTPTimeout timeout. A
	// *http.Client stored in a call's context under oauth2.HTTPClient takes
	// precedence for that call.
	HTTPClient *http.Client
	// StateTTL is how long a state lives; 0 means DefaultStateTTL.
	StateTTL time.Duration
	// JWKSRefetchInterval is the least time between JWKS refetches on an
	// unknown kid; 0 means DefaultJWKSRefetchInterval.
	JWKSRefetchInterval time.Duration
	// JWKSCacheTTL is how long fetched JWKS keys are used before being
	// refreshed; 0 means DefaultJWKSCacheTTL.
	JWKSCacheTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of states, verifiers and nonces; nil means
	// crypto/rand. Only tests should set it.
	Rand io.Reader
	// Logger receives debug lines about sign-ins (never codes, verifiers,
	// nonces or tokens); nil means no logging.
	Logger *slog.Logger
}

// Flow runs authorization-code sign-ins. It is safe for concurrent use.
type Flow struct {
	cfg        Config
	now        func() time.Time
	store      Store
	httpClient *http.Client
	providers  map[string]*provider
	returnURLs map[string]bool
	log        *slog.Logger
}

// New validates cfg and returns a Flow. It does no network I/O: generic
// OpenID Connect providers are discovered on first use. A nil Config.Store
// is an error wrapping ErrConfig: pass NewMemoryStore for one process.
func New(cfg Config) (*Flow, error) {
	if cfg.StateTTL < 0 || cfg.JWKSRefetchInterval < 0 || cfg.JWKSCacheTTL < 0 {
		return nil, fmt.Errorf("%w: durations must not be negative", ErrConfig)
	}
	if cfg.StateTTL == 0 {
		cfg.StateTTL = DefaultStateTTL
	}
	if cfg.JWKSRefetchInterval == 0 {
		cfg.JWKSRefetchInterval = DefaultJWKSRefetchInterval
	}
	if cfg.JWKSCacheTTL == 0 {
		cfg.JWKSCacheTTL = DefaultJWKSCacheTTL
	}
	if len(cfg.Providers) == 0 {
		return nil, fmt.Errorf("%w: no providers configured", ErrConfig)
	}
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: Store is required", ErrConfig)
	}
	f := &Flow{
		cfg:        cfg,
		now:        clock.Or(cfg.Now),
		store:      cfg.Store,
		httpClient: cfg.HTTPClient,
		providers:  make(map[string]*provider, len(cfg.Providers)),
		returnURLs: make(map[string]bool, len(cfg.ReturnURLs)),
		log:        cfg.Logger,
	}
	if f.httpClient == nil {
		f.httpClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	for _, u := range cfg.ReturnURLs {
		if err := checkAbsoluteURL(u); err != nil {
			return nil, fmt.Errorf("%w: return URL %q: %w", ErrConfig, u, err)
		}
		f.returnURLs[u] = true
	}
	for _, p := range cfg.Providers {
		if _, dup := f.providers[p.Name]; dup {
			return nil, fmt.Errorf("%w: provider %q configured twice", ErrConfig, p.Name)
		}
		pr, err := f.newProvider(p)
		if err != nil {
			return nil, err
		}
		f.providers[p.Name] = pr
	}
	return f, nil
}

// Providers returns the names of the configured providers.
func (f *Flow) Providers() []string {
	names := make([]string, 0, len(f.providers))
	for _, p := range f.cfg.Providers {
		names = append(names, p.Name)
	}
	return names
}

func (f *Flow) provider(name string) (*provider, error) {
	pr, ok := f.providers[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownProvider, name)
	}
	return pr, nil
}

// InitRequest starts a sign-in.
type InitRequest struct {
	// Provider is the provider's configured Name.
	Provider string
	// State is a client-chosen state (Dynamic's initAuth): 16–128 URL-safe
	// characters, and new. Empty: a 256-bit random state is made.
	State string
	// RedirectURL is the redirect_uri to send to the provider: exactly one
	// of the provider's RedirectURLs. Empty: the first of them.
	RedirectURL string
	// ReturnURL is where the browser goes after the callback: exactly one
	// of Config.ReturnURLs, or empty for none.
	ReturnURL string
	// CodeChallenge, when set, is the S256 challenge of a PKCE verifier the
	// client holds and will present to Complete; the server then stores
	// only the challenge. Empty: the server makes and keeps the verifier.
	CodeChallenge string
	// ClientBuiltURL says the client builds the authorization URL itself
	// from ClientConfig, with State and its own PKCE challenge, which the
	// server never sees (Dynamic's headless SDK). No verifier, challenge
	// or nonce is made; Complete forwards the client's verifier, if any,
	// to the token endpoint, and the provider enforces PKCE. State is
	// required and CodeChallenge must be empty.
	ClientBuiltURL bool
}

// Init validates req, creates the state (with PKCE verifier or challenge
// and, for OpenID providers, a nonce) and stores it. It returns the
// stored record; AuthCodeURL turns it into the authorization URL.
// Errors: ErrUnknownProvider, ErrRedirectURLNotAllowed,
// ErrInvalidStateValue, ErrInvalidCodeChallenge, ErrDuplicate (a
// client-chosen state that is live), ErrProviderUnavailable (discovery of
// a generic OpenID Connect provider), or the Store's failure.
func (f *Flow) Init(ctx context.Context, req InitRequest) (State, error) {
	pr, err := f.provider(req.Provider)
	if err != nil {
		return State{}, err
	}
	redirect := req.RedirectURL
	if redirect == "" {
		redirect = pr.cfg.RedirectURLs[0]
	} else if !containsExact(pr.cfg.RedirectURLs, redirect) {
		return State{}, fmt.Errorf("%w: redirect URL for %q", ErrRedirectURLNotAllowed, req.Provider)
	}
	if req.ReturnURL != "" && !f.returnURLs[req.ReturnURL] {
		return State{}, fmt.Errorf("%w: return URL", ErrRedirectURLNotAllowed)
	}
	if req.State != "" && !validStateValue(req.State) {
		return State{}, ErrInvalidStateValue
	}
	if req.CodeChallenge != "" && !validChallenge(req.CodeChallenge) {
		return State{}, ErrInvalidCodeChallenge
	}
	if req.ClientBuiltURL && (req.State == "" || req.CodeChallenge != "") {
		// The client sent its state to the provider: the server cannot
		// choose it, and a challenge here would never reach the provider.
		return State{}, fmt.Errorf("%w: a client-built URL needs the client's state and no code challenge", ErrInvalidStateValue)
	}
	if err := f.resolve(ctx, pr); err != nil {
		return State{}, err
	}
	sp, _ := pr.current()
	now := f.now()
	rec := State{
		State: req.State, Provider: pr.cfg.Name, RedirectURL: redirect, ReturnURL: req.ReturnURL,
		CodeChallenge: req.CodeChallenge, CreatedAt: now, ExpiresAt: now.Add(f.cfg.StateTTL),
	}
	if rec.State == "" {
		if rec.State, err = random.Token(f.cfg.Rand, 32); err != nil {
			return State{}, err
		}
	}
	if req.ClientBuiltURL {
		if err := f.store.Create(ctx, rec, now); err != nil {
			return State{}, err
		}
		f.log.DebugContext(ctx, "oauth: sign-in started", "provider", rec.Provider, "client_built_url", true)
		return rec, nil
	}
	if rec.CodeChallenge == "" {
		if rec.CodeVerifier, err = random.Token(f.cfg.Rand, verifierBytes); err != nil {
			return State{}, err
		}
		rec.CodeChallenge = S256Challenge(rec.CodeVerifier)
	}
	if sp.oidc {
		if rec.Nonce, err = random.Token(f.cfg.Rand, 32); err != nil {
			return State{}, err
		}
	}
	if err := f.store.Create(ctx, rec, now); err != nil {
		return State{}, err
	}
	f.log.DebugContext(ctx, "oauth: sign-in started", "provider", rec.Provider, "client_verifier", req.CodeChallenge != "")
	return rec, nil
}

// Begin starts a sign-in and returns the provider's authorization URL and
// the state: Init followed by AuthCodeURL without reading the store back,
// with Init's errors. The caller must bind the state to the client that
// started the sign-in (RFC 9700 §4.7.1); a browser host uses BeginBrowser,
// which does.
func (f *Flow) Begin(ctx context.Context, req InitRequest) (authURL, state string, err error) {
	rec, err := f.Init(ctx, req)
	if err != nil {
		return "", "", err
	}
	u, err := f.authCodeURL(rec)
	if err != nil {
		return "", "", err
	}
	return u, rec.State, nil
}

// AuthCodeURL returns the authorization URL of a sign-in started with
// Init (Dynamic's loginUrl): always with code_challenge,
// code_challenge_method=S256 and state, and nonce for OpenID providers.
// The state must be live, unconsumed, without a callback yet, and made for
// this provider: otherwise one of the state errors (ErrNotFound,
// ErrStateExpired, ErrStateUsed, ErrCallbackRecorded, ErrStateMismatch).
func (f *Flow) AuthCodeURL(ctx context.Context, provider, state string) (string, error) {
	if !validStateValue(state) {
		return "", ErrNotFound
	}
	rec, err := f.store.Get(ctx, state, f.now())
	if err != nil {
		return "", err
	}
	if rec.Provider != provider {
		return "", ErrStateMismatch
	}
	if !rec.ConsumedAt.IsZero() {
		return "", ErrStateUsed
	}
	if !rec.CallbackAt.IsZero() {
		return "", ErrCallbackRecorded
	}
	// Another instance may have run Init: make sure a generic provider is
	// discovered here too.
	if err := f.resolveName(ctx, provider); err != nil {
		return "", err
	}
	return f.authCodeURL(rec)
}

func (f *Flow) resolveName(ctx context.Context, name string) error {
	pr, err := f.provider(name)
	if err != nil {
		return err
	}
	return f.resolve(ctx, pr)
}

func (f *Flow) authCodeURL(rec State) (string, error) {
	pr, err := f.provider(rec.Provider)
	if err != nil {
		return "", err
	}
	sp, _ := pr.current()
	cfg := &oauth2.Config{
		ClientID: pr.cfg.ClientID, RedirectURL: rec.RedirectURL, Scopes: pr.scopes,
		Endpoint: oauth2.Endpoint{AuthURL: sp.endpoints.AuthURL},
	}
	opts := make([]oauth2.AuthCodeOption, 0, len(pr.cfg.AuthParams)+5)
	for k, v := range pr.cfg.AuthParams {
		switch k {
		case "state", "code_challenge", "code_challenge_method", "nonce", "redirect_uri", "client_id", "response_type":
			continue
		}
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	if rec.CodeChallenge != "" { // empty only for a client-built sign-in
		opts = append(opts,
			oauth2.SetAuthURLParam("code_challenge", rec.CodeChallenge),
			oauth2.SetAuthURLParam("code_challenge_method", "S256"))
	}
	if rec.Nonce != "" {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", rec.Nonce))
	}
	if sp.formPost {
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", "form_post"))
	}
	if sp.clientIDParam != "" {
		opts = append(opts, oauth2.SetAuthURLParam(sp.clientIDParam, pr.cfg.ClientID))
	}
	return cfg.AuthCodeURL(rec.State, opts...), nil
}

// CallbackParams is what a provider's redirect carried.
type CallbackParams struct {
	// State is the state parameter.
	State string
	// Issuer is the iss parameter (RFC 9207), if the provider sent one.
	Issuer string
	Callback
}

// maxCallbackBody bounds a form_post callback body.
const maxCallbackBody = 64 << 10

// ParseCallback reads a provider's redirect: query parameters of a GET,
// or the form of a POST (Apple's response_mode=form_post, which also
// carries the "user" field on the first sign-in). A callback without a
// state is ErrNotFound; an unreadable form, or one with neither code nor
// error, is ErrExchangeFailed.
func ParseCallback(r *http.Request) (CallbackParams, error) {
	vals := r.URL.Query()
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(nil, r.Body, maxCallbackBody)
		if err := r.ParseForm(); err != nil {
			return CallbackParams{}, fmt.Errorf("%w: callback form: %w", ErrExchangeFailed, err)
		}
		vals = r.PostForm
	}
	p := CallbackParams{State: vals.Get("state"), Issuer: vals.Get("iss"), Callback: Callback{
		Code: vals.Get("code"), Error: vals.Get("error"),
		ErrorDescription: vals.Get("error_description"), User: vals.Get("user"),
	}}
	if p.State == "" {
		return p, ErrNotFound
	}
	if p.Code == "" && p.Error == "" {
		return p, fmt.Errorf("%w: callback carries neither code nor error", ErrExchangeFailed)
	}
	return p, nil
}

// Callback records the provider's redirect under its state, once, and
// returns the updated record (its ReturnURL says where to send the
// browser; see ReturnLocation). The state must be live, unconsumed and
// made for this provider. When the redirect carries an iss parameter
// (RFC 9207) it must be the provider's issuer: a response from another
// authorization server is a mix-up attack and is refused without being
// recorded (ErrStateMismatch). A provider's error (access_denied, …) is
// recorded like a code and reported by Complete. Errors:
// ErrUnknownProvider, the state errors (ErrNotFound, ErrStateExpired,
// ErrStateUsed, ErrCallbackRecorded, ErrStateMismatch), ErrExchangeFailed
// (a code over MaxCodeLen), or the Store's failure.
func (f *Flow) Callback(ctx context.Context, provider string, p CallbackParams) (State, error) {
	pr, err := f.provider(provider)
	if err != nil {
		return State{}, err
	}
	// Anyone holding a live state (their own sign-in will do) chooses
	// these values, and the store keeps them for StateTTL+StateRetention.
	if !validStateValue(p.State) {
		return State{}, ErrNotFound // no state this package makes or accepts
	}
	if len(p.Code) > maxCodeLen {
		return State{}, fmt.Errorf("%w: authorization code over %d bytes", ErrExchangeFailed, maxCodeLen)
	}
	p.Error = truncateUTF8(p.Error, maxErrorLen)
	p.ErrorDescription = truncateUTF8(p.ErrorDescription, maxErrorDescriptionLen)
	if p.Issuer != "" {
		if err := f.resolve(ctx, pr); err != nil {
			return State{}, err
		}
		sp, _ := pr.current()
		iss := sp.endpoints.Issuer
		if iss != "" && !strings.Contains(iss, "{tenantid}") && p.Issuer != iss {
			return State{}, fmt.Errorf("%w: callback iss is not the provider's issuer", ErrStateMismatch)
		}
	}
	now := f.now()
	rec, err := f.store.Get(ctx, p.State, now)
	if err != nil {
		return State{}, err
	}
	// Provider is immutable once saved, so checking it before the atomic
	// RecordCallback leaves no race.
	if rec.Provider != provider {
		return State{}, ErrStateMismatch
	}
	// Only Apple sends "user" (its form_post, on the first sign-in); from
	// anyone else, or oversized, it is not kept.
	if !pr.spec.formPost || len(p.User) > MaxCallbackUserLen {
		p.User = ""
	}
	// The values may be substrings of the whole request (a form body of up
	// to 64 KiB): copy them, or a memory store would keep the whole body.
	cb := Callback{Code: strings.Clone(p.Code), Error: strings.Clone(p.Error),
		ErrorDescription: strings.Clone(p.ErrorDescription), User: strings.Clone(p.User)}
	rec, err = f.store.RecordCallback(ctx, p.State, cb, now)
	if err != nil {
		return State{}, err
	}
	f.log.DebugContext(ctx, "oauth: callback recorded", "provider", provider, "error", rec.Error)
	return rec, nil
}

// Bounds on what a callback may store. Authorization codes run to a couple
// of KiB at most (Microsoft's are the longest); error codes are short
// ASCII (RFC 6749 §4.1.2.1); descriptions are for display only.
const (
	maxCodeLen             = MaxCodeLen
	maxErrorLen            = 256
	maxErrorDescriptionLen = 1024
)

// MaxCodeLen is the longest authorization code a callback may carry;
// longer ones fail with ErrExchangeFailed and are not stored.
const MaxCodeLen = 4 << 10

// MaxCallbackUserLen is the longest Apple "user" field a callback keeps
// (a name and an email address take a few hundred bytes); a longer one is
// dropped, as is the field from any other provider.
const MaxCallbackUserLen = 2 << 10

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// ReturnLocation is where to redirect the browser after a recorded
// callback: the record's ReturnURL with state and code (or error) added to
// its query. ok is false when the sign-in has no ReturnURL.
func ReturnLocation(rec State) (location string, ok bool) {
	return ReturnLocationWith(rec, DefaultReturnParams)
}

// Result statuses.
const (
	StatusPending   = "pending"
	StatusCompleted = "completed"
)

// Result is what a sign-in's callback brought, for polling clients
// (Dynamic's oauthResult).
type Result struct {
	// Status is StatusPending before the callback, StatusCompleted after.
	Status string `json:"status"`
	// Code is the provider's authorization code, exactly as received.
	Code string `json:"code,omitempty"`
	// Error is the provider's error code, when it sent one.
	Error string `json:"error,omitempty"`
}

// Result reports whether the provider's callback for state has arrived
// and what it carried. It does not consume the state. Errors:
// ErrNotFound, ErrStateExpired, ErrStateUsed, ErrStateMismatch (made for
// another provider), or the Store's failure.
func (f *Flow) Result(ctx context.Context, provider, state string) (Result, error) {
	if !validStateValue(state) {
		return Result{}, ErrNotFound
	}
	rec, err := f.store.Get(ctx, state, f.now())
	if err != nil {
		return Result{}, err
	}
	if rec.Provider != provider {
		return Result{}, ErrStateMismatch
	}
	if !rec.ConsumedAt.IsZero() {
		return Result{}, ErrStateUsed
	}
	if rec.CallbackAt.IsZero() {
		return Result{Status: StatusPending}, nil
	}
	return Result{Status: StatusCompleted, Code: rec.Code, Error: rec.Error}, nil
}

// CompleteRequest finishes a sign-in.
type CompleteRequest struct {
	// Provider is the provider's configured Name; it must be the one the
	// state was made for.
	Provider string
	// State is the sign-in's state.
	State string
	// Code is the authorization code. When a callback was recorded it must
	// equal the recorded code (or be empty to use it); without a recorded
	// callback (a host handling the redirect itself) it is required.
	Code string
	// CodeVerifier is the PKCE verifier when the client holds it
	// (InitRequest.CodeChallenge was set, or ClientBuiltURL, where it is
	// optional and forwarded unchecked); ignored otherwise.
	CodeVerifier string
	// RedirectURL, if set, must equal the redirect URL the state was made
	// for.
	RedirectURL string
}

// Complete consumes the state (atomically, whatever the outcome, so a
// state gets exactly one completion attempt), checks it was made for this
// provider and redirect URL, checks the PKCE verifier, exchanges the code
// with the verifier, verifies the ID token for OpenID providers, fetches
// the profile and returns the identity. For OpenID providers a user-info
// response whose sub is missing or differs from the ID token's fails with
// ErrUserInfoSubjectMismatch (OpenID Connect Core §5.3.2).
//
// Errors: ErrUnknownProvider; the state errors (ErrNotFound,
// ErrStateExpired, ErrStateUsed, ErrStateMismatch); a *ProviderError
// (ErrProviderError) when the callback carried the provider's error;
// ErrInvalidCodeVerifier; ErrExchangeFailed; ErrInvalidIDToken (and its
// child ErrUserInfoSubjectMismatch); ErrProviderUnavailable; or the
// Store's failure.
func (f *Flow) Complete(ctx context.Context, req CompleteRequest) (*Identity, error) {
	pr, err := f.provider(req.Provider)
	if err != nil {
		return nil, err
	}
	if !validStateValue(req.State) {
		return nil, ErrNotFound
	}
	rec, err := f.store.Consume(ctx, req.State, f.now())
	if err != nil {
		return nil, err
	}
	if rec.Provider != req.Provider || (req.RedirectURL != "" && req.RedirectURL != rec.RedirectURL) {
		return nil, ErrStateMismatch
	}
	code := req.Code
	if !rec.CallbackAt.IsZero() {
		if rec.Error != "" {
			return nil, &ProviderError{Code: rec.Error, Description: rec.ErrorDescription}
		}
		if code == "" {
			code = rec.Code
		} else if subtle.ConstantTimeCompare([]byte(code), []byte(rec.Code)) != 1 {
			return nil, fmt.Errorf("%w: code differs from the one received at the callback", ErrExchangeFailed)
		}
	}
	if code == "" {
		return nil, fmt.Errorf("%w: no authorization code", ErrExchangeFailed)
	}
	verifier := rec.CodeVerifier
	switch {
	case clientBuilt(rec):
		// Only the provider saw the challenge: it checks the verifier.
		if !validClientVerifier(req.CodeVerifier) {
			return nil, ErrInvalidCodeVerifier
		}
		verifier = req.CodeVerifier
	case verifier == "":
		if !verifierMatches(req.CodeVerifier, rec.CodeChallenge) {
			return nil, ErrInvalidCodeVerifier
		}
		verifier = req.CodeVerifier
	}
	if err := f.resolve(ctx, pr); err != nil {
		return nil, err
	}
	sp, idv := pr.current()
	cfg, err := f.oauth2Config(pr, sp, rec.RedirectURL)
	if err != nil {
		return nil, err
	}
	client := f.client(ctx)
	xctx := context.WithValue(ctx, oauth2.HTTPClient, client)
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	if sp.clientIDParam != "" {
		opts = append(opts, oauth2.SetAuthURLParam(sp.clientIDParam, pr.cfg.ClientID))
	}
	tok, err := cfg.Exchange(xctx, code, opts...)
	if err != nil {
		return nil, classifyExchangeError(err)
	}
	var src profileSources
	if sp.oidc {
		raw, _ := tok.Extra("id_token").(string)
		if raw == "" {
			return nil, fmt.Errorf("%w: the token response has no id_token", ErrInvalidIDToken)
		}
		if src.Claims, err = idv.verify(ctx, client, raw, rec.Nonce, rec.CreatedAt); err != nil {
			return nil, err
		}
	}
	if sp.endpoints.UserInfoURL != "" {
		if src.UserInfo, err = f.getJSON(ctx, client, sp, pr, sp.endpoints.UserInfoURL, tok.AccessToken); err != nil {
			return nil, err
		}
		if sp.oidc {
			if err := checkUserInfoSubject(src.Claims, src.UserInfo); err != nil {
				return nil, err
			}
		}
	}
	if sp.endpoints.EmailsURL != "" {
		if src.Emails, err = f.getJSON(ctx, client, sp, pr, sp.endpoints.EmailsURL, tok.AccessToken); err != nil {
			return nil, err
		}
	}
	if rec.CallbackUser != "" && json.Valid([]byte(rec.CallbackUser)) {
		src.CallbackUser = json.RawMessage(rec.CallbackUser)
	}
	id, err := mapProfile(sp.mapProfile, src)
	if err != nil {
		return nil, err
	}
	id.Provider = providerType(pr.cfg.Name)
	f.log.DebugContext(ctx, "oauth: sign-in completed", "provider", pr.cfg.Name)
	return &id, nil
}

// classifyExchangeError splits token-endpoint failures: a refusal (4xx,
// an OAuth error body) is ErrExchangeFailed; no answer or a 5xx is
// ErrProviderUnavailable.
func classifyExchangeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.Response != nil && re.Response.StatusCode >= 500 {
			return fmt.Errorf("%w: token endpoint status %d", ErrProviderUnavailable, re.Response.StatusCode)
		}
		if re.ErrorCode != "" {
			// Quoted and bounded: the endpoint's answer is not ours to trust.
			return fmt.Errorf("%w: %q", ErrExchangeFailed, truncateUTF8(re.ErrorCode, maxErrorLen))
		}
		if re.Response != nil {
			return fmt.Errorf("%w: token endpoint status %d", ErrExchangeFailed, re.Response.StatusCode)
		}
		return fmt.Errorf("%w: %w", ErrExchangeFailed, err)
	}
	return fmt.Errorf("%w: token endpoint: %w", ErrProviderUnavailable, err)
}

// maxProfileBytes bounds a user-info response.
const maxProfileBytes = 1 << 20

// getJSON GETs a profile document with the access token.
func (f *Flow) getJSON(ctx context.Context, client *http.Client, sp spec, pr *provider, u, accessToken string) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProviderUnavailable, err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	if sp.clientIDHeader != "" {
		req.Header.Set(sp.clientIDHeader, pr.cfg.ClientID)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: profile: %w", ErrProviderUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProfileBytes))
	if err != nil {
		return nil, fmt.Errorf("%w: profile: %w", ErrProviderUnavailable, err)
	}
	switch {
	case resp.StatusCode >= 500:
		return nil, fmt.Errorf("%w: profile status %d", ErrProviderUnavailable, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: profile status %d", ErrExchangeFailed, resp.StatusCode)
	case !json.Valid(body):
		return nil, fmt.Errorf("%w: profile is not JSON", ErrExchangeFailed)
	}
	return body, nil
}

func containsExact(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
