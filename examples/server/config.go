package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// config is everything the server is started with. parseConfig fills it
// from command-line flags and AUTHKIT_* environment variables; tests build
// it directly.
type config struct {
	// Addr is the listen address (-addr).
	Addr string
	// Env is the environment id served under /api/v0/sdk/{env} (-env).
	Env string
	// Dev turns on development mode: codes are logged and kept for
	// /dev/messages, and the fake OAuth provider is mounted (-dev). Its
	// default and its checks are in devmode.go.
	Dev bool
	// DevAllowRemote lets development mode listen on a non-loopback
	// address (-dev-allow-remote).
	DevAllowRemote bool
	// Issuer is the iss of every token (-issuer); empty means
	// http://{listening address}/api/v0/sdk/{env}.
	Issuer string
	// SigningKeyFile is a PEM file holding the signing key (-signing-key);
	// empty means a fresh ES256 key for this run.
	SigningKeyFile string
	// CookieAuth turns on cookie mode (-cookie-auth).
	CookieAuth bool
	// RequireDeviceSignature refuses a sign-in or refresh that does not
	// prove a device key (-require-device-signature); by default a request
	// without the device headers is accepted as an unknown device.
	RequireDeviceSignature bool
	// CORSOrigins are the browser origins allowed to call the API
	// (-cors-origin, repeatable).
	CORSOrigins []string
	// RedirectURLs are the only redirectUrl values OAuth accepts, compared
	// exactly (-redirect-url, repeatable).
	RedirectURLs []string
	// OIDC are generic OpenID Connect providers (-oidc, repeatable).
	OIDC []oidcProviderConfig
	// IPLimit is the per-client-IP limit spec, "create=100/m,signin=300/m"
	// (-ip-limit).
	IPLimit string
	// Postgres and Redis select a real store (-postgres, -redis); see stores.go.
	Postgres string
	Redis    string

	// Twilio sends SMS for real when all three are set.
	TwilioAccountSID string
	TwilioAuthToken  string
	TwilioFrom       string
	// SMTP sends email for real when SMTPAddr and SMTPFrom are set.
	SMTPAddr     string
	SMTPFrom     string
	SMTPUsername string
	SMTPPassword string

	// Captcha is the captcha provider that OTP create/retry and OAuth
	// signIn must pass (-captcha): turnstile, hcaptcha, recaptcha-v2 or
	// recaptcha-v3; empty (or "none") means no captcha check.
	Captcha string
	// CaptchaSecret is the provider's server-side secret (-captcha-secret),
	// required with Captcha.
	CaptchaSecret string
	// CaptchaEndpoint overrides the provider's siteverify URL
	// (-captcha-endpoint), for tests and self-hosted fakes; https, or http
	// on a loopback host.
	CaptchaEndpoint string
	// CaptchaSiteKey is the provider's public site key (-captcha-site-key),
	// served in GET settings for the SDK's captcha widget.
	CaptchaSiteKey string
	// CaptchaMinScore is the lowest reCAPTCHA v3 score accepted
	// (-captcha-min-score), in (0, 1]; 0 means captcha.DefaultMinScore.
	CaptchaMinScore float64

	// RPID is the WebAuthn relying party id of the passkey routes (-rp-id);
	// empty means the issuer's host ("localhost" for a loopback address,
	// which cannot be an RP ID).
	RPID string
	// RPOrigins are the origins whose passkey ceremonies are accepted
	// (-rp-origin, repeatable); empty means the issuer's origin (with
	// localhost for a loopback address) and the -cors-origin values.
	RPOrigins []string
	// RPName is the relying party's display name (-rp-name).
	RPName string
	// RPRelated are further RP IDs a client may pick with
	// relatedOriginRpId (-rp-related, repeatable): "id=origin[,origin…]".
	RPRelated []string

	// Secret is the master secret the service keys are derived from
	// (secrets.go), hex or base64 of at least 32 bytes (-secret); empty
	// means a random one for this run.
	Secret string

	// Pprof is the loopback address of a separate net/http/pprof listener
	// (-pprof); empty means off. See pprof.go.
	Pprof string

	// LogLevel is the minimum slog level: debug, info, warn or error.
	LogLevel string
	// ShutdownTimeout bounds graceful shutdown.
	ShutdownTimeout time.Duration
}

