package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/authkit/authkit/verification"
)

// outboxMessage is one message the development outbox was given, in the
// JSON form of GET /dev/messages.
type outboxMessage struct {
	Channel verification.Channel `json:"channel"`
	To      string               `json:"to"` // E.164 or email address
	Code    string               `json:"code"`
	SentAt  time.Time            `json:"sentAt"`
}

// devOutbox is the development mode's Sender: it delivers nothing, logs
// each message (the masked destination and, since it runs only in
// development, the code) and keeps the newest messages for
// GET /dev/messages. It is safe for concurrent use.
type devOutbox struct {
	log *slog.Logger     // nil = no logging
	dev bool             // log the code too
	max int              // messages kept; the oldest go first
	now func() time.Time // stamps SentAt

	mu  sync.Mutex
	box []outboxMessage
}

// newDevOutbox returns an outbox of at most 1000 messages (max ≤ 0) or
// max. A nil now is time.Now.
func newDevOutbox(log *slog.Logger, dev bool, max int, now func() time.Time) *devOutbox {
	if max <= 0 {
		max = 1000
	}
	if now == nil {
		now = time.Now
	}
	return &devOutbox{log: log, dev: dev, max: max, now: now}
}

// Send implements verification.Sender. It never fails.
func (d *devOutbox) Send(ctx context.Context, m verification.Message) error {
	msg := outboxMessage{Channel: m.Channel, To: m.To, Code: m.Code, SentAt: d.now()}
	d.mu.Lock()
	if len(d.box) >= d.max {
		n := copy(d.box, d.box[len(d.box)-d.max+1:])
		d.box = d.box[:n]
	}
	d.box = append(d.box, msg)
	d.mu.Unlock()
	if d.log != nil {
		// The Service always sets MaskedTo; the full destination is never logged.
		attrs := []slog.Attr{
			slog.String("channel", string(m.Channel)),
			slog.String("to", m.MaskedTo),
			slog.String("verification_id", m.VerificationID),
		}
		if d.dev {
			attrs = append(attrs, slog.String("code", m.Code))
		}
		d.log.LogAttrs(ctx, slog.LevelInfo, "verification code sent", attrs...)
	}
	return nil
}

// Messages returns the outbox, oldest first: every message if to is empty,
// otherwise those sent to exactly that destination.
func (d *devOutbox) Messages(to string) []outboxMessage {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []outboxMessage{}
	for _, m := range d.box {
		if to == "" || m.To == to {
			out = append(out, m)
		}
	}
	return out
}
