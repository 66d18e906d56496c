package oauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthtest"
)

// browserHost is the two handlers a host writes with the browser helpers.
type browserHost struct {
	e   *env
	mux *http.ServeMux
	ids []*oauth.Identity
}

func newBrowserHost(t *testing.T) *browserHost {
	h := &browserHost{e: newEnv(t, oauthtest.Config{}, nil), mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /login/{provider}", func(w http.ResponseWriter, r *http.Request) {
		authURL, err := h.e.flow.BeginBrowser(r.Context(), w, oauth.InitRequest{Provider: r.PathValue("provider")})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, authURL, http.StatusFound)
	})
	h.mux.HandleFunc("/providers/{provider}/redirect", func(w http.ResponseWriter, r *http.Request) {
		id, err := h.e.flow.CompleteBrowser(w, r, r.PathValue("provider"))
		if err != nil {
			w.Header().Set("X-Error", err.Error())
			status := http.StatusBadRequest
			if errors.Is(err, oauth.ErrBrowserMismatch) {
				status = http.StatusForbidden
			}
			w.WriteHeader(status)
			return
		}
		h.ids = append(h.ids, id)
		w.WriteHeader(http.StatusOK)
	})
	return h
}

// browser is a cookie jar of one: what a browser would send back.
type browser struct{ cookie *http.Cookie }

func (b *browser) do(h *browserHost, r *http.Request) *httptest.ResponseRecorder {
	if b.cookie != nil {
		r.AddCookie(b.cookie)
	}
	rec := httptest.NewRecorder()
	h.mux.ServeHTTP(rec, r)
	for _, c := range rec.Result().Cookies() {
		if c.Name == oauth.BindingCookie {
			if c.MaxAge < 0 {
				b.cookie = nil
			} else {
				b.cookie = &http.Cookie{Name: c.Name, Value: c.Value}
			}
		}
	}
	return rec
}

