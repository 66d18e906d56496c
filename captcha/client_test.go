package captcha_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/captcha"
)

const (
	testSecret = "0x4AAAAAAAtestsecret-DO-NOT-LEAK"
	testToken  = "XXXX.DUMMY.TOKEN-DO-NOT-LEAK.XXXX"
)

// Documented response bodies, one per provider and outcome.
const (
	turnstileOK       = `{"success":true,"challenge_ts":"2022-02-28T15:14:30.096Z","hostname":"example.com","error-codes":[],"action":"login","cdata":"sessionid-123456789"}`
	turnstileBad      = `{"success":false,"error-codes":["invalid-input-response"]}`
	turnstileDup      = `{"success":false,"error-codes":["timeout-or-duplicate"]}`
	turnstileSecret   = `{"success":false,"error-codes":["invalid-input-secret"]}`
	turnstileInternal = `{"success":false,"error-codes":["internal-error"]}`

	hcaptchaOK       = `{"success":true,"challenge_ts":"2024-01-01T00:00:00Z","hostname":"example.com","credit":false,"error-codes":[]}`
	hcaptchaExpired  = `{"success":false,"error-codes":["expired-input-response"]}`
	hcaptchaSeen     = `{"success":false,"error-codes":["invalid-or-already-seen-response"]}`
	hcaptchaMismatch = `{"success":false,"error-codes":["sitekey-secret-mismatch"]}`

	recaptchaV2OK          = `{"success":true,"challenge_ts":"2024-01-01T00:00:00Z","hostname":"example.com"}`
	recaptchaV3OK          = `{"success":true,"score":0.9,"action":"login","challenge_ts":"2024-01-01T00:00:00Z","hostname":"example.com"}`
	recaptchaV3Low         = `{"success":true,"score":0.1,"action":"login","challenge_ts":"2024-01-01T00:00:00Z","hostname":"example.com"}`
	recaptchaBad           = `{"success":false,"error-codes":["invalid-input-response"]}`
	recaptchaTimeout       = `{"success":false,"error-codes":["timeout-or-duplicate"]}`
	recaptchaMissingSecret = `{"success":false,"error-codes":["missing-input-secret"]}`
	recaptchaNoCodes       = `{"success":false}`
)

// fake is a siteverify server that records the last request.
type fake struct {
	srv    *httptest.Server
	mu     sync.Mutex
	form   url.Values
	header http.Header
	calls  int
}

