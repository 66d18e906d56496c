package session_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

// serve runs h with a request built by mod and returns the recorder.
func serve(h http.Handler, mod func(r *http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "https://api.example.com/sdk/x/users", nil)
	if mod != nil {
		mod(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func TestMiddleware(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, session.ES256, true)
	s := mintSession(t, f)
	pending, err := f.m.Mint(ctx, testUser(1), session.MintOptions{MFAPending: true})
	if err != nil {
		t.Fatal(err)
	}
	el, _, err := f.m.MintElevated(ctx, s.Claims, session.ElevatedOptions{Scopes: tokensScopes()})
	if err != nil {
		t.Fatal(err)
	}
	revoked, _ := f.m.Mint(ctx, testUser(1), session.MintOptions{})
	_ = f.m.Revoke(ctx, revoked.SessionID)

	var seen *session.Claims
	final := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := session.ClaimsFromContext(r.Context())
		if !ok {
			t.Error("handler without claims")
		}
		seen = c
		w.WriteHeader(204)
	})
	h := session.Middleware(f.m, session.MiddlewareConfig{})(session.MiddlewareConfig{}.RequireScope(authkit.ScopeUserBasic)(final))

	cases := []struct {
		name   string
		mod    func(*http.Request)
		status int
		auth   string
		code   string
	}{
		{"minified bearer", bearer(s.MinifiedJWT), 204, "", ""},
		{"full bearer", bearer(s.JWT), 204, "", ""},
		{"lower-case scheme", func(r *http.Request) { r.Header.Set("Authorization", "bearer "+s.MinifiedJWT) }, 204, "", ""},
		{"no token", nil, 401, `Bearer`, "unauthorized"},
		{"basic auth", func(r *http.Request) { r.Header.Set("Authorization", "Basic dXNlcjpwYXNz") }, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"empty bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer ") }, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"elevated token as bearer", bearer(el), 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"revoked session", bearer(revoked.MinifiedJWT), 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"garbage", bearer("abc.def.ghi"), 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"MFA pending lacks user:basic", bearer(pending.MinifiedJWT), 403, `Bearer error="insufficient_scope", scope="user:basic"`, "insufficient_scope"},
		{"cookie ignored without cookie mode", func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: session.DefaultCookieName, Value: s.MinifiedJWT})
		}, 401, `Bearer`, "unauthorized"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			w := serve(h, tc.mod)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tc.status, w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.auth {
				t.Fatalf("WWW-Authenticate %q, want %q", got, tc.auth)
			}
			if tc.status == 204 {
				if seen == nil || seen.SessionID != s.SessionID {
					t.Fatal("claims not in context")
				}
				return
			}
			var body struct{ Error, Code string }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if body.Code != tc.code || body.Error == "" {
				t.Fatalf("body %+v", body)
			}
			if strings.Contains(w.Body.String(), "eyJ") {
				t.Fatal("token echoed in the error body")
			}
		})
	}
}

func TestMiddlewareCookieMode(t *testing.T) {
	f := newFixture(t, session.EdDSA, true)
	s := mintSession(t, f)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	h := session.Middleware(f.m, session.MiddlewareConfig{CookieMode: true, TrustedOrigins: []string{"https://app.example.com"}})(ok)
	cookie := func(extra ...string) func(*http.Request) {
		return func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: session.DefaultCookieName, Value: s.MinifiedJWT})
			for i := 0; i+1 < len(extra); i += 2 {
				r.Header.Set(extra[i], extra[i+1])
			}
		}
	}
	for _, tc := range []struct {
		name   string
		mod    func(*http.Request)
		status int
		code   string
	}{
		{"cookie, no Origin", cookie(), 204, ""},
		{"cookie, own origin", cookie("Origin", "https://api.example.com"), 204, ""},
		{"cookie, trusted origin", cookie("Origin", "https://app.example.com"), 204, ""},
		{"cookie, foreign origin", cookie("Origin", "https://evil.example"), 403, "csrf_rejected"},
		{"cookie, null origin", cookie("Origin", "null"), 403, "csrf_rejected"},
		{"bearer wins over cookie, foreign origin", cookie("Origin", "https://evil.example", "Authorization", "Bearer "+s.MinifiedJWT), 204, ""},
		{"bad bearer does not fall back to cookie", cookie("Authorization", "Bearer x"), 401, "invalid_token"},
		{"other cookie name", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "other", Value: s.MinifiedJWT}) }, 401, "unauthorized"},
	} {
		w := serve(h, tc.mod)
		if w.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, w.Code, tc.status)
			continue
		}
		if tc.code != "" && !strings.Contains(w.Body.String(), `"code":"`+tc.code+`"`) {
			t.Errorf("%s: body %s", tc.name, w.Body)
		}
	}
	// Optional mode passes anonymous requests and still refuses bad tokens.
	opt := session.Middleware(f.m, session.MiddlewareConfig{Optional: true})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := session.ClaimsFromContext(r.Context()); ok {
			w.WriteHeader(200)
			return
		}
		w.WriteHeader(204)
	}))
	if w := serve(opt, nil); w.Code != 204 {
		t.Errorf("optional, anonymous: %d", w.Code)
	}
	if w := serve(opt, bearer(s.MinifiedJWT)); w.Code != 200 {
		t.Errorf("optional, signed in: %d", w.Code)
	}
	if w := serve(opt, bearer("x")); w.Code != 401 {
		t.Errorf("optional, bad token: %d", w.Code)
	}
	// A custom error handler receives the typed error.
	var got error
	custom := session.Middleware(f.m, session.MiddlewareConfig{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(session.HTTPStatus(err))
	}})(ok)
	f.clk.Advance(3 * time.Hour)
	if w := serve(custom, bearer(s.MinifiedJWT)); w.Code != 401 || !errors.Is(got, session.ErrExpired) {
		t.Errorf("custom handler: %d %v", w.Code, got)
	}
}

