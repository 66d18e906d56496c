package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/captcha"
)

// The captcha tests run the server with -captcha turnstile against a fake
// of Turnstile's siteverify endpoint, answering the JSON of Cloudflare's
// server-side validation documentation.

const (
	fakeCaptchaSecret = "0x4AAAAAAA-test-secret-key"
	goodCaptcha       = "XXXX.DUMMY.TOKEN.XXXX-good"
	badCaptcha        = "XXXX.DUMMY.TOKEN.XXXX-forged"
)

// siteverifyFake is a stand-in for Turnstile's siteverify: it accepts
// goodCaptcha under fakeCaptchaSecret, or answers status when it is set.
type siteverifyFake struct {
	srv    *httptest.Server
	mu     sync.Mutex
	calls  []url.Values
	status int // when non-zero, every answer is this status with no JSON
}

func newSiteverifyFake(t *testing.T) *siteverifyFake {
	f := &siteverifyFake{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.calls = append(f.calls, r.PostForm)
		status := f.status
		f.mu.Unlock()
		if status != 0 {
			http.Error(w, "unavailable", status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.PostForm.Get("secret") != fakeCaptchaSecret:
			io.WriteString(w, `{"success":false,"error-codes":["invalid-input-secret"]}`)
		case r.PostForm.Get("response") == goodCaptcha:
			io.WriteString(w, `{"success":true,"challenge_ts":"2022-02-28T15:14:30.096Z","hostname":"example.com","error-codes":[],"action":"login","cdata":"sessionid-123456789"}`)
		default:
			io.WriteString(w, `{"success":false,"error-codes":["invalid-input-response"]}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *siteverifyFake) setStatus(s int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status = s
}

// requests returns the forms received so far.
func (f *siteverifyFake) requests() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.calls...)
}

// withCaptcha configures Turnstile with the fake as its endpoint.
func withCaptcha(endpoint string) func(*config) {
	return func(c *config) {
		c.Captcha, c.CaptchaSecret, c.CaptchaEndpoint = "turnstile", fakeCaptchaSecret, endpoint
	}
}

// expectNoSecretsLogged checks that neither a captcha token nor the
// secret reached the server log.
func expectNoSecretsLogged(t *testing.T, e *testEnv) {
	t.Helper()
	logs := e.logs.String()
	for _, s := range []string{fakeCaptchaSecret, goodCaptcha, badCaptcha} {
		if strings.Contains(logs, s) {
			t.Errorf("%q reached the log", s)
		}
	}
}

// withToken returns b with captchaToken set, unless token is empty.
func withToken(b map[string]any, token string) map[string]any {
	out := map[string]any{}
	for k, v := range b {
		out[k] = v
	}
	if token != "" {
		out["captchaToken"] = token
	}
	return out
}

// TestCaptchaVerifications: with -captcha, create and retry on both
// channels need a token the provider accepts; refused ones send nothing;
// signin (which needs the code a captcha-checked create sent) does not.
func TestCaptchaVerifications(t *testing.T) {
	for _, ch := range []struct {
		prefix string
		to     string
		body   map[string]any
	}{
		{"smsVerifications", "+19172113370", smsBody("9172113370")},
		{"emailVerifications", "captcha@example.com", map[string]any{"email": "captcha@example.com"}},
	} {
		t.Run(ch.prefix, func(t *testing.T) {
			fake := newSiteverifyFake(t)
			e := newTestEnv(t, memoryStores, withCaptcha(fake.srv.URL))
			create := func(token string) *resp {
				return e.do(req{Method: "POST", Path: ch.prefix + "/create", Body: withToken(ch.body, token)})
			}
			expectError(t, create(""), 422, "captcha_failed")
			if n := len(fake.requests()); n != 0 {
				t.Fatalf("a missing token reached siteverify (%d requests)", n)
			}
			expectError(t, create(badCaptcha), 422, "captcha_failed")
			if n := len(e.devCodes("")); n != 0 {
				t.Fatalf("%d messages sent after refused captchas", n)
			}

			r := create(goodCaptcha)
			expectStatus(t, r, 201)
			var v struct{ VerificationUUID string }
			r.JSON(t, &v)
			if n := len(e.devCodes(ch.to)); n != 1 {
				t.Fatalf("%d messages after one accepted create", n)
			}
			calls := fake.requests()
			last := calls[len(calls)-1]
			if last.Get("secret") != fakeCaptchaSecret || last.Get("response") != goodCaptcha || last.Get("remoteip") != "127.0.0.1" {
				t.Fatalf("siteverify form %v", last)
			}

			retry := func(token string) *resp {
				b := withToken(ch.body, token)
				b["verificationUUID"] = v.VerificationUUID
				return e.do(req{Method: "POST", Path: ch.prefix + "/retry", Body: b})
			}
			e.clock.Advance(31 * time.Second) // past the first cooldown
			expectError(t, retry(""), 422, "captcha_failed")
			expectError(t, retry(badCaptcha), 422, "captcha_failed")
			if n := len(e.devCodes(ch.to)); n != 1 {
				t.Fatalf("%d messages after refused retries", n)
			}
			expectStatus(t, retry(goodCaptcha), 201)
			if n := len(e.devCodes(ch.to)); n != 2 {
				t.Fatalf("%d messages after an accepted retry", n)
			}

			// signin carries no captcha.
			before := len(fake.requests())
			r = e.do(req{Method: "POST", Path: ch.prefix + "/signin", Body: map[string]any{
				"verificationUUID": v.VerificationUUID, "verificationToken": e.lastCode(ch.to),
			}})
			expectStatus(t, r, 200)
			if len(fake.requests()) != before {
				t.Fatal("signin asked siteverify")
			}
			expectNoSecretsLogged(t, e)
		})
	}
}

// TestCaptchaUnavailable: a siteverify that errors or cannot be reached
// fails closed with 503 service_unavailable, and nothing is sent.
func TestCaptchaUnavailable(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close() // connection refused from now on
	failing := newSiteverifyFake(t)
	failing.setStatus(http.StatusInternalServerError)
	wrongSecret := newSiteverifyFake(t)

	for name, mod := range map[string]func(*config){
		"unreachable": withCaptcha(downURL),
		"status 500":  withCaptcha(failing.srv.URL),
		"our secret refused": func(c *config) {
			withCaptcha(wrongSecret.srv.URL)(c)
			c.CaptchaSecret = "rotated-away"
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t, memoryStores, mod)
			r := e.do(req{Method: "POST", Path: "smsVerifications/create", Body: withToken(smsBody("9172113371"), goodCaptcha)})
			expectError(t, r, 503, "service_unavailable")
			r = e.do(req{Method: "POST", Path: "emailVerifications/create", Body: map[string]any{"email": "down@example.com", "captchaToken": goodCaptcha}})
			expectError(t, r, 503, "service_unavailable")
			if n := len(e.devCodes("")); n != 0 {
				t.Fatalf("%d messages sent while siteverify was unavailable", n)
			}
			// A missing token is the client's fault, whatever the provider.
			expectError(t, e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody("9172113371")}), 422, "captcha_failed")

			st := oauthState(40)
			expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}}), 204)
			expectStatus(t, e.oauthBrowser("github", st), 200)
			r = e.do(req{Method: "POST", Path: "providers/github/signIn", Body: map[string]any{"state": st, "captchaToken": goodCaptcha}})
			expectError(t, r, 503, "service_unavailable")
			expectNoSecretsLogged(t, e)
		})
	}
}

// TestCaptchaOAuthSignIn: with -captcha, providers/{type}/signIn needs a
// good token, checked before the state is consumed; verify, which needs a
// session, does not.
func TestCaptchaOAuthSignIn(t *testing.T) {
	fake := newSiteverifyFake(t)
	e := newTestEnv(t, memoryStores, withCaptcha(fake.srv.URL))

	// A user signed in by SMS (create with a good token) links the dev
	// GitHub account through verify, with no captchaToken.
	national, e164 := testPhone(72)
	r := e.do(req{Method: "POST", Path: "smsVerifications/create", Body: withToken(smsBody(national), goodCaptcha)})
	expectStatus(t, r, 201)
	var created smsCreateResponse
	r.JSON(t, &created)
	r = e.do(req{Method: "POST", Path: "smsVerifications/signin", Body: map[string]any{"verificationUUID": created.VerificationUUID, "verificationToken": e.lastCode(e164)}})
	expectStatus(t, r, 200)
	var user verifyResponse
	r.JSON(t, &user)
	expectStatus(t, e.oauthSignIn(41, user.MinifiedJWT), 200)

	// signIn: refused without a token and with a bad one, then accepted
	// with a good one on the same state.
	st := oauthState(42)
	expectStatus(t, e.do(req{Method: "POST", Path: "providers/github/initAuth", Body: map[string]any{"state": st}}), 204)
	expectStatus(t, e.oauthBrowser("github", st), 200)
	signIn := func(token string) *resp {
		return e.do(req{Method: "POST", Path: "providers/github/signIn", Body: withToken(map[string]any{"state": st}, token)})
	}
	expectError(t, signIn(""), 422, "captcha_failed")
	expectError(t, signIn(badCaptcha), 422, "captcha_failed")
	r = signIn(goodCaptcha)
	expectStatus(t, r, 200)
	var v verifyResponse
	r.JSON(t, &v)
	if v.User.ID != user.User.ID {
		t.Fatalf("signIn found user %s, want %s", v.User.ID, user.User.ID)
	}
	calls := fake.requests()
	if last := calls[len(calls)-1]; last.Get("response") != goodCaptcha || last.Get("remoteip") != "127.0.0.1" {
		t.Fatalf("siteverify form %v", last)
	}
	// The state is used now: a second good token does not sign in again.
	expectError(t, signIn(goodCaptcha), 422, "invalid_verification")
	expectNoSecretsLogged(t, e)
}

// TestNoCaptchaByDefault: without -captcha, a captchaToken is ignored and
// none is required.
func TestNoCaptchaByDefault(t *testing.T) {
	e := newTestEnv(t, memoryStores)
	expectStatus(t, e.do(req{Method: "POST", Path: "smsVerifications/create", Body: smsBody("9172113373")}), 201)
	expectStatus(t, e.do(req{Method: "POST", Path: "emailVerifications/create", Body: map[string]any{"email": "nocaptcha@example.com", "captchaToken": "anything"}}), 201)
	expectStatus(t, e.oauthSignIn(43, ""), 200)
}

// TestCaptchaConfig: the -captcha flags, from the command line and from
// AUTHKIT_* variables, and the combinations refused at startup.
func TestCaptchaConfig(t *testing.T) {
	ok := []struct {
		args     []string
		env      map[string]string
		provider string
		score    float64
	}{
		{nil, nil, "", 0},
		{[]string{"-captcha", "none"}, nil, "none", 0},
		{[]string{"-captcha", "turnstile", "-captcha-secret", "s"}, nil, "turnstile", 0},
		{[]string{"-captcha", "hcaptcha"}, map[string]string{"AUTHKIT_CAPTCHA_SECRET": "s"}, "hcaptcha", 0},
		{nil, map[string]string{"AUTHKIT_CAPTCHA": "recaptcha-v2", "AUTHKIT_CAPTCHA_SECRET": "s", "AUTHKIT_CAPTCHA_ENDPOINT": "https://captcha.internal/siteverify"}, "recaptcha-v2", 0},
		{[]string{"-captcha", "recaptcha-v3", "-captcha-secret", "s", "-captcha-min-score", "0.7"}, nil, "recaptcha-v3", 0.7},
		{[]string{"-captcha", "recaptcha-v3", "-captcha-secret", "s"}, map[string]string{"AUTHKIT_CAPTCHA_MIN_SCORE": "1"}, "recaptcha-v3", 1},
		{[]string{"-captcha", "turnstile", "-captcha-secret", "s", "-captcha-endpoint", "http://127.0.0.1:9/siteverify"}, nil, "turnstile", 0},
	}
	for _, tc := range ok {
		c, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
		if err != nil {
			t.Errorf("%v %v: %v", tc.args, tc.env, err)
			continue
		}
		if c.Captcha != tc.provider || c.CaptchaMinScore != tc.score {
			t.Errorf("%v %v: captcha %q score %v", tc.args, tc.env, c.Captcha, c.CaptchaMinScore)
		}
		if v, err := c.newCaptcha(nil); err != nil || (v != nil) != c.hasCaptcha() {
			t.Errorf("%v %v: verifier %v, %v", tc.args, tc.env, v, err)
		}
	}

	bad := []struct {
		name string
		args []string
		flag string // the flag named by the error
	}{
		{"unknown provider", []string{"-captcha", "recaptcha", "-captcha-secret", "s"}, "-captcha"},
		{"underscore spelling", []string{"-captcha", "recaptcha_v3", "-captcha-secret", "s"}, "-captcha"},
		{"missing secret", []string{"-captcha", "turnstile"}, "-captcha-secret"},
		{"min score with turnstile", []string{"-captcha", "turnstile", "-captcha-secret", "s", "-captcha-min-score", "0.5"}, "-captcha-min-score"},
		{"min score with recaptcha-v2", []string{"-captcha", "recaptcha-v2", "-captcha-secret", "s", "-captcha-min-score", "0.5"}, "-captcha-min-score"},
		{"min score without captcha", []string{"-captcha-min-score", "0.5"}, "-captcha-min-score"},
		{"min score above 1", []string{"-captcha", "recaptcha-v3", "-captcha-secret", "s", "-captcha-min-score", "1.5"}, "-captcha-min-score"},
		{"negative min score", []string{"-captcha", "recaptcha-v3", "-captcha-secret", "s", "-captcha-min-score", "-0.1"}, "-captcha-min-score"},
		{"secret without captcha", []string{"-captcha-secret", "s"}, "-captcha-secret"},
		{"endpoint without captcha", []string{"-captcha-endpoint", "https://captcha.internal/"}, "-captcha-endpoint"},
		{"plain http endpoint", []string{"-captcha", "turnstile", "-captcha-secret", "s", "-captcha-endpoint", "http://captcha.example.com/siteverify"}, "-captcha-endpoint"},
		{"relative endpoint", []string{"-captcha", "turnstile", "-captcha-secret", "s", "-captcha-endpoint", "/siteverify"}, "-captcha-endpoint"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig(tc.args, nil, io.Discard)
			var ce *captchaConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("%v: error %v, want a *captchaConfigError", tc.args, err)
			}
			if ce.flag != tc.flag || !strings.HasPrefix(err.Error(), tc.flag+": ") {
				t.Fatalf("%v: error %q names %s, want %s", tc.args, err, ce.flag, tc.flag)
			}
		})
	}
	// No error carries the secret.
	for _, args := range [][]string{
		{"-captcha", "bogus", "-captcha-secret", "TOPSECRET-123"},
		{"-captcha-secret", "TOPSECRET-123"},
		{"-captcha", "turnstile", "-captcha-secret", "TOPSECRET-123", "-captcha-endpoint", "ftp://x"},
	} {
		if _, err := parseConfig(args, nil, io.Discard); err == nil || strings.Contains(err.Error(), "TOPSECRET") {
			t.Errorf("%v: error %v", args, err)
		}
	}
	// The endpoint refusal keeps captcha.New's sentinel.
	_, err := parseConfig([]string{"-captcha", "turnstile", "-captcha-secret", "s", "-captcha-endpoint", "http://captcha.example.com/"}, nil, io.Discard)
	if !errors.Is(err, captcha.ErrConfig) {
		t.Errorf("endpoint error %v does not wrap captcha.ErrConfig", err)
	}
	// A bad AUTHKIT_CAPTCHA_MIN_SCORE is a parse error.
	if _, err := parseConfig(nil, func(k string) string {
		if k == "AUTHKIT_CAPTCHA_MIN_SCORE" {
			return "high"
		}
		return ""
	}, io.Discard); err == nil || !strings.Contains(err.Error(), "AUTHKIT_CAPTCHA_MIN_SCORE") {
		t.Errorf("bad AUTHKIT_CAPTCHA_MIN_SCORE: %v", err)
	}
	// newServer validates too: a config built in code cannot skip the checks.
	cfg := defaultConfig()
	cfg.Env, cfg.Issuer, cfg.Captcha = testEnvID, "http://127.0.0.1:1"+apiPrefix+testEnvID, "turnstile"
	var ce *captchaConfigError
	if _, err := newServer(t.Context(), cfg, serverOptions{}); !errors.As(err, &ce) {
		t.Errorf("newServer with -captcha and no secret: %v", err)
	}
}
