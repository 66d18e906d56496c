package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/authkit/authkit/captcha"
)

// Captcha (-captcha and friends). When a provider is configured, every
// public route that sends a code or signs in through a provider must carry
// a captchaToken the provider accepts: smsVerifications and
// emailVerifications create and retry (checked by the verification
// package, before anything is stored or sent) and providers/{type}/signIn
// (checked here, before the OAuth state is consumed, so a failed captcha
// can be retried with the same state). Routes that already need a session
// (verify) or a code sent after a captcha (signin) are not checked again.
// A provider that cannot be reached fails closed: 503, nothing sent.

// captchaProviders maps the -captcha values to the package's providers.
var captchaProviders = map[string]captcha.Provider{
	"turnstile":    captcha.Turnstile,
	"hcaptcha":     captcha.HCaptcha,
	"recaptcha-v2": captcha.ReCaptchaV2,
	"recaptcha-v3": captcha.ReCaptchaV3,
}

// captchaConfigError is a -captcha* setting refused at startup.
type captchaConfigError struct {
	flag   string
	reason string
	cause  error // from captcha.New, if any
}

func (e *captchaConfigError) Error() string {
	if e.cause != nil {
		return e.flag + ": " + e.reason + ": " + e.cause.Error()
	}
	return e.flag + ": " + e.reason
}

func (e *captchaConfigError) Unwrap() error { return e.cause }

// hasCaptcha reports whether a captcha provider is configured.
func (c config) hasCaptcha() bool { return c.Captcha != "" && c.Captcha != "none" }

// newCaptcha builds the captcha verifier of the configuration, or returns
// nil, nil when there is none. It does no I/O, so validate calls it too.
func (c config) newCaptcha(log *slog.Logger) (captcha.Verifier, error) {
	if !c.hasCaptcha() {
		// Settings without a provider are a mistake that would silently
		// leave the routes unprotected.
		switch {
		case c.CaptchaSecret != "":
			return nil, &captchaConfigError{flag: "-captcha-secret", reason: "given without -captcha"}
		case c.CaptchaEndpoint != "":
			return nil, &captchaConfigError{flag: "-captcha-endpoint", reason: "given without -captcha"}
		case c.CaptchaMinScore != 0:
			return nil, &captchaConfigError{flag: "-captcha-min-score", reason: "applies to -captcha recaptcha-v3 only"}
		}
		return nil, nil
	}
	p, ok := captchaProviders[c.Captcha]
	if !ok {
		return nil, &captchaConfigError{flag: "-captcha", reason: "unknown provider " + strconv.Quote(c.Captcha) + " (want turnstile, hcaptcha, recaptcha-v2 or recaptcha-v3)"}
	}
	if c.CaptchaSecret == "" {
		return nil, &captchaConfigError{flag: "-captcha-secret", reason: "required with -captcha (set AUTHKIT_CAPTCHA_SECRET)"}
	}
	if c.CaptchaMinScore != 0 && p != captcha.ReCaptchaV3 {
		return nil, &captchaConfigError{flag: "-captcha-min-score", reason: "applies to -captcha recaptcha-v3 only"}
	}
	if c.CaptchaMinScore < 0 || c.CaptchaMinScore > 1 || c.CaptchaMinScore != c.CaptchaMinScore {
		return nil, &captchaConfigError{flag: "-captcha-min-score", reason: "want a score in (0, 1]"}
	}
	v, err := captcha.New(captcha.Config{
		Provider: p,
		Secret:   c.CaptchaSecret,
		Endpoint: c.CaptchaEndpoint,
		MinScore: c.CaptchaMinScore,
		Logger:   log,
	})
	if err != nil {
		// The remaining checks of captcha.New are on the endpoint.
		return nil, &captchaConfigError{flag: "-captcha-endpoint", reason: "refused", cause: err}
	}
	return v, nil
}

// checkCaptcha asks the configured verifier about token; with no verifier
// configured every request passes.
func (s *server) checkCaptcha(r *http.Request, token string) error {
	if s.captcha == nil {
		return nil
	}
	if err := s.captcha.Verify(r.Context(), token, remoteIP(r)); err != nil {
		return classifyCaptcha(err)
	}
	return nil
}

// remoteIP is the client's exact address, the remoteip the captcha
// providers take as a signal (clientIP groups IPv6 by /64, which is a
// key for limits, not an address).
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	return a.Unmap().WithZone("").String()
}
