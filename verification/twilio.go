package verification

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TwilioConfig configures a TwilioSender.
type TwilioConfig struct {
	// AccountSID is the account ("AC…"). Required.
	AccountSID string
	// AuthToken is the account's auth token, used as the basic-auth
	// password with AccountSID. Required unless APIKeySID and APIKeySecret
	// are set.
	AuthToken string
	// APIKeySID and APIKeySecret, when both set, authenticate instead of
	// AccountSID and AuthToken (Twilio's recommended credentials).
	APIKeySID    string
	APIKeySecret string
	// From is the sending number (E.164) or alphanumeric sender id. One of
	// From and MessagingServiceSID is required.
	From string
	// MessagingServiceSID ("MG…") sends through a messaging service, which
	// picks the number.
	MessagingServiceSID string
	// BaseURL is the API root. "" = https://api.twilio.com. It must be
	// https, except on a loopback host (tests point it at a fake).
	BaseURL string
	// HTTPClient makes the requests. nil = a client with Timeout that does
	// not follow redirects.
	HTTPClient *http.Client
	// Timeout bounds each request when HTTPClient is nil. 0 = 10 s.
	Timeout time.Duration
	// Text renders the SMS body. nil = DefaultText.
	Text func(Message) string
}

// TwilioSender sends SMS through Twilio's Programmable Messaging API: a
// form-encoded POST to /2010-04-01/Accounts/{AccountSid}/Messages.json with
// basic auth. It is safe for concurrent use.
type TwilioSender struct {
	cfg      TwilioConfig
	endpoint string
	user     string
	pass     string
	client   *http.Client
}

// NewTwilioSender validates cfg and returns a TwilioSender.
func NewTwilioSender(cfg TwilioConfig) (*TwilioSender, error) {
	if cfg.AccountSID == "" {
		return nil, errors.New("verification: twilio: AccountSID is required")
	}
	s := &TwilioSender{cfg: cfg, user: cfg.AccountSID, pass: cfg.AuthToken}
	if cfg.APIKeySID != "" || cfg.APIKeySecret != "" {
		if cfg.APIKeySID == "" || cfg.APIKeySecret == "" {
			return nil, errors.New("verification: twilio: APIKeySID and APIKeySecret go together")
		}
		s.user, s.pass = cfg.APIKeySID, cfg.APIKeySecret
	}
	if s.pass == "" {
		return nil, errors.New("verification: twilio: AuthToken (or an API key) is required")
	}
	if cfg.From == "" && cfg.MessagingServiceSID == "" {
		return nil, errors.New("verification: twilio: From or MessagingServiceSID is required")
	}
	base := cfg.BaseURL
	if base == "" {
		base = "https://api.twilio.com"
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("verification: twilio: bad BaseURL %q", base)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		// Basic auth and the code would cross the network in clear.
		return nil, fmt.Errorf("verification: twilio: BaseURL must be https (plain http only on loopback): %q", base)
	}
	s.endpoint = strings.TrimRight(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json"
	s.client = cfg.HTTPClient
	if s.client == nil {
		t := cfg.Timeout
		if t <= 0 {
			t = 10 * time.Second
		}
		s.client = &http.Client{
			Timeout: t,
			// The body holds the code: never re-send it elsewhere. A
			// redirect is answered as a TwilioError.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if s.cfg.Text == nil {
		s.cfg.Text = DefaultText
	}
	return s, nil
}

// TwilioError is an error answer from Twilio's API: its JSON {code, message,
// more_info, status}. It unwraps to ErrSendFailed and, where the code says
// the destination is at fault, to ErrInvalidDestination or
// ErrDestinationRejected.
type TwilioError struct {
	// Status is the HTTP status.
	Status int
	// Code is Twilio's error code (21211, 21610, …); 0 if the body had none.
	Code int
	// Message is Twilio's human-readable message, with the destination and
	// any other number of five or more digits in any spelling ("(917)
	// 211-3333", "123 456") hidden, since Twilio quotes the 'To' number
	// ("The 'To' number +1… is not a valid phone number.") and errors end
	// up in logs. A 5-digit error code in the text is hidden too; Code
	// keeps it.
	Message string
	// MoreInfo is the URL of the error's documentation.
	MoreInfo string
	// RetryAfter is the Retry-After header of a 429 answer, if any.
	RetryAfter time.Duration
}

// Error implements error.
func (e *TwilioError) Error() string {
	s := fmt.Sprintf("verification: twilio: HTTP %d", e.Status)
	if e.Code != 0 {
		s += fmt.Sprintf(", error %d", e.Code)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns ErrSendFailed and the typed error Code maps to.
func (e *TwilioError) Unwrap() []error {
	errs := []error{ErrSendFailed}
	switch e.Code {
	// Invalid 'To' number; not a valid phone number; not a mobile number.
	case 21211, 21217, 21401, 21614:
		errs = append(errs, ErrInvalidDestination)
	// Region not enabled; unreachable by SMS; recipient unsubscribed (STOP);
	// the carrier or Twilio filtered it.
	case 21408, 21612, 21610, 30007:
		errs = append(errs, ErrDestinationRejected)
	}
	return errs
}

// Temporary reports whether retrying later may succeed (429 or 5xx).
func (e *TwilioError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Send implements Sender.
func (s *TwilioSender) Send(ctx context.Context, m Message) error {
	if m.To == "" || strings.ContainsAny(m.To, "\r\n") {
		return fmt.Errorf("%w: %w: twilio: empty or malformed To", ErrSendFailed, ErrInvalidDestination)
	}
	form := url.Values{}
	form.Set("To", m.To)
	if s.cfg.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", s.cfg.MessagingServiceSID)
	} else {
		form.Set("From", s.cfg.From)
	}
	form.Set("Body", s.cfg.Text(m))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("%w: twilio: %w", ErrSendFailed, err)
	}
	req.SetBasicAuth(s.user, s.pass)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: twilio: %w", ErrSendFailed, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("%w: twilio: reading answer: %w", ErrSendFailed, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	te := &TwilioError{Status: resp.StatusCode}
	var wire struct {
		Code     int    `json:"code"`
		Message  string `json:"message"`
		MoreInfo string `json:"more_info"`
	}
	if json.Unmarshal(body, &wire) == nil {
		te.Code, te.Message, te.MoreInfo = wire.Code, redact(wire.Message, m), wire.MoreInfo
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if n, err := strconv.Atoi(ra); err == nil && n >= 0 {
			te.RetryAfter = time.Duration(n) * time.Second
		}
	}
	return te
}

// isLoopback reports whether host is "localhost" or a loopback address.
func isLoopback(host string) bool {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.IsLoopback()
	}
	return host == "localhost"
}
