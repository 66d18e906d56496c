package main

import (
	"bytes"
	"context"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The browser test drives the OAuth sign-in of development mode with a
// real headless Chromium: the browser opens the provider's authorization
// URL, the fake provider under /dev/oauth/ approves and redirects to the
// server's callback, and the callback sends the browser on to the app (or
// shows its own page). The other OAuth tests play the browser with an
// http.Client; this one checks that a browser really follows the chain
// (redirects, headers such as Content-Security-Policy, the HTML page).

// browserTimeout bounds one Chromium run; it starts slowly on a busy
// machine.
const browserTimeout = 60 * time.Second

// chromiumPath returns the Chromium binary, skipping the test locally
// when there is none; in CI (CI=true) a missing browser is a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found; CI must install it (.ci/run)")
	}
	t.Skip("chromium not installed")
	return ""
}

// runChromium opens pageURL in a fresh headless Chromium and returns the
// DOM of the page the browser ends on, after any redirects. extra holds
// further flags (e.g. --screenshot).
func runChromium(t *testing.T, bin, pageURL string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync",
		"--disable-crash-reporter", "--disable-breakpad",
		// A fresh profile each run: no cookies or cache carried over.
		"--user-data-dir=" + t.TempDir(),
	}
	args = append(args, extra...)
	args = append(args, "--dump-dom", pageURL)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Chromium's helper processes may keep the output pipes open after
	// the browser exits; do not wait for them forever.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\nstdout:\n%s\nstderr:\n%s", pageURL, err, stdout.String(), stderr.String())
	}
	dom := stdout.String()
	if !strings.Contains(dom, "<html") {
		t.Fatalf("chromium printed no DOM for %s\nstdout:\n%s\nstderr:\n%s", pageURL, dom, stderr.String())
	}
	return dom
}

// appVisit is one request that reached the app's callback page.
type appVisit struct {
	Code, State, Error string
}

// fakeApp is the application the server sends the browser back to: a
// loopback page that records the query it receives and shows it.
type fakeApp struct {
	ts     *httptest.Server
	mu     sync.Mutex
	visits []appVisit
}