func TestRequireScopeWithoutMiddleware(t *testing.T) {
	h := session.MiddlewareConfig{}.RequireScope(authkit.ScopeUserBasic)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	if w := serve(h, nil); w.Code != 401 || w.Header().Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("no claims: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	c := &session.Claims{Scope: "user:basic gate:vip"}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil).WithContext(session.WithClaims(t.Context(), c)))
	if w.Code != 204 {
		t.Fatalf("with claims: %d", w.Code)
	}
}

func TestHTTPStatus(t *testing.T) {
	for err, want := range map[error]int{
		session.ErrExpired:                               401,
		session.ErrRevoked:                               401,
		session.ErrWrongKind:                             401,
		session.ErrAlreadyUsed:                           401,
		session.NewScopeError("x"):                       403,
		session.ErrCSRF:                                  403,
		errors.New("store down"):                         500,
		session.ErrNoToken:                               401,
		session.ErrTooLarge:                              401,
		session.ErrSessionExpired:                        401,
		session.ErrInsufficientScope:                     403,
		session.ErrUnknownKey:                            401,
		session.ErrAlgorithm:                             401,
		session.ErrBadSignature:                          401,
		session.ErrMalformed:                             401,
		session.ErrAudience:                              401,
		session.ErrIssuer:                                401,
		session.ErrNotYetValid:                           401,
		session.ErrSessionMismatch:                       401,
		errors.Join(session.ErrNoStore):                  500,
		errors.Join(errors.New("x"), session.ErrExpired): 401,
	} {
		if got := session.HTTPStatus(err); got != want {
			t.Errorf("HTTPStatus(%v) = %d, want %d", err, got, want)
		}
	}
	w := httptest.NewRecorder()
	session.MiddlewareConfig{}.WriteError(w, nil, errors.New("db password is hunter2"))
	if w.Code != 500 || strings.Contains(w.Body.String(), "hunter2") {
		t.Fatalf("internal error leaked: %s", w.Body)
	}
}

func TestCookie(t *testing.T) {
	f := newFixture(t, session.ES256, true)
	s := mintSession(t, f)
	w := httptest.NewRecorder()
	session.MiddlewareConfig{Now: f.clk.Now, CookieDomain: "example.io"}.SetCookie(w, s)
	res := w.Result()
	cs := res.Cookies()
	if len(cs) != 1 {
		t.Fatalf("%d cookies", len(cs))
	}
	c := cs[0]
	if c.Name != "DYNAMIC_JWT_TOKEN" || c.Value != s.MinifiedJWT || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode ||
		c.Path != "/" || c.MaxAge != 7200 || c.Domain != "example.io" || !c.Expires.Equal(s.ExpiresAt) {
		t.Fatalf("cookie %+v", c)
	}
	raw := res.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "Secure", "SameSite=Lax", "Max-Age=7200", "Path=/"} {
		if !strings.Contains(raw, want) {
			t.Errorf("Set-Cookie %q lacks %s", raw, want)
		}
	}
	w = httptest.NewRecorder()
	session.MiddlewareConfig{CookieName: "custom"}.ClearCookie(w)
	raw = w.Result().Header.Get("Set-Cookie")
	if !strings.HasPrefix(raw, "custom=;") || !strings.Contains(raw, "Max-Age=0") || !strings.Contains(raw, "HttpOnly") {
		t.Fatalf("clear: %q", raw)
	}
	// An already expired token clears the cookie instead.
	w = httptest.NewRecorder()
	f.clk.Advance(3 * time.Hour)
	session.MiddlewareConfig{Now: f.clk.Now}.SetCookie(w, s)
	if raw := w.Result().Header.Get("Set-Cookie"); !strings.Contains(raw, "Max-Age=0") {
		t.Fatalf("expired token: %q", raw)
	}
}
