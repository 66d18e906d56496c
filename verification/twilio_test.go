package verification_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/verification"
)

// twilioFake answers like Programmable Messaging: the documented 201 body
// for a queued message, or the documented error body for known numbers.
type twilioFake struct {
	mu       sync.Mutex
	requests []*http.Request
	forms    []url.Values
}

// Error bodies as Twilio documents them (status, code, message, more_info).
var twilioErrors = map[string]struct {
	status int
	body   string
	header map[string]string
}{
	"+15005550001": {400, `{"code": 21211, "message": "The 'To' number +15005550001 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`, nil},
	"+15005550004": {400, `{"code": 21610, "message": "Attempt to send to unsubscribed recipient", "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400}`, nil},
	"+15005550009": {400, `{"code": 21614, "message": "'To' number is not a valid mobile number", "more_info": "https://www.twilio.com/docs/errors/21614", "status": 400}`, nil},
	"+15005550002": {400, `{"code": 21408, "message": "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: +15005550002.", "more_info": "https://www.twilio.com/docs/errors/21408", "status": 400}`, nil},
	"+15005550401": {401, `{"code": 20003, "detail": "Your AccountSid or AuthToken was incorrect.", "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`, nil},
	"+15005550429": {429, `{"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}`, map[string]string{"Retry-After": "7"}},
	"+15005550500": {503, `<html>Service Unavailable</html>`, nil},
}

func (f *twilioFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	f.mu.Lock()
	f.requests = append(f.requests, r)
	f.forms = append(f.forms, form)
	f.mu.Unlock()
	if e, ok := twilioErrors[form.Get("To")]; ok {
		for k, v := range e.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.status)
		io.WriteString(w, e.body)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, `{"account_sid": "ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "api_version": "2010-04-01", "body": "`+form.Get("Body")+`", "date_created": "Sun, 22 Nov 2026 18:00:00 +0000", "direction": "outbound-api", "error_code": null, "error_message": null, "from": "+15005550006", "num_segments": "1", "price": null, "sid": "SMxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "status": "queued", "to": "`+form.Get("To")+`", "uri": "/2010-04-01/Accounts/ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/Messages/SMxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.json"}`)
}