func newFake(t *testing.T, status int, body string) *fake {
	t.Helper()
	f := &fake{}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		f.mu.Lock()
		f.form, f.header, f.calls = r.PostForm, r.Header.Clone(), f.calls+1
		f.mu.Unlock()
		if r.Method != http.MethodPost {
			http.Error(w, "method", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) client(t *testing.T, cfg captcha.Config) *captcha.Client {
	t.Helper()
	cfg.Endpoint = f.srv.URL + "/siteverify"
	cfg.HTTPClient = f.srv.Client()
	if cfg.Secret == "" {
		cfg.Secret = testSecret
	}
	c, err := captcha.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifyProviders(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  captcha.Config
		body string
		want error
	}{
		{"turnstile ok", captcha.Config{Provider: captcha.Turnstile}, turnstileOK, nil},
		{"turnstile ok with action and hostname", captcha.Config{Provider: captcha.Turnstile, ExpectedAction: "login", ExpectedHostname: "Example.COM"}, turnstileOK, nil},
		{"turnstile invalid token", captcha.Config{Provider: captcha.Turnstile}, turnstileBad, captcha.ErrFailed},
		{"turnstile duplicate", captcha.Config{Provider: captcha.Turnstile}, turnstileDup, captcha.ErrFailed},
		{"turnstile wrong secret", captcha.Config{Provider: captcha.Turnstile}, turnstileSecret, captcha.ErrUnavailable},
		{"turnstile internal error", captcha.Config{Provider: captcha.Turnstile}, turnstileInternal, captcha.ErrUnavailable},
		{"turnstile wrong action", captcha.Config{Provider: captcha.Turnstile, ExpectedAction: "signup"}, turnstileOK, captcha.ErrFailed},
		{"turnstile wrong hostname", captcha.Config{Provider: captcha.Turnstile, ExpectedHostname: "evil.example"}, turnstileOK, captcha.ErrFailed},
		{"hcaptcha ok", captcha.Config{Provider: captcha.HCaptcha, SiteKey: "10000000-ffff-ffff-ffff-000000000001"}, hcaptchaOK, nil},
		{"hcaptcha expired", captcha.Config{Provider: captcha.HCaptcha}, hcaptchaExpired, captcha.ErrFailed},
		{"hcaptcha already seen", captcha.Config{Provider: captcha.HCaptcha}, hcaptchaSeen, captcha.ErrFailed},
		{"hcaptcha sitekey mismatch", captcha.Config{Provider: captcha.HCaptcha}, hcaptchaMismatch, captcha.ErrUnavailable},
		{"recaptcha v2 ok", captcha.Config{Provider: captcha.ReCaptchaV2, ExpectedHostname: "example.com"}, recaptchaV2OK, nil},
		{"recaptcha v2 invalid", captcha.Config{Provider: captcha.ReCaptchaV2}, recaptchaBad, captcha.ErrFailed},
		{"recaptcha v2 timeout-or-duplicate", captcha.Config{Provider: captcha.ReCaptchaV2}, recaptchaTimeout, captcha.ErrFailed},
		{"recaptcha v2 missing secret", captcha.Config{Provider: captcha.ReCaptchaV2}, recaptchaMissingSecret, captcha.ErrUnavailable},
		{"recaptcha failure without codes", captcha.Config{Provider: captcha.ReCaptchaV2}, recaptchaNoCodes, captcha.ErrFailed},
		{"recaptcha v3 ok", captcha.Config{Provider: captcha.ReCaptchaV3, ExpectedAction: "login"}, recaptchaV3OK, nil},
		{"recaptcha v3 score equal to minimum", captcha.Config{Provider: captcha.ReCaptchaV3, MinScore: 0.9}, recaptchaV3OK, nil},
		{"recaptcha v3 low score", captcha.Config{Provider: captcha.ReCaptchaV3}, recaptchaV3Low, captcha.ErrFailed},
		{"recaptcha v3 low score custom minimum", captcha.Config{Provider: captcha.ReCaptchaV3, MinScore: 0.05}, recaptchaV3Low, nil},
		{"recaptcha v3 wrong action", captcha.Config{Provider: captcha.ReCaptchaV3, ExpectedAction: "signup"}, recaptchaV3OK, captcha.ErrFailed},
		{"recaptcha v3 given a v2 answer", captcha.Config{Provider: captcha.ReCaptchaV3}, recaptchaV2OK, captcha.ErrFailed},
		{"garbage JSON", captcha.Config{Provider: captcha.Turnstile}, `{"success":tru`, captcha.ErrUnavailable},
		{"HTML", captcha.Config{Provider: captcha.HCaptcha}, `<html>502 Bad Gateway</html>`, captcha.ErrUnavailable},
		{"empty body", captcha.Config{Provider: captcha.ReCaptchaV2}, ``, captcha.ErrUnavailable},
		{"no success field", captcha.Config{Provider: captcha.Turnstile}, `{"hostname":"example.com"}`, captcha.ErrUnavailable},
		{"success of wrong type", captcha.Config{Provider: captcha.Turnstile}, `{"success":"true"}`, captcha.ErrUnavailable},
		{"hostile error codes", captcha.Config{Provider: captcha.Turnstile}, `{"success":false,"error-codes":["<script>","invalid-input-secret\n"]}`, captcha.ErrFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, http.StatusOK, tc.body)
			var logs bytes.Buffer
			tc.cfg.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			err := f.client(t, tc.cfg).Verify(context.Background(), testToken, "203.0.113.7:4711")
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if f.calls != 1 {
				t.Fatalf("%d requests, want exactly 1 (tokens are single-use: no retries)", f.calls)
			}
			if got := f.form.Get("secret"); got != testSecret {
				t.Errorf("secret sent = %q", got)
			}
			if got := f.form.Get("response"); got != testToken {
				t.Errorf("response sent = %q", got)
			}
			if got := f.form.Get("remoteip"); got != "203.0.113.7" {
				t.Errorf("remoteip sent = %q, want the bare address", got)
			}
			if got, want := f.form.Get("sitekey"), tc.cfg.SiteKey; got != want {
				t.Errorf("sitekey sent = %q, want %q", got, want)
			}
			if ct := f.header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
				t.Errorf("Content-Type = %q", ct)
			}
			if err != nil && logs.Len() == 0 {
				t.Error("failure not logged")
			}
			assertNoSecrets(t, err, logs.String())
		})
	}
}