func newFakeApp(t *testing.T) *fakeApp {
	t.Helper()
	a := &fakeApp{}
	a.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r) // e.g. /favicon.ico
			return
		}
		q := r.URL.Query()
		v := appVisit{Code: q.Get("dynamicOauthCode"), State: q.Get("dynamicOauthState"), Error: q.Get("dynamicOauthError")} // the names Dynamic's SDK reads
		a.mu.Lock()
		a.visits = append(a.visits, v)
		a.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html><head><title>App</title></head><body>` +
			`<p id="state">` + html.EscapeString(v.State) + `</p>` +
			`<p id="code">` + html.EscapeString(v.Code) + `</p>` +
			`<p id="error">` + html.EscapeString(v.Error) + `</p></body></html>`))
	}))
	t.Cleanup(a.ts.Close)
	return a
}

// callbackURL is the app's page, the redirectUrl of the sign-ins.
func (a *fakeApp) callbackURL() string { return a.ts.URL + "/callback" }

func (a *fakeApp) recorded() []appVisit {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]appVisit(nil), a.visits...)
}

// browserLoginURL starts a sign-in with the dev github provider and
// returns the provider authorization URL the browser is to open.
func browserLoginURL(t *testing.T, e *testEnv, state, redirectURL string) string {
	t.Helper()
	body := map[string]any{"state": state}
	if redirectURL != "" {
		body["redirectUrl"] = redirectURL
	}
	expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: body}), 204)
	r := e.do(req{Method: "GET", Path: "providers/github/loginUrl?state=" + url.QueryEscape(state)})
	expectStatus(t, r, 200)
	var lu struct {
		URL string `json:"url"`
	}
	r.JSON(t, &lu)
	if !strings.HasPrefix(lu.URL, e.ts.URL+"/dev/oauth/") {
		t.Fatalf("login URL %q is not the dev provider's", lu.URL)
	}
	return e.clientPKCE(state, lu.URL)
}

// browserSignIn completes the sign-in with the code the browser brought
// back and checks the credential of the fake github account.
func browserSignIn(t *testing.T, e *testEnv, state, code string) verifyResponse {
	t.Helper()
	r := e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": state, "code": code}})
	expectStatus(t, r, 200)
	var v verifyResponse
	r.JSON(t, &v)
	if v.User.ID == "" || len(v.User.VerifiedCredentials) != 1 {
		t.Fatalf("signIn %s", r.Body)
	}
	c := v.User.VerifiedCredentials[0]
	if c.Format != "oauth" || c.OAuthProvider != "github" || c.OAuthAccountID != "424242" ||
		len(c.OAuthEmails) != 1 || c.OAuthEmails[0] != "dev@example.com" {
		t.Fatalf("credential %+v", c)
	}
	if v.JWT == "" || v.MinifiedJWT == "" || !hasScope(decodeJWT(t, v.MinifiedJWT).Scope, "user:basic") {
		t.Fatalf("tokens %s", r.Body)
	}
	return v
}

func TestBrowserOAuth(t *testing.T) {
	bin := chromiumPath(t)
	app := newFakeApp(t)
	e := newTestEnv(t, memoryStores, func(c *config) { c.RedirectURLs = []string{app.callbackURL()} })

	var firstUser string
	t.Run("redirectUrl: the browser lands on the app", func(t *testing.T) {
		state := "browser-app-" + strings.Repeat("a", 16)
		dom := runChromium(t, bin, browserLoginURL(t, e, state, app.callbackURL()))

		visits := app.recorded()
		if len(visits) != 1 {
			t.Fatalf("app saw %d visits %+v, want 1\nDOM:\n%s", len(visits), visits, dom)
		}
		v := visits[0]
		if v.State != state || v.Code == "" || v.Error != "" {
			t.Fatalf("app received %+v, want state %q and a code", v, state)
		}
		// The DOM printed is the app's page: the redirect chain was followed
		// to its end, and the page shows what the app received.
		for _, want := range []string{
			"<title>App</title>",
			`<p id="state">` + html.EscapeString(state) + `</p>`,
			`<p id="code">` + html.EscapeString(v.Code) + `</p>`,
		} {
			if !strings.Contains(dom, want) {
				t.Fatalf("DOM lacks %q:\n%s", want, dom)
			}
		}

		r := e.do(req{Method: "POST", Path: "providers/github/oauthResult", Body: map[string]any{"state": state}})
		var res struct{ Status, Code, Error string }
		r.JSON(t, &res)
		if res.Status != "completed" || res.Code != v.Code {
			t.Fatalf("oauthResult %s, want completed with the app's code", r.Body)
		}
		firstUser = browserSignIn(t, e, state, v.Code).User.ID
		// The state is single-use.
		expectError(t, e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": state, "code": v.Code}}), 422, "invalid_verification")
	})

	t.Run("no redirectUrl: the server's close-window page", func(t *testing.T) {
		state := "browser-page-" + strings.Repeat("b", 16)
		shot := filepath.Join(t.TempDir(), "signed-in.png")
		dom := runChromium(t, bin, browserLoginURL(t, e, state, ""),
			"--screenshot="+shot, "--window-size=800,600")

		for _, want := range []string{"<title>Signed in</title>", "Sign-in complete. You can close this window."} {
			if !strings.Contains(dom, want) {
				t.Fatalf("DOM lacks %q:\n%s", want, dom)
			}
		}
		if n := len(app.recorded()); n != 1 {
			t.Fatalf("app saw %d visits, want only the first sub-test's", n)
		}

		r := e.do(req{Method: "POST", Path: "providers/github/oauthResult", Body: map[string]any{"state": state}})
		expectStatus(t, r, 200)
		var res struct{ Status, Code, Error string }
		r.JSON(t, &res)
		if res.Status != "completed" || res.Code == "" || res.Error != "" {
			t.Fatalf("oauthResult %s", r.Body)
		}
		// The browser's code appears nowhere on the page.
		if strings.Contains(dom, res.Code) {
			t.Fatal("the close-window page shows the authorization code")
		}
		v := browserSignIn(t, e, state, res.Code)
		if firstUser != "" && v.User.ID != firstUser {
			t.Fatalf("the same github account signed in as %s, then %s", firstUser, v.User.ID)
		}

		checkScreenshot(t, shot)
	})
}

// checkScreenshot checks that Chromium wrote an 800×600 PNG in which
// something was drawn (more than one colour: the page's text).
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() != 800 || b.Dy() != 600 {
		t.Fatalf("screenshot is %dx%d, want 800x600 (--window-size)", b.Dx(), b.Dy())
	}
	first := img.At(b.Min.X, b.Min.Y)
	r0, g0, b0, a0 := first.RGBA()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, a := img.At(x, y).RGBA(); r != r0 || g != g0 || bl != b0 || a != a0 {
				return
			}
		}
	}
	t.Fatal("screenshot is a single colour: nothing was rendered")
}
