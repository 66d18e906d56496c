package captcha_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/authkit/authkit/captcha"
)

// bodyTransport answers every request with status and body, without a network.
type bodyTransport struct {
	status int
	body   string
}

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: b.status, Body: io.NopCloser(strings.NewReader(b.body)), Header: http.Header{}, Request: r}, nil
}

// FuzzVerifyResponse feeds arbitrary siteverify answers to every provider's
// client: it must pass only a body whose "success" is true (and whose score
// meets the minimum for v3), and fail with one of its sentinels otherwise,
// never revealing the token or secret.
func FuzzVerifyResponse(f *testing.F) {
	for _, s := range []string{turnstileOK, turnstileBad, turnstileSecret, hcaptchaOK, hcaptchaSeen, recaptchaV3OK, recaptchaV3Low,
		recaptchaNoCodes, `{"success":true,"score":"0.9"}`, `{"success":null}`, `[]`, `null`, `{"success":true,"score":1e999}`, `{"success":true,"score":0.9,"hostname":5}`, ""} {
		f.Add(200, s)
	}
	f.Add(500, turnstileOK)
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 100 || status > 999 {
			return
		}
		for _, p := range []captcha.Provider{captcha.Turnstile, captcha.HCaptcha, captcha.ReCaptchaV2, captcha.ReCaptchaV3} {
			c, err := captcha.New(captcha.Config{Provider: p, Secret: testSecret, HTTPClient: &http.Client{Transport: bodyTransport{status, body}}})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Verify(context.Background(), testToken, "")
			// The fields the client reads; a wrong type in any of them is
			// an undecodable answer, which fails closed.
			var parsed struct {
				Success *bool    `json:"success"`
				Score   *float64 `json:"score"`
				Codes   []string `json:"error-codes"`
				Host    string   `json:"hostname"`
				Action  string   `json:"action"`
			}
			jsonErr := json.Unmarshal([]byte(body), &parsed)
			ok := status == 200 && jsonErr == nil && parsed.Success != nil && *parsed.Success &&
				(p != captcha.ReCaptchaV3 || (parsed.Score != nil && *parsed.Score >= captcha.DefaultMinScore))
			if ok != (err == nil) {
				t.Fatalf("%s, HTTP %d, body %q: Verify = %v, want success %v", p, status, body, err, ok)
			}
			if err != nil && !errors.Is(err, captcha.ErrFailed) && !errors.Is(err, captcha.ErrUnavailable) {
				t.Fatalf("%s: error %v wraps no sentinel", p, err)
			}
			if err != nil && (strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), testToken)) {
				t.Fatalf("%s: error %q leaks the secret or token", p, err)
			}
		}
	})
}
