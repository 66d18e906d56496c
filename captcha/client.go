package captcha

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by [New] to zero Config fields.
const (
	DefaultTimeout  = 5 * time.Second
	DefaultMinScore = 0.5
)

// MaxTokenLen is the longest token sent to a provider, in bytes. Real tokens
// are a few hundred to about two thousand characters (Turnstile documents
// 2048); anything longer is refused with ErrFailed, without a request.
const MaxTokenLen = 8192

// maxBody bounds how much of a response is read; siteverify answers are
// well under 1 KiB.
const maxBody = 64 << 10

// Config configures a [Client]. Provider and Secret are required.
type Config struct {
	// Provider is the captcha service. Required.
	Provider Provider
	// Secret is the server-side secret key for the site. Required; never
	// logged.
	Secret string
	// SiteKey, if set, is sent to hCaptcha (as "sitekey") so that a token
	// solved for another site is rejected. Ignored by other providers.
	SiteKey string
	// Endpoint overrides the provider's siteverify URL. It must be https,
	// except on a loopback host (for tests and local fakes).
	Endpoint string
	// Timeout bounds one verification, connection included. Zero means
	// DefaultTimeout (5 s).
	Timeout time.Duration
	// MinScore is the lowest reCAPTCHA v3 score accepted, in (0, 1]. Zero
	// means DefaultMinScore (0.5). Only valid with ReCaptchaV3.
	MinScore float64
	// ExpectedAction, if set, must equal the action in the response.
	// Only valid with Turnstile and ReCaptchaV3, whose responses carry it.
	ExpectedAction string
	// ExpectedHostname, if set, must equal (case-insensitively) the
	// hostname on which the challenge was solved.
	ExpectedHostname string
	// HTTPClient makes the requests. Nil means a client of this package
	// that does not follow redirects (a redirect is ErrUnavailable).
	HTTPClient *http.Client
	// Logger receives one record per failed verification (provider,
	// error codes, hostname, score; never the token or secret). Nil
	// means no logging.
	Logger *slog.Logger
}

// Client verifies tokens with one provider's siteverify API. It is safe
// for concurrent use.
type Client struct {
	cfg      Config
	endpoint string
	http     *http.Client
	log      *slog.Logger
}

// New validates cfg, applies defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.Provider.endpoint() == "" {
		return nil, fmt.Errorf("%w: unknown provider %q", ErrConfig, cfg.Provider)
	}
	if cfg.Secret == "" {
		return nil, fmt.Errorf("%w: Secret is required", ErrConfig)
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = cfg.Provider.endpoint()
	}
	if err := checkEndpoint(cfg.Endpoint); err != nil {
		return nil, err
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative Timeout", ErrConfig)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.MinScore != 0 && cfg.Provider != ReCaptchaV3:
		return nil, fmt.Errorf("%w: MinScore applies to %s only", ErrConfig, ReCaptchaV3)
	case cfg.MinScore < 0 || cfg.MinScore > 1 || cfg.MinScore != cfg.MinScore:
		return nil, fmt.Errorf("%w: MinScore must be in (0, 1]", ErrConfig)
	case cfg.MinScore == 0 && cfg.Provider == ReCaptchaV3:
		cfg.MinScore = DefaultMinScore
	}
	if cfg.ExpectedAction != "" && !cfg.Provider.hasAction() {
		return nil, fmt.Errorf("%w: %s responses carry no action to check", ErrConfig, cfg.Provider)
	}
	c := &Client{cfg: cfg, endpoint: cfg.Endpoint, http: cfg.HTTPClient, log: cfg.Logger}
	if c.http == nil {
		c.http = &http.Client{
			// The secret is in the body: never re-send it elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return c, nil
}

func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%w: Endpoint is not an absolute URL", ErrConfig)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip, err := netip.ParseAddr(host); (err == nil && ip.IsLoopback()) || host == "localhost" {
			return nil
		}
	}
	return fmt.Errorf("%w: Endpoint must use https (the secret travels in the request)", ErrConfig)
}

// siteverifyResponse is the union of the three providers' JSON answers.
type siteverifyResponse struct {
	Success    *bool    `json:"success"`
	ErrorCodes []string `json:"error-codes"`
	Hostname   string   `json:"hostname"`
	Action     string   `json:"action"` // Turnstile, reCAPTCHA v3
	Score      *float64 `json:"score"`  // reCAPTCHA v3 (hCaptcha Enterprise sends a risk score, unused)
}

// configErrorCodes mean the provider refused our request or secret, or
// failed itself: a server-side problem, reported as ErrUnavailable.
var configErrorCodes = map[string]bool{
	"missing-input-secret":    true,
	"invalid-input-secret":    true,
	"sitekey-secret-mismatch": true,
	"bad-request":             true,
	"internal-error":          true,
	"invalid-keys":            true,
}

