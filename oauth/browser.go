package oauth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
)

// BindingCookie is the cookie BeginBrowser sets and CompleteBrowser reads.
// The __Host- prefix (RFC 6265bis §4.1.3.2) makes browsers accept it only
// with Secure, Path=/ and no Domain, so a sibling subdomain cannot plant
// one. Browsers treat http://localhost as secure, so it works in
// development too.
const BindingCookie = "__Host-authkit-oauth"

// ErrBrowserMismatch: the callback came to a browser that did not start
// the sign-in (no binding cookie, or one for another state). This is how
// login CSRF shows (RFC 9700 §4.7.1, RFC 6749 §10.12): someone got this
// browser to deliver their own authorization code, to sign it in to their
// account. The state is left as it was.
var ErrBrowserMismatch = fmt.Errorf("%w: sign-in was started in another browser", ErrInvalidState)

// BeginBrowser starts a sign-in for the browser of w, as Begin does, and
// binds the state to that browser with the BindingCookie (HttpOnly,
// Secure, SameSite=Lax, or None for providers that answer with a
// cross-site form POST such as Apple, whose callback would not carry a Lax
// cookie). It returns the provider's authorization URL, where the host
// redirects the browser:
//
//	authURL, err := flow.BeginBrowser(r.Context(), w, oauth.InitRequest{Provider: "github"})
//	if err != nil { … }
//	http.Redirect(w, r, authURL, http.StatusFound)
//
// The server keeps the PKCE verifier: req.CodeChallenge and
// req.ClientBuiltURL are refused (ErrInvalidCodeChallenge). A second
// sign-in started in the same browser replaces the first one's binding.
func (f *Flow) BeginBrowser(ctx context.Context, w http.ResponseWriter, req InitRequest) (authURL string, err error) {
	if req.CodeChallenge != "" || req.ClientBuiltURL {
		return "", fmt.Errorf("%w: a browser sign-in keeps its PKCE verifier on the server", ErrInvalidCodeChallenge)
	}
	pr, err := f.provider(req.Provider)
	if err != nil {
		return "", err
	}
	authURL, state, err := f.Begin(ctx, req)
	if err != nil {
		return "", err
	}
	http.SetCookie(w, &http.Cookie{
		Name: BindingCookie, Value: state, Path: "/",
		MaxAge: int(f.cfg.StateTTL.Seconds()), Secure: true, HttpOnly: true, SameSite: bindingSameSite(pr),
	})
	return authURL, nil
}

// CompleteBrowser finishes a sign-in started with BeginBrowser: it is the
// whole callback handler of a host. It reads the provider's redirect (see
// ParseCallback), checks in constant time that the browser's BindingCookie
// holds the callback's state (ErrBrowserMismatch otherwise), clears the
// cookie (it is single-use, whatever the outcome), records the callback
// (Callback: the RFC 9207 issuer check, the provider's error) and
// completes it (Complete: the state is consumed, the code exchanged with
// the PKCE verifier, the ID token verified).
//
//	func callback(w http.ResponseWriter, r *http.Request) {
//		id, err := flow.CompleteBrowser(w, r, "github")
//		if err != nil {
//			httperr.Write(w, err)
//			return
//		}
//		// find or create the user of id.Credential(), start a session …
//	}
//
// Route both GET and POST to it: Apple calls back with a cross-site form
// POST, so a CSRF or origin check on that route would refuse Apple's
// sign-ins (the binding cookie is what protects it). Errors: those of
// ParseCallback, Callback and Complete, and ErrBrowserMismatch; a user who
// declined at the provider is a *ProviderError ("access_denied").
func (f *Flow) CompleteBrowser(w http.ResponseWriter, r *http.Request, provider string) (*Identity, error) {
	pr, err := f.provider(provider)
	if err != nil {
		return nil, err
	}
	bound := ""
	if c, err := r.Cookie(BindingCookie); err == nil {
		bound = c.Value
	}
	// Single-use: cleared on every answer, as it was set.
	http.SetCookie(w, &http.Cookie{
		Name: BindingCookie, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: bindingSameSite(pr),
	})
	p, err := ParseCallback(r)
	if err != nil {
		return nil, err
	}
	if bound == "" || subtle.ConstantTimeCompare([]byte(bound), []byte(p.State)) != 1 {
		return nil, ErrBrowserMismatch
	}
	if _, err := f.Callback(r.Context(), provider, p); err != nil {
		return nil, err
	}
	return f.Complete(r.Context(), CompleteRequest{Provider: provider, State: p.State})
}

// bindingSameSite is Lax, which a top-level redirect back from the
// provider carries, except for providers that call back with a cross-site
// POST (Apple's form_post), which only a SameSite=None cookie survives.
// The cookie authorizes nothing by itself, so None costs no protection:
// only the browser that holds the state can present it.
func bindingSameSite(pr *provider) http.SameSite {
	if pr.spec.formPost {
		return http.SameSiteNoneMode
	}
	return http.SameSiteLaxMode
}