func newTwilio(t *testing.T, mod func(*verification.TwilioConfig)) (*verification.TwilioSender, *twilioFake) {
	t.Helper()
	fake := &twilioFake{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg := verification.TwilioConfig{AccountSID: "AC123", AuthToken: "token-secret", From: "+15005550006", BaseURL: srv.URL}
	if mod != nil {
		mod(&cfg)
	}
	s, err := verification.NewTwilioSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, fake
}

func TestTwilioSend(t *testing.T) {
	s, fake := newTwilio(t, nil)
	msg := verification.Message{Channel: verification.ChannelSMS, To: usNumber, Code: "123456", TTL: 10 * time.Minute}
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r, form := fake.requests[0], fake.forms[0]
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/AC123/Messages.json" {
		t.Fatalf("request %s %s", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Fatalf("Content-Type %q", ct)
	}
	if u, p, ok := r.BasicAuth(); !ok || u != "AC123" || p != "token-secret" {
		t.Fatalf("basic auth %q %q %v", u, p, ok)
	}
	if form.Get("To") != usNumber || form.Get("From") != "+15005550006" || form.Get("Body") != "Your verification code is 123456. It expires in 10 minutes." {
		t.Fatalf("form %v", form)
	}
}

func TestTwilioConfigVariants(t *testing.T) {
	s, fake := newTwilio(t, func(c *verification.TwilioConfig) {
		c.From, c.MessagingServiceSID = "", "MG999"
		c.APIKeySID, c.APIKeySecret = "SK1", "key-secret"
		c.Text = func(m verification.Message) string { return "code: " + m.Code }
	})
	if err := s.Send(context.Background(), verification.Message{To: usNumber, Code: "000111"}); err != nil {
		t.Fatal(err)
	}
	form := fake.forms[0]
	if form.Get("MessagingServiceSid") != "MG999" || form.Has("From") || form.Get("Body") != "code: 000111" {
		t.Fatalf("form %v", form)
	}
	if u, p, _ := fake.requests[0].BasicAuth(); u != "SK1" || p != "key-secret" {
		t.Fatalf("basic auth %q %q", u, p)
	}
	bad := []verification.TwilioConfig{
		{AuthToken: "t", From: "+1"},
		{AccountSID: "AC1", From: "+1"},
		{AccountSID: "AC1", AuthToken: "t"},
		{AccountSID: "AC1", APIKeySID: "SK1", From: "+1"},
		{AccountSID: "AC1", AuthToken: "t", From: "+1", BaseURL: "ftp://x"},
	}
	for _, c := range bad {
		if _, err := verification.NewTwilioSender(c); err == nil {
			t.Errorf("NewTwilioSender(%+v) accepted", c)
		}
	}
}

func TestTwilioErrors(t *testing.T) {
	s, _ := newTwilio(t, nil)
	tests := []struct {
		to     string
		status int
		code   int
		is     error // besides ErrSendFailed; nil = none
		temp   bool
	}{
		{"+15005550001", 400, 21211, verification.ErrInvalidDestination, false},
		{"+15005550009", 400, 21614, verification.ErrInvalidDestination, false},
		{"+15005550004", 400, 21610, verification.ErrDestinationRejected, false},
		{"+15005550002", 400, 21408, verification.ErrDestinationRejected, false},
		{"+15005550401", 401, 20003, nil, false},
		{"+15005550429", 429, 20429, nil, true},
		{"+15005550500", 503, 0, nil, true},
	}
	for _, tc := range tests {
		err := s.Send(context.Background(), verification.Message{To: tc.to, Code: "123456"})
		var te *verification.TwilioError
		if !errors.As(err, &te) || !errors.Is(err, verification.ErrSendFailed) {
			t.Fatalf("%s: %v (%T)", tc.to, err, err)
		}
		if te.Status != tc.status || te.Code != tc.code || te.Temporary() != tc.temp {
			t.Fatalf("%s: %+v", tc.to, te)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Fatalf("%s: %v is not %v", tc.to, err, tc.is)
		}
		for _, other := range []error{verification.ErrInvalidDestination, verification.ErrDestinationRejected} {
			if other != tc.is && errors.Is(err, other) {
				t.Fatalf("%s: %v is also %v", tc.to, err, other)
			}
		}
		if tc.code != 0 && (te.Message == "" || !strings.HasSuffix(te.MoreInfo, "/errors/"+strconv.Itoa(tc.code))) {
			t.Fatalf("%s: message/more_info lost: %+v", tc.to, te)
		}
		if strings.Contains(err.Error(), "token-secret") {
			t.Fatal("error reveals the auth token")
		}
	}
	var te *verification.TwilioError
	_ = errors.As(s.Send(context.Background(), verification.Message{To: "+15005550429", Code: "1"}), &te)
	if te.RetryAfter != 7*time.Second {
		t.Fatalf("RetryAfter = %v", te.RetryAfter)
	}
}

func TestTwilioTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there any more
	s, err := verification.NewTwilioSender(verification.TwilioConfig{AccountSID: "AC1", AuthToken: "t", From: "+1", BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), verification.Message{To: usNumber, Code: "1"}); !errors.Is(err, verification.ErrSendFailed) {
		t.Fatalf("Send to a closed server = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s2, _ := newTwilio(t, nil)
	if err := s2.Send(ctx, verification.Message{To: usNumber, Code: "1"}); !errors.Is(err, verification.ErrSendFailed) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Send with a canceled context = %v", err)
	}
	if err := s2.Send(context.Background(), verification.Message{To: "", Code: "1"}); !errors.Is(err, verification.ErrInvalidDestination) {
		t.Fatalf("Send to nobody = %v", err)
	}
}