// login starts a sign-in in b and has the provider approve it; it returns
// the callback request the provider sends b back with.
func (b *browser) login(t *testing.T, h *browserHost) *http.Request {
	t.Helper()
	rec := b.do(h, httptest.NewRequest(http.MethodGet, "https://api.example.com/login/acme", nil))
	if rec.Code != http.StatusFound {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	cb, err := h.e.fake.Authorize(t.Context(), rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return httptest.NewRequest(http.MethodGet, cb.String(), nil)
}

func TestBrowserBinding(t *testing.T) {
	t.Run("cookie attributes", func(t *testing.T) {
		h := newBrowserHost(t)
		rec := httptest.NewRecorder()
		h.mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://api.example.com/login/acme", nil))
		cookies := rec.Result().Cookies()
		if len(cookies) != 1 {
			t.Fatalf("cookies %v", cookies)
		}
		c := cookies[0]
		loc, _ := url.Parse(rec.Header().Get("Location"))
		if c.Name != "__Host-authkit-oauth" || c.Value != loc.Query().Get("state") || c.Value == "" ||
			!c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" ||
			c.MaxAge != int(oauth.DefaultStateTTL.Seconds()) {
			t.Fatalf("binding cookie %+v (state %q)", c, loc.Query().Get("state"))
		}
	})
	t.Run("same browser signs in once", func(t *testing.T) {
		h := newBrowserHost(t)
		b := &browser{}
		cb := b.login(t, h)
		bound := b.cookie
		if rec := b.do(h, cb.Clone(t.Context())); rec.Code != http.StatusOK || len(h.ids) != 1 || h.ids[0].AccountID == "" {
			t.Fatalf("callback: %d %s, ids %v", rec.Code, rec.Header().Get("X-Error"), h.ids)
		}
		if b.cookie != nil {
			t.Fatal("the binding cookie was not cleared")
		}
		// A replay, even with the cookie kept, is refused: the state is used.
		b.cookie = bound
		rec := b.do(h, cb.Clone(t.Context()))
		if rec.Code == http.StatusOK || len(h.ids) != 1 || !strings.Contains(rec.Header().Get("X-Error"), "oauth:") {
			t.Fatalf("replay: %d %q", rec.Code, rec.Header().Get("X-Error"))
		}
	})
	t.Run("another browser is refused", func(t *testing.T) {
		// Login CSRF: the attacker signs in at the provider and has the
		// victim's browser deliver the callback.
		for _, tc := range []struct {
			name   string
			victim func(t *testing.T, h *browserHost) *browser
		}{
			{"no cookie", func(*testing.T, *browserHost) *browser { return &browser{} }},
			{"cookie of its own sign-in", func(t *testing.T, h *browserHost) *browser {
				v := &browser{}
				v.login(t, h)
				return v
			}},
			{"cookie with a prefix of the state", nil},
			{"empty cookie", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := newBrowserHost(t)
				attacker := &browser{}
				cb := attacker.login(t, h)
				state := cb.URL.Query().Get("state")
				var victim *browser
				switch tc.name {
				case "cookie with a prefix of the state":
					victim = &browser{cookie: &http.Cookie{Name: oauth.BindingCookie, Value: state[:len(state)-1]}}
				case "empty cookie":
					victim = &browser{cookie: &http.Cookie{Name: oauth.BindingCookie, Value: ""}}
				default:
					victim = tc.victim(t, h)
				}
				rec := victim.do(h, cb.Clone(t.Context()))
				if rec.Code != http.StatusForbidden || len(h.ids) != 0 {
					t.Fatalf("victim's callback: %d %q", rec.Code, rec.Header().Get("X-Error"))
				}
				if victim.cookie != nil {
					t.Fatal("a refused callback left the binding cookie")
				}
				// Nothing was recorded or consumed: the state is as it was.
				if res, err := h.e.flow.Result(t.Context(), "acme", state); err != nil || res.Status != oauth.StatusPending {
					t.Fatalf("state after the refusal: %+v, %v", res, err)
				}
			})
		}
	})
	t.Run("provider error", func(t *testing.T) {
		h := newBrowserHost(t)
		b := &browser{}
		cb := b.login(t, h)
		q := url.Values{"state": {cb.URL.Query().Get("state")}, "error": {"access_denied"}}
		r := httptest.NewRequest(http.MethodGet, "https://api.example.com/providers/acme/redirect?"+q.Encode(), nil)
		if rec := b.do(h, r); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Header().Get("X-Error"), "access_denied") {
			t.Fatalf("provider error: %d %q", rec.Code, rec.Header().Get("X-Error"))
		}
	})
}

func TestBeginBrowserRefusals(t *testing.T) {
	e := newEnv(t, oauthtest.Config{}, nil)
	for _, tc := range []struct {
		req  oauth.InitRequest
		want error
	}{
		{oauth.InitRequest{Provider: "acme", CodeChallenge: oauth.S256Challenge(strings.Repeat("v", 43))}, oauth.ErrInvalidCodeChallenge},
		{oauth.InitRequest{Provider: "acme", State: strings.Repeat("s", 20), ClientBuiltURL: true}, oauth.ErrInvalidCodeChallenge},
		{oauth.InitRequest{Provider: "nope"}, oauth.ErrUnknownProvider},
		{oauth.InitRequest{Provider: "acme", ReturnURL: "https://evil.example/"}, oauth.ErrRedirectURLNotAllowed},
	} {
		rec := httptest.NewRecorder()
		if _, err := e.flow.BeginBrowser(t.Context(), rec, tc.req); !errors.Is(err, tc.want) {
			t.Errorf("BeginBrowser(%+v) = %v, want %v", tc.req, err, tc.want)
		}
		if len(rec.Result().Cookies()) != 0 {
			t.Errorf("BeginBrowser(%+v) set a cookie on failure", tc.req)
		}
	}
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "https://api.example.com/providers/nope/redirect?state=x&code=y", nil)
	if _, err := e.flow.CompleteBrowser(rec, r, "nope"); !errors.Is(err, oauth.ErrUnknownProvider) {
		t.Fatalf("CompleteBrowser(unknown provider) = %v", err)
	}
}