// Verify implements [Verifier]: nil, or ErrMissingToken, ErrFailed or
// ErrUnavailable (wrapped with the reason, never the token). It sends one
// request and never retries: tokens are single-use.
func (c *Client) Verify(ctx context.Context, token, remoteIP string) error {
	if strings.TrimSpace(token) == "" {
		return ErrMissingToken
	}
	if len(token) > MaxTokenLen {
		return fmt.Errorf("%w: token longer than %d bytes", ErrFailed, MaxTokenLen)
	}
	form := url.Values{"secret": {c.cfg.Secret}, "response": {token}}
	if ip, ok := parseIP(remoteIP); ok {
		form.Set("remoteip", ip)
	}
	if c.cfg.Provider == HCaptcha && c.cfg.SiteKey != "" {
		form.Set("sitekey", c.cfg.SiteKey)
	}

	res, err := c.post(ctx, form)
	if err != nil {
		c.logFailure(ctx, err, nil)
		return err
	}
	if err := c.judge(res); err != nil {
		c.logFailure(ctx, err, res)
		return err
	}
	return nil
}

func (c *Client) post(ctx context.Context, form url.Values) (*siteverifyResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error names the endpoint and the cause, never the body.
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return nil, fmt.Errorf("%w: %s answered HTTP %d", ErrUnavailable, c.cfg.Provider, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading response: %w", ErrUnavailable, err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("%w: response larger than %d bytes", ErrUnavailable, maxBody)
	}
	var res siteverifyResponse
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, fmt.Errorf("%w: undecodable response: %v", ErrUnavailable, err)
	}
	if res.Success == nil {
		return nil, fmt.Errorf("%w: response has no success field", ErrUnavailable)
	}
	return &res, nil
}

// judge applies the provider's verdict and the configured expectations.
func (c *Client) judge(res *siteverifyResponse) error {
	if !*res.Success {
		codes := cleanCodes(res.ErrorCodes)
		for _, code := range codes {
			if configErrorCodes[code] {
				return fmt.Errorf("%w: %s refused the request: %s", ErrUnavailable, c.cfg.Provider, strings.Join(codes, ", "))
			}
		}
		if len(codes) == 0 {
			return fmt.Errorf("%w: rejected by %s", ErrFailed, c.cfg.Provider)
		}
		return fmt.Errorf("%w: rejected by %s: %s", ErrFailed, c.cfg.Provider, strings.Join(codes, ", "))
	}
	if h := c.cfg.ExpectedHostname; h != "" && !strings.EqualFold(h, res.Hostname) {
		return fmt.Errorf("%w: solved on hostname %q, want %q", ErrFailed, clean(res.Hostname), h)
	}
	if a := c.cfg.ExpectedAction; a != "" && a != res.Action {
		return fmt.Errorf("%w: action %q, want %q", ErrFailed, clean(res.Action), a)
	}
	if c.cfg.Provider == ReCaptchaV3 {
		if res.Score == nil {
			// A v2 token checked as v3, or a changed API: fail closed.
			return fmt.Errorf("%w: response has no score", ErrFailed)
		}
		if *res.Score < c.cfg.MinScore {
			return fmt.Errorf("%w: score %.2f below %.2f", ErrFailed, *res.Score, c.cfg.MinScore)
		}
	}
	return nil
}

func (c *Client) logFailure(ctx context.Context, err error, res *siteverifyResponse) {
	if c.log == nil {
		return
	}
	level := slog.LevelInfo
	if errors.Is(err, ErrUnavailable) {
		level = slog.LevelWarn // an outage or a misconfiguration, not a user mistake
	}
	attrs := []slog.Attr{slog.String("provider", string(c.cfg.Provider)), slog.String("error", err.Error())}
	if res != nil {
		attrs = append(attrs, slog.String("hostname", clean(res.Hostname)), slog.Any("error_codes", cleanCodes(res.ErrorCodes)))
		if res.Score != nil {
			attrs = append(attrs, slog.Float64("score", *res.Score))
		}
	}
	c.log.LogAttrs(ctx, level, "captcha verification failed", attrs...)
}

// parseIP accepts "203.0.113.7", "2001:db8::1" or an address with a port
// (as in http.Request.RemoteAddr) and returns the bare address. Anything
// else is not sent: the address is an optional signal, not worth failing on.
func parseIP(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().String(), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		return ip.Unmap().String(), true
	}
	return "", false
}

// cleanCodes keeps at most 8 error codes made of [a-z0-9-], so that a
// hostile or broken response cannot inject text into errors and logs.
func cleanCodes(codes []string) []string {
	var out []string
	for _, code := range codes {
		if len(out) == 8 {
			break
		}
		if code != "" && len(code) <= 64 && strings.Trim(code, "abcdefghijklmnopqrstuvwxyz0123456789-") == "" {
			out = append(out, code)
		}
	}
	return out
}

// clean truncates a provider-supplied string for messages and logs (which
// quote it).
func clean(s string) string {
	if len(s) > 253 {
		return s[:253]
	}
	return s
}