// oidcProviderConfig is one -oidc value:
// name=…,issuer=…,client_id=…,client_secret=….
type oidcProviderConfig struct {
	Name         string
	Issuer       string
	ClientID     string
	ClientSecret string
}

// defaultIPLimit is the -ip-limit default: the sign-in buckets plus the OAuth
// state buckets (limits.go).
const defaultIPLimit = "create=100/m,signin=300/m,oauth=300/m,oauth-states=60/10m"

// defaultConfig returns the configuration of `go run ./examples/server`
// with no flags, except that Env is left empty (parseConfig draws one).
func defaultConfig() config {
	return config{
		Addr:            "127.0.0.1:8080",
		Dev:             true,
		IPLimit:         defaultIPLimit,
		LogLevel:        "info",
		ShutdownTimeout: 4 * time.Second, // leaves room for Close within a 5 s shutdown budget
	}
}

// hasSMSSender reports whether a real SMS sender is configured.
func (c config) hasSMSSender() bool {
	return c.TwilioAccountSID != "" && c.TwilioAuthToken != "" && c.TwilioFrom != ""
}

// hasEmailSender reports whether a real email sender is configured.
func (c config) hasEmailSender() bool { return c.SMTPAddr != "" && c.SMTPFrom != "" }

// stringsFlag is a repeatable string flag.
type stringsFlag struct{ v *[]string }

func (f stringsFlag) String() string {
	if f.v == nil {
		return ""
	}
	return strings.Join(*f.v, " ")
}

func (f stringsFlag) Set(s string) error {
	*f.v = append(*f.v, s)
	return nil
}

// optBool is a boolean flag that remembers whether it was given, so that
// -dev can default to what the rest of the configuration suggests.
type optBool struct {
	v   bool
	set bool
}

func (b *optBool) String() string   { return strconv.FormatBool(b.v) }
func (b *optBool) IsBoolFlag() bool { return true }
func (b *optBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.v, b.set = v, true
	return nil
}

// oidcFlag is the repeatable -oidc flag.
type oidcFlag struct{ v *[]oidcProviderConfig }

func (f oidcFlag) String() string {
	if f.v == nil {
		return ""
	}
	names := make([]string, len(*f.v))
	for i, p := range *f.v {
		names[i] = p.Name // never the secret
	}
	return strings.Join(names, " ")
}

func (f oidcFlag) Set(s string) error {
	p, err := parseOIDCFlag(s)
	if err != nil {
		return err
	}
	*f.v = append(*f.v, p)
	return nil
}

// parseOIDCFlag reads name=…,issuer=…,client_id=…,client_secret=….
func parseOIDCFlag(s string) (oidcProviderConfig, error) {
	var p oidcProviderConfig
	for item := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return p, fmt.Errorf("oidc: %q: want key=value", item)
		}
		switch k {
		case "name":
			p.Name = v
		case "issuer":
			p.Issuer = v
		case "client_id":
			p.ClientID = v
		case "client_secret":
			p.ClientSecret = v
		default:
			return p, fmt.Errorf("oidc: unknown key %q (want name, issuer, client_id, client_secret)", k)
		}
	}
	if p.Name == "" || p.Issuer == "" || p.ClientID == "" {
		return p, errors.New("oidc: name, issuer and client_id are required")
	}
	if !isProviderName(p.Name) {
		return p, fmt.Errorf("oidc: name %q: want 1-64 letters, digits, '-' or '_'", p.Name)
	}
	return p, nil
}

