package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The demo page in a real headless Chromium, driven over the DevTools
// protocol with chromedp: a person's clicks and keystrokes, the page's own
// JavaScript calling the API, WebAuthn through Chromium's virtual
// authenticator, and screenshots checked for what a person would see.

// demoStepTimeout bounds one step of the page (a click and its answer).
const demoStepTimeout = 20 * time.Second

// zbarimgPath returns the zbarimg binary; like chromiumPath, a missing one
// skips locally and fails under CI=true.
func zbarimgPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("zbarimg"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("zbarimg not found; CI must install it (.ci/run)")
	}
	t.Skip("zbarimg not installed")
	return ""
}

// demoBrowser is one Chromium tab on the demo page of a test server.
type demoBrowser struct {
	t   *testing.T
	e   *testEnv
	ctx context.Context // chromedp context of the tab
	// base is the server's origin as the browser sees it: localhost, the
	// only loopback name WebAuthn accepts as an RP ID (an IP address is not
	// a valid domain).
	base string
}

// newDemoEnv starts a development server configured as `go run
// ./examples/server` is: its issuer names 127.0.0.1, and the passkey
// routes take localhost as RP ID and origin, the name the page is opened
// by.
func newDemoEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnv(t, nil)
}

// newDemoBrowser starts a fresh headless Chromium (its own profile, no
// network beyond loopback) and opens the demo page.
func newDemoBrowser(t *testing.T, e *testEnv) *demoBrowser {
	t.Helper()
	bin := chromiumPath(t)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-crash-reporter", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(720, 1000),
	)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &demoBrowser{t: t, e: e, ctx: ctx, base: strings.Replace(e.ts.URL, "127.0.0.1", "localhost", 1)}
	// The first run starts the browser, so its context must not carry a
	// timeout (chromedp ties the browser's life to it); a timer stops a
	// start-up that hangs instead.
	watchdog := time.AfterFunc(browserTimeout, cancel)
	err := chromedp.Do(ctx)
	if !watchdog.Stop() || err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	b.do("open the page", chromedp.Navigate(b.base+"/demo/"))
	b.waitVisible("#signed-out")
	return b
}

// do runs steps with the step timeout, failing the test with the page's
// status line (where the page reports API errors) on error.
func (b *demoBrowser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, demoStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v (page status: %q)", what, err, b.status())
	}
}

// poll waits until the JavaScript expression is true, failing at once
// when the page reports an error instead (unless wantError).
func (b *demoBrowser) poll(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, demoStepTimeout)
	defer cancel()
	const pageError = `document.getElementById("status").classList.contains("error")`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("("+expr+") || "+pageError)); err != nil {
		b.t.Fatalf("%s: %v (page status: %q)", what, err, b.status())
	}
	if b.eval("String("+expr+")") != "true" {
		b.t.Fatalf("%s: the page reports %q", what, b.status())
	}
}

// waitError waits until the page reports an error.
func (b *demoBrowser) waitError(what string) {
	b.t.Helper()
	b.poll(what, `document.getElementById("status").classList.contains("error")`)
}

