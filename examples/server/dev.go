package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/authkit/authkit/verification"
)

// Development affordances, mounted only with -dev: the outbox of sent
// codes at /dev/messages, the fake OAuth provider under /dev/oauth/
// (oauth.go) and the demo page at /demo/ (demo.go). Without -dev none of
// these routes exist.

// devMessage is one entry of GET /dev/messages.
type devMessage struct {
	Channel string `json:"channel"`
	To      string `json:"to"`
	Code    string `json:"code"`
	SentAt  string `json:"sentAt"`
}

// devMessages is GET /dev/messages?to=DESTINATION: the codes sent to
// that destination (every destination without ?to=), oldest first.
func (s *server) devMessages(w http.ResponseWriter, r *http.Request) error {
	to := r.URL.Query().Get("to")
	if strings.HasPrefix(to, " ") {
		// An unencoded "+" in a query string arrives as a space.
		to = "+" + to[1:]
	}
	if strings.Contains(to, "@") {
		if e, err := verification.NormalizeEmail(to); err == nil {
			to = e
		}
	}
	msgs := s.devOutbox.Messages(to)
	out := make(devMessageList, len(msgs))
	for i, m := range msgs {
		out[i] = devMessage{Channel: string(m.Channel), To: m.To, Code: m.Code, SentAt: m.SentAt.UTC().Format(time.RFC3339)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// devRoutes mounts the development routes on the root mux.
func (s *server) devRoutes(mux *http.ServeMux) {
	mux.Handle("GET /dev/messages", s.handle(s.devMessages))
	if err := s.demoRoutes(mux); err != nil {
		// Only a demo file missing from the build; the API still works.
		s.log.Error("demo page not mounted", "err", err)
	}
	if s.fakeOAuth != nil {
		// The fake serves its endpoints under its issuer, /dev/oauth.
		fake := s.fakeOAuth.Handler()
		mux.Handle("/dev/oauth/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			infoOf(r.Context()).route = "/dev/oauth/"
			fake.ServeHTTP(w, r)
		}))
	}
}

// teeSender sends to the dev outbox and then to real, if any: in
// development mode with a real sender configured, codes are both delivered
// and listed.
func teeSender(dev *devOutbox, real verification.Sender) verification.Sender {
	if real == nil {
		return dev
	}
	return verification.SenderFunc(func(ctx context.Context, m verification.Message) error {
		return errors.Join(dev.Send(ctx, m), real.Send(ctx, m))
	})
}