func assertNoSecrets(t *testing.T, err error, logs string) {
	t.Helper()
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, s := range []string{testSecret, testToken, "DO-NOT-LEAK", "<script>"} {
		if strings.Contains(msg, s) || strings.Contains(logs, s) {
			t.Fatalf("%q leaked:\nerror: %s\nlogs: %s", s, msg, logs)
		}
	}
}

func TestVerifyHTTPStatus(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusTooManyRequests, http.StatusBadRequest, http.StatusNoContent} {
		f := newFake(t, status, turnstileOK)
		err := f.client(t, captcha.Config{Provider: captcha.Turnstile}).Verify(context.Background(), testToken, "")
		if !errors.Is(err, captcha.ErrUnavailable) {
			t.Errorf("HTTP %d: Verify = %v, want ErrUnavailable even with a success body", status, err)
		}
		assertNoSecrets(t, err, "")
	}
}

func TestVerifyTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := captcha.New(captcha.Config{Provider: captcha.HCaptcha, Secret: testSecret, Endpoint: srv.URL, HTTPClient: srv.Client(), Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Verify(context.Background(), testToken, "")
	if !errors.Is(err, captcha.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Verify = %v, want ErrUnavailable wrapping context.DeadlineExceeded", err)
	}
	assertNoSecrets(t, err, "")
}

func TestVerifyCanceledContext(t *testing.T) {
	f := newFake(t, http.StatusOK, turnstileOK)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := f.client(t, captcha.Config{Provider: captcha.Turnstile}).Verify(ctx, testToken, "")
	if !errors.Is(err, captcha.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify = %v, want ErrUnavailable wrapping context.Canceled", err)
	}
}

func TestVerifyConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	endpoint := srv.URL
	srv.Close()
	c, err := captcha.New(captcha.Config{Provider: captcha.ReCaptchaV2, Secret: testSecret, Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Verify(context.Background(), testToken, "")
	if !errors.Is(err, captcha.ErrUnavailable) {
		t.Fatalf("Verify = %v, want ErrUnavailable", err)
	}
	assertNoSecrets(t, err, "")
}

func TestVerifyDoesNotFollowRedirects(t *testing.T) {
	var hits sync.Map
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Store(r.URL.Path, true)
		if r.URL.Path == "/siteverify" {
			http.Redirect(w, r, srv.URL+"/elsewhere", http.StatusTemporaryRedirect)
			return
		}
		w.Write([]byte(turnstileOK))
	}))
	defer srv.Close()
	c, err := captcha.New(captcha.Config{Provider: captcha.Turnstile, Secret: testSecret, Endpoint: srv.URL + "/siteverify"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(context.Background(), testToken, ""); !errors.Is(err, captcha.ErrUnavailable) {
		t.Fatalf("Verify = %v, want ErrUnavailable for a redirect", err)
	}
	if _, followed := hits.Load("/elsewhere"); followed {
		t.Fatal("redirect followed: the secret was sent to another URL")
	}
}

func TestVerifyOversizedResponse(t *testing.T) {
	f := newFake(t, http.StatusOK, `{"success":true,"hostname":"`+strings.Repeat("a", 70<<10)+`"}`)
	if err := f.client(t, captcha.Config{Provider: captcha.Turnstile}).Verify(context.Background(), testToken, ""); !errors.Is(err, captcha.ErrUnavailable) {
		t.Fatalf("Verify = %v, want ErrUnavailable", err)
	}
}

func TestVerifyMissingToken(t *testing.T) {
	f := newFake(t, http.StatusOK, turnstileOK)
	c := f.client(t, captcha.Config{Provider: captcha.Turnstile})
	for _, token := range []string{"", "   "} {
		if err := c.Verify(context.Background(), token, ""); !errors.Is(err, captcha.ErrMissingToken) {
			t.Errorf("Verify(%q) = %v, want ErrMissingToken", token, err)
		}
	}
	if err := c.Verify(context.Background(), strings.Repeat("x", captcha.MaxTokenLen+1), ""); !errors.Is(err, captcha.ErrFailed) {
		t.Errorf("Verify(oversized token) = %v, want ErrFailed", err)
	}
	if f.calls != 0 {
		t.Fatalf("%d requests made for tokens that cannot be valid", f.calls)
	}
}

func TestVerifyRemoteIP(t *testing.T) {
	f := newFake(t, http.StatusOK, turnstileOK)
	c := f.client(t, captcha.Config{Provider: captcha.Turnstile})
	for _, tc := range []struct{ in, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"2001:db8::1", "2001:db8::1"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"", ""},
		{"not an ip", ""},
	} {
		if err := c.Verify(context.Background(), testToken, tc.in); err != nil {
			t.Fatal(err)
		}
		if got := f.form.Get("remoteip"); got != tc.want {
			t.Errorf("remoteIP %q sent as %q, want %q", tc.in, got, tc.want)
		}
		if _, sent := f.form["remoteip"]; sent != (tc.want != "") {
			t.Errorf("remoteIP %q: remoteip field present = %v", tc.in, sent)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  captcha.Config
	}{
		{"no provider", captcha.Config{Secret: testSecret}},
		{"unknown provider", captcha.Config{Provider: "recaptcha_v4", Secret: testSecret}},
		{"no secret", captcha.Config{Provider: captcha.Turnstile}},
		{"plain http", captcha.Config{Provider: captcha.Turnstile, Secret: testSecret, Endpoint: "http://captcha.example/siteverify"}},
		{"relative endpoint", captcha.Config{Provider: captcha.Turnstile, Secret: testSecret, Endpoint: "/siteverify"}},
		{"bad URL", captcha.Config{Provider: captcha.Turnstile, Secret: testSecret, Endpoint: "https://%zz"}},
		{"negative timeout", captcha.Config{Provider: captcha.Turnstile, Secret: testSecret, Timeout: -time.Second}},
		{"score above 1", captcha.Config{Provider: captcha.ReCaptchaV3, Secret: testSecret, MinScore: 1.5}},
		{"negative score", captcha.Config{Provider: captcha.ReCaptchaV3, Secret: testSecret, MinScore: -0.1}},
		{"score for v2", captcha.Config{Provider: captcha.ReCaptchaV2, Secret: testSecret, MinScore: 0.5}},
		{"action for hCaptcha", captcha.Config{Provider: captcha.HCaptcha, Secret: testSecret, ExpectedAction: "login"}},
		{"action for v2", captcha.Config{Provider: captcha.ReCaptchaV2, Secret: testSecret, ExpectedAction: "login"}},
	} {
		c, err := captcha.New(tc.cfg)
		if !errors.Is(err, captcha.ErrConfig) || c != nil {
			t.Errorf("%s: New = %v, %v; want ErrConfig", tc.name, c, err)
		}
		if err != nil && strings.Contains(err.Error(), testSecret) {
			t.Errorf("%s: error %q contains the secret", tc.name, err)
		}
	}
	for _, p := range []captcha.Provider{captcha.Turnstile, captcha.HCaptcha, captcha.ReCaptchaV2, captcha.ReCaptchaV3} {
		if _, err := captcha.New(captcha.Config{Provider: p, Secret: testSecret}); err != nil {
			t.Errorf("New(%s with defaults) = %v", p, err)
		}
	}
	for _, ep := range []string{"http://127.0.0.1:8080/v", "http://[::1]/v", "http://localhost:1/v", "https://captcha.example/v"} {
		if _, err := captcha.New(captcha.Config{Provider: captcha.Turnstile, Secret: testSecret, Endpoint: ep}); err != nil {
			t.Errorf("New(Endpoint %s) = %v", ep, err)
		}
	}
}

func TestVerifierFunc(t *testing.T) {
	var v captcha.Verifier = captcha.VerifierFunc(func(_ context.Context, token, _ string) error {
		if token != "ok" {
			return captcha.ErrFailed
		}
		return nil
	})
	if err := v.Verify(context.Background(), "ok", ""); err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(context.Background(), "no", ""); !errors.Is(err, captcha.ErrFailed) {
		t.Fatal(err)
	}
}
