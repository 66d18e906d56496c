package verification_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/verification"
)

// Twilio's error messages quote the 'To' number ("The 'To' number
// +15005550001 is not a valid phone number."). The error string, and the
// service's log line that carries it, must not.
func TestTwilioErrorHidesNumber(t *testing.T) {
	s, _ := newTwilio(t, nil)
	for to := range twilioErrors {
		err := s.Send(context.Background(), verification.Message{To: to, Code: "123456"})
		if err == nil {
			t.Fatalf("%s: no error", to)
		}
		msg := err.Error()
		if strings.Contains(msg, strings.TrimPrefix(to, "+")) || strings.Contains(msg, "123456") {
			t.Errorf("%s: error reveals the number or code: %s", to, msg)
		}
	}
}

func TestTwilioErrorNotLoggedInFull(t *testing.T) {
	// Twilio's magic test numbers are not valid for libphonenumber, so this
	// fake refuses a valid number and quotes it, as Twilio does.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"code": 21211, "message": "The 'To' number `+r.PostForm.Get("To")+` is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`)
	}))
	defer srv.Close()
	tw, err := verification.NewTwilioSender(verification.TwilioConfig{AccountSID: "AC123", AuthToken: "token-secret", From: "+15005550006", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	svc, err := verification.New(verification.Config{
		Store: verification.NewMemoryStore(), SMS: tw, HashKeys: [][]byte{secret1}, Now: clock.NewFake(t0).Now,
		Logger: slog.New(slog.NewJSONHandler(&buf, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Start(context.Background(), smsReq(t))
	if !errors.Is(err, verification.ErrInvalidDestination) {
		t.Fatalf("Start = %v, want ErrInvalidDestination", err)
	}
	if strings.Contains(err.Error(), "9172113333") {
		t.Errorf("Start's error reveals the number: %v", err)
	}
	if strings.Contains(buf.String(), "9172113333") || !strings.Contains(buf.String(), "3333") {
		t.Errorf("log reveals the number (or lost the masked one):\n%s", buf.String())
	}
}

// The auth token travels as basic auth and the code in the body: neither
// may cross the network in clear, nor follow a redirect to another server.
func TestTwilioCredentialsStayOnTLS(t *testing.T) {
	for _, base := range []string{"http://api.twilio.com", "http://10.0.0.1:8080", "http://localhost.evil.test"} {
		if _, err := verification.NewTwilioSender(verification.TwilioConfig{AccountSID: "AC1", AuthToken: "t", From: "+1", BaseURL: base}); err == nil {
			t.Errorf("NewTwilioSender accepted plain-http BaseURL %q", base)
		}
	}
	var hit atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit.Store(true) }))
	defer other.Close()
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redir.Close()
	s, err := verification.NewTwilioSender(verification.TwilioConfig{AccountSID: "AC1", AuthToken: "t", From: "+1", BaseURL: redir.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), verification.Message{To: usNumber, Code: "123456"}); !errors.Is(err, verification.ErrSendFailed) {
		t.Fatalf("Send through a redirect = %v, want ErrSendFailed", err)
	}
	if hit.Load() {
		t.Fatal("the request (code and credentials) followed a redirect to another server")
	}
}

// A Sender (the host's own, or a wrapper) that logs or prints the Message
// it was given must not leak the code or the full destination.
func TestMessageLogsMasked(t *testing.T) {
	m := verification.Message{Channel: verification.ChannelSMS, To: "+19172113333", MaskedTo: "+1 *** *** 3333", Code: "480213", VerificationID: "v-1"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("sending", "msg", m)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("sending", "msg", m)
	for _, out := range []string{buf.String(), fmt.Sprint(m), fmt.Sprintf("%+v", m), fmt.Sprintf("%#v", m), fmt.Sprintf("%v", &m)} {
		if strings.Contains(out, "480213") || strings.Contains(out, "9172113333") {
			t.Errorf("Message printed with its code or full number: %s", out)
		}
		if !strings.Contains(out, "3333") {
			t.Errorf("Message printed without its masked destination: %s", out)
		}
	}
}

// A provider may quote the number or the code in a spelling other than the
// one sent ("(917) 211-3333", "123 456"). Neither the error nor the log
// line may carry it, while Twilio's error code survives as a number.
func TestTwilioErrorHidesOtherSpellings(t *testing.T) {
	for _, quoted := range []string{"(917) 211-3333", "917.211.3333", "+1 917 211 3333", "917-211-3333", "1 (917) 211 3333"} {
		t.Run(quoted, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"code": 21211, "message": "The 'To' number `+quoted+` is not a valid phone number (ref 123 456).", "status": 400}`)
			}))
			defer srv.Close()
			tw, err := verification.NewTwilioSender(verification.TwilioConfig{AccountSID: "AC123", AuthToken: "token-secret", From: "+15005550006", BaseURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			// The timestamp and the random verification id would match the
			// digit checks below by chance ("…091123Z"): leave them out.
			noRandom := func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey || a.Key == "verification_id" {
					return slog.Attr{}
				}
				return a
			}
			svc, err := verification.New(verification.Config{
				Store: verification.NewMemoryStore(), SMS: tw, HashKeys: [][]byte{secret1}, Now: clock.NewFake(t0).Now,
				Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noRandom})),
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = svc.Start(context.Background(), smsReq(t))
			var te *verification.TwilioError
			if !errors.As(err, &te) || te.Code != 21211 {
				t.Fatalf("Start = %v; want a *TwilioError with code 21211", err)
			}
			for _, out := range []string{err.Error(), te.Message, buf.String()} {
				// "21211" is Twilio's error code and "3333" the masked number's tail.
				if strings.Contains(out, "917") || strings.Contains(out, " 211") || strings.Contains(out, ")211") || strings.Contains(out, "123") {
					t.Errorf("number or reference leaked: %s", out)
				}
			}
			if !strings.Contains(te.Message, "is not a valid phone number") {
				t.Errorf("TwilioError.Message lost its text: %q", te.Message)
			}
			if !strings.Contains(buf.String(), "is not a valid phone number") {
				t.Errorf("the failure was not logged: %q", buf.String())
			}
		})
	}
}