// isProviderName reports whether s can be a {type} path segment.
func isProviderName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// envName is the environment variable read for a flag: AUTHKIT_ and the
// flag name upper-cased with '-' as '_' (-cors-origin → AUTHKIT_CORS_ORIGIN).
func envName(flagName string) string {
	return "AUTHKIT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// repeatable lists the flags whose environment variable holds several
// values separated by spaces.
var repeatable = map[string]bool{"cors-origin": true, "redirect-url": true, "oidc": true, "rp-origin": true, "rp-related": true}

// parseConfig reads flags from args and, for every flag not given on the
// command line, the AUTHKIT_* variable from getenv. Flags win over the
// environment.
func parseConfig(args []string, getenv func(string) string, usage io.Writer) (config, error) {
	c := defaultConfig()
	var dev optBool
	fs := flag.NewFlagSet("authkit-server", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	fs.StringVar(&c.Env, "env", "", "environment id served under /api/v0/sdk/{env} (default: a random UUIDv4)")
	fs.Var(&dev, "dev", "development mode: codes to the log and /dev/messages, fake OAuth provider (default: true only on a loopback -addr with no -oidc, -postgres, -redis, Twilio or SMTP)")
	fs.BoolVar(&c.DevAllowRemote, "dev-allow-remote", false, "allow development mode on a non-loopback -addr (anyone who reaches it can sign in as anyone)")
	fs.StringVar(&c.Issuer, "issuer", "", "iss of every token (default: http://{listening address}/api/v0/sdk/{env})")
	fs.StringVar(&c.SigningKeyFile, "signing-key", "", "PEM file of the signing key (ES256, EdDSA or RS256; default: generated)")
	fs.BoolVar(&c.CookieAuth, "cookie-auth", false, "cookie mode: tokens in an HttpOnly cookie instead of the body")
	fs.BoolVar(&c.RequireDeviceSignature, "require-device-signature", false, "refuse sign-ins and refreshes without a device signature (header mode only)")
	fs.Var(stringsFlag{&c.CORSOrigins}, "cors-origin", "allowed browser origin (repeatable)")
	fs.Var(stringsFlag{&c.RedirectURLs}, "redirect-url", "allowed OAuth redirectUrl, exact match (repeatable)")
	fs.Var(oidcFlag{&c.OIDC}, "oidc", "generic OIDC provider name=…,issuer=…,client_id=…,client_secret=… (repeatable)")
	fs.StringVar(&c.IPLimit, "ip-limit", c.IPLimit, "per-client-IP limits: create (OTP create/retry), signin (code checks, sign-ins), oauth (OAuth state routes), oauth-states (OAuth sign-ins started per StateTTL)")
	fs.StringVar(&c.Postgres, "postgres", "", "PostgreSQL DSN for the stores (default: in memory)")
	fs.StringVar(&c.Redis, "redis", "", "Redis URL for the stores (default: in memory)")
	fs.StringVar(&c.TwilioAccountSID, "twilio-account-sid", "", "Twilio account SID (SMS sender)")
	fs.StringVar(&c.TwilioAuthToken, "twilio-auth-token", "", "Twilio auth token; prefer AUTHKIT_TWILIO_AUTH_TOKEN")
	fs.StringVar(&c.TwilioFrom, "twilio-from", "", "Twilio sender number or messaging service SID")
	fs.StringVar(&c.SMTPAddr, "smtp-addr", "", "SMTP server host:port (email sender)")
	fs.StringVar(&c.SMTPFrom, "smtp-from", "", "From address of code emails")
	fs.StringVar(&c.SMTPUsername, "smtp-username", "", "SMTP username")
	fs.StringVar(&c.SMTPPassword, "smtp-password", "", "SMTP password; prefer AUTHKIT_SMTP_PASSWORD")
	fs.StringVar(&c.Captcha, "captcha", "", "captcha on OTP create/retry and OAuth signIn: turnstile, hcaptcha, recaptcha-v2 or recaptcha-v3 (default: none)")
	fs.StringVar(&c.CaptchaSecret, "captcha-secret", "", "captcha provider secret, required with -captcha; prefer AUTHKIT_CAPTCHA_SECRET")
	fs.StringVar(&c.CaptchaEndpoint, "captcha-endpoint", "", "captcha siteverify URL override, for tests and self-hosted fakes (default: the provider's)")
	fs.StringVar(&c.CaptchaSiteKey, "captcha-site-key", "", "captcha provider's public site key, served in GET settings")
	fs.StringVar(&c.RPID, "rp-id", "", "WebAuthn RP ID of the passkey routes (default: the issuer's host; localhost for a loopback address)")
	fs.Var(stringsFlag{&c.RPOrigins}, "rp-origin", "origin allowed in passkey ceremonies (repeatable; default: the issuer's origin and -cors-origin)")
	fs.StringVar(&c.RPName, "rp-name", "authkit", "relying party name shown by authenticators")
	fs.Var(stringsFlag{&c.RPRelated}, "rp-related", "another RP ID clients may ask for with relatedOriginRpId: id=origin[,origin…] (repeatable)")
	fs.Float64Var(&c.CaptchaMinScore, "captcha-min-score", 0, "lowest reCAPTCHA v3 score accepted, in (0, 1] (default: 0.5; recaptcha-v3 only)")
	fs.StringVar(&c.Secret, "secret", "", "master secret, hex or base64 of >= 32 bytes; prefer AUTHKIT_SECRET (default: random per run)")
	fs.StringVar(&c.Pprof, "pprof", "", "serve net/http/pprof on this loopback address, a listener of its own (default: off)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || getenv == nil || envErr != nil {
			return
		}
		v := getenv(envName(f.Name))
		if v == "" {
			return
		}
		vals := []string{v}
		if repeatable[f.Name] {
			vals = strings.Fields(v)
		}
		for _, x := range vals {
			if err := fs.Set(f.Name, x); err != nil {
				envErr = fmt.Errorf("%s: %w", envName(f.Name), err)
				return
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if err := c.resolveDevMode(dev.v, dev.set); err != nil {
		return c, err
	}
	if c.Env == "" {
		id, err := newUUID()
		if err != nil {
			return c, err
		}
		c.Env = id
	}
	if err := c.validate(); err != nil {
		return c, err
	}
	return c, nil
}

// validate checks what can be checked before anything is built.
func (c config) validate() error {
	if !isEnvironmentID(c.Env) {
		return fmt.Errorf("-env %q: want a lower-case UUID", c.Env)
	}
	if c.RequireDeviceSignature && c.CookieAuth {
		// Dynamic's SDK never signs requests in cookie mode.
		return errors.New("-require-device-signature cannot be used with -cookie-auth")
	}
	if _, err := parseLogLevel(c.LogLevel); err != nil {
		return err
	}
	if err := c.validatePprof(); err != nil {
		return err
	}
	for _, o := range c.CORSOrigins {
		if o == "*" || !strings.Contains(o, "://") || strings.HasSuffix(o, "/") {
			return fmt.Errorf("-cors-origin %q: want an exact origin like https://app.example.com", o)
		}
	}
	for _, u := range c.RedirectURLs {
		if !strings.Contains(u, "://") {
			return fmt.Errorf("-redirect-url %q: want an absolute URL", u)
		}
	}
	seen := map[string]bool{}
	for _, p := range c.OIDC {
		if seen[p.Name] {
			return fmt.Errorf("-oidc %q given twice", p.Name)
		}
		seen[p.Name] = true
	}
	if _, err := c.newCaptcha(nil); err != nil {
		return err
	}
	return nil
}

// isEnvironmentID reports whether s matches the environment id pattern of
// Dynamic's API: a lower-case 8-4-4-4-12 hex UUID.
func isEnvironmentID(s string) bool {
	return isUUID(s) && strings.ToLower(s) == s
}