// status is the text of the page's status line, "" if unreadable.
func (b *demoBrowser) status() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("status").textContent`))
	return s
}

// eval evaluates a JavaScript expression that yields a string.
func (b *demoBrowser) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, demoStepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return s
}

// text is the textContent of the element matching sel.
func (b *demoBrowser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, demoStepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("reading %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// waitVisible waits until the element is shown (the page's views toggle
// the hidden attribute).
func (b *demoBrowser) waitVisible(sel string) {
	b.t.Helper()
	b.poll("waiting for "+sel, `(() => { const el = document.querySelector(`+strconv.Quote(sel)+`); return !!el && el.checkVisibility(); })()`)
}

// fill sets the value of an input and fires its input and change events,
// as typing would.
func (b *demoBrowser) fill(sel, value string) {
	b.t.Helper()
	b.do("filling "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

func (b *demoBrowser) click(sel string) {
	b.t.Helper()
	b.do("clicking "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// screenshot captures the element matching sel ("" for the viewport).
func (b *demoBrowser) screenshot(sel string) []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, demoStepTimeout)
	defer cancel()
	var (
		shot []byte
		err  error
	)
	if sel == "" {
		shot, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
	} else {
		shot, err = chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	}
	if err != nil {
		b.t.Fatalf("screenshot of %q: %v", sel, err)
	}
	return shot
}

// signInEmail signs in on the page with a one-time code sent to email,
// read from the dev outbox as a person would read their mail. It returns
// once the page shows the signed-in or MFA step.
func (b *demoBrowser) signInEmail(email string) {
	b.t.Helper()
	b.click(`input[name="channel"][value="email"]`)
	b.fill("#email", email)
	b.click("#send-code")
	b.waitVisible("#otp-verify")
	b.fill("#otp-code", b.e.lastCode(email))
	b.click("#otp-signin")
	b.poll("waiting for the sign-in", `!document.getElementById("signed-in").hidden || !document.getElementById("mfa-pending").hidden`)
}

// signOut signs out with the page's button.
func (b *demoBrowser) signOut() {
	b.t.Helper()
	b.click("#signout")
	b.waitVisible("#signed-out")
}

// signedInUser checks that the page shows a full session and returns the
// user id it displays, after checking it against GET users with the
// page's own token.
func (b *demoBrowser) signedInUser() string {
	b.t.Helper()
	b.waitVisible("#signed-in")
	shown := b.text("#user-id")
	r := b.e.do(req{Method: "GET", Path: "users", Bearer: b.eval("state.token")})
	expectStatus(b.t, r, 200)
	var u struct {
		ID    string `json:"id"`
		Scope string `json:"scope"`
	}
	r.JSON(b.t, &u)
	if shown != u.ID || !isEnvironmentID(u.ID) {
		b.t.Fatalf("page shows user %q, the token is user %q", shown, u.ID)
	}
	if hasScope(u.Scope, "requiresAdditionalAuth") || b.text("#user-scope") != u.Scope {
		b.t.Fatalf("scope %q, page shows %q", u.Scope, b.text("#user-scope"))
	}
	return shown
}

// checkUserIDShown checks in a screenshot that the user id is really on
// screen: the #user-id box lies inside the viewport, nothing covers it,
// and its pixels hold text (dark on the light background).
func (b *demoBrowser) checkUserIDShown() {
	b.t.Helper()
	if got := b.eval(`(() => {
		const el = document.getElementById("user-id"), r = el.getBoundingClientRect();
		if (r.width === 0 || r.bottom > innerHeight || r.right > innerWidth) return "outside the viewport";
		const top = document.elementFromPoint(r.left + 2, r.top + r.height / 2);
		return el.contains(top) ? "ok" : "covered by " + (top && top.tagName);
	})()`); got != "ok" {
		b.t.Fatalf("#user-id: %s", got)
	}
	page := decodePNG(b.t, b.screenshot(""))
	if page.Bounds().Dx() < 600 {
		b.t.Fatalf("viewport screenshot %v", page.Bounds())
	}
	shot := decodePNG(b.t, b.screenshot("#user-id"))
	// A rendered 36-character id covers a few percent of its box with dark
	// pixels; an empty or hidden box has none.
	if dark, total := darkPixels(shot), shot.Bounds().Dx()*shot.Bounds().Dy(); dark*50 < total {
		b.t.Fatalf("#user-id screenshot has %d dark pixels of %d: no text drawn", dark, total)
	}
}

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	return img
}

// darkPixels counts the pixels darker than mid-grey.
func darkPixels(img image.Image) int {
	n := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if (cr+cg+cb)/3 < 0x8000 {
				n++
			}
		}
	}
	return n
}

// zbarDecode decodes the QR code in a PNG with zbarimg.
func zbarDecode(t *testing.T, bin string, pngBytes []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(path, pngBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", path).Output()
	if err != nil {
		t.Fatalf("zbarimg found no QR code in the screenshot: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestDemoPageTOTP: email sign-in on the page, TOTP enrolment with the QR
// code read back from a screenshot, the recovery codes shown once, then a
// sign-in that asks for the second factor.
func TestDemoPageTOTP(t *testing.T) {
	zbar := zbarimgPath(t)
	e := newDemoEnv(t)
	b := newDemoBrowser(t, e)

	b.signInEmail("demo@example.com")
	user := b.signedInUser()
	b.checkUserIDShown()

	b.click("#totp-start")
	b.waitVisible("#totp-enrol")
	b.poll("waiting for the QR code", `document.getElementById("totp-qr").naturalWidth > 0`)
	secret := b.text("#totp-secret")
	uri := zbarDecode(t, zbar, b.screenshot("#totp-qr"))
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != secret || len(secret) < 32 {
		t.Fatalf("QR code says %q; the page shows secret %q", uri, secret)
	}
	if label, _ := url.PathUnescape(strings.TrimPrefix(u.Path, "/")); !strings.HasSuffix(label, "demo@example.com") {
		t.Fatalf("otpauth label %q does not name the account", label)
	}
	if s := os.Getenv("AUTHKIT_DEMO_SCREENSHOT"); s != "" {
		// The README's picture is taken at this step.
		if err := os.WriteFile(s, b.screenshot("main"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.fill("#totp-code", e.totpCode(secret))
	b.click("#totp-confirm button")
	b.waitVisible("#recovery")
	codes := b.eval(`[...document.querySelectorAll("#recovery-codes li")].map(li => li.textContent).join(" ")`)
	if n := len(strings.Fields(codes)); n < 8 {
		t.Fatalf("page shows %d recovery codes: %q", n, codes)
	}
	b.click("#recovery-ack")
	b.poll("waiting for the codes to go", `document.getElementById("recovery").hidden && !document.querySelector("#recovery-codes li")`)
	if got := b.text("#totp-devices"); !strings.HasPrefix(got, "1 ") {
		t.Fatalf("device line %q", got)
	}

	// The next sign-in needs the second factor.
	e.clock.Advance(30 * time.Second) // the confirming time step is used
	b.signOut()
	b.signInEmail("demo@example.com")
	b.waitVisible("#mfa-pending")
	b.fill("#mfa-totp-code", e.totpCode(secret))
	b.click("#mfa-totp button")
	if got := b.signedInUser(); got != user {
		t.Fatalf("MFA sign-in as %s, enrolled as %s", got, user)
	}
	// Once acknowledged, the recovery codes are not shown again.
	if b.eval(`String(document.getElementById("recovery").hidden)`) != "true" {
		t.Fatal("recovery codes shown again")
	}

	// A wrong code is reported on the page and changes nothing.
	b.signOut()
	e.clock.Advance(60 * time.Second) // the send limit's pause grows
	b.signInEmail("demo@example.com")
	b.waitVisible("#mfa-pending")
	wrong := e.totpCode(secret)
	wrong = fmt.Sprintf("%06d", (atoiOr(wrong)+1)%1000000)
	b.fill("#mfa-totp-code", wrong)
	b.click("#mfa-totp button")
	b.waitError("waiting for the error")
	if code := b.eval(`document.getElementById("status").dataset.code`); code != "mfa_invalid_code" {
		t.Fatalf("wrong code answered %q (%s), want mfa_invalid_code", code, b.status())
	}
	b.waitVisible("#mfa-pending")

	// A recovery code the page showed at enrolment finishes the sign-in.
	b.fill("#mfa-recovery-code", strings.Fields(codes)[0])
	b.click("#mfa-recovery button")
	if got := b.signedInUser(); got != user {
		t.Fatalf("recovery sign-in as %s, want %s", got, user)
	}
}

// atoiOr parses a decimal code, 0 if it is not one.
func atoiOr(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// TestDemoPageCookieMode: with -cookie-auth the page holds no token; the
// HttpOnly cookie carries the session, so a reload stays signed in and
// sign-out ends it.
func TestDemoPageCookieMode(t *testing.T) {
	// The cookie's sign-ins must come from the issuer's own origin (login
	// CSRF), so the issuer names localhost, the page's host.
	e := newTestEnv(t, nil, func(c *config) {
		c.Issuer = strings.Replace(c.Issuer, "127.0.0.1", "localhost", 1)
		c.CookieAuth = true
	})
	b := newDemoBrowser(t, e)
	b.signInEmail("cookie@example.com")
	b.waitVisible("#signed-in")
	user := b.text("#user-id")
	if tok := b.eval(`String(state.token)`); tok != "null" {
		t.Fatalf("cookie mode: the page holds a token: %s", tok)
	}
	if b.eval(`document.cookie`) != "" {
		t.Fatal("the session cookie is readable by script")
	}

	b.do("reload", chromedp.Reload())
	b.waitVisible("#signed-in")
	if got := b.text("#user-id"); got != user || !isEnvironmentID(got) {
		t.Fatalf("after a reload the page shows user %q, want %q", got, user)
	}

	b.signOut()
	b.do("reload", chromedp.Reload())
	b.waitVisible("#signed-out")
}
