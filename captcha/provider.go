package captcha

// Provider names a captcha service.
type Provider string

// Supported providers.
const (
	// Turnstile is Cloudflare Turnstile.
	Turnstile Provider = "turnstile"
	// HCaptcha is hCaptcha.
	HCaptcha Provider = "hcaptcha"
	// ReCaptchaV2 is Google reCAPTCHA v2 (checkbox or invisible).
	ReCaptchaV2 Provider = "recaptcha_v2"
	// ReCaptchaV3 is Google reCAPTCHA v3, which returns a score.
	ReCaptchaV3 Provider = "recaptcha_v3"
)

// Default siteverify endpoints, from each provider's server-side
// validation documentation.
const (
	TurnstileEndpoint = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
	HCaptchaEndpoint  = "https://api.hcaptcha.com/siteverify"
	ReCaptchaEndpoint = "https://www.google.com/recaptcha/api/siteverify"
)

// endpoint returns the default endpoint, or "" for an unknown provider.
func (p Provider) endpoint() string {
	switch p {
	case Turnstile:
		return TurnstileEndpoint
	case HCaptcha:
		return HCaptchaEndpoint
	case ReCaptchaV2, ReCaptchaV3:
		return ReCaptchaEndpoint
	}
	return ""
}

// hasAction reports whether the provider's response carries the action
// the widget was rendered with.
func (p Provider) hasAction() bool { return p == Turnstile || p == ReCaptchaV3 }
