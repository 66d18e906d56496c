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

	mu sync.Mutex
	// ring holds the outbox: ring[(first+i)%len(ring)] is the i-th oldest
	// message once the ring is full, ring[i] before.
	ring  []outboxMessage
	first int
	// byTo indexes the ring by destination (positions, oldest first), so
	// that neither Send nor Messages(to) walks or shifts the whole outbox.
	byTo map[string][]int
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
	return &devOutbox{log: log, dev: dev, max: max, now: now, byTo: map[string][]int{}}
}

// Send implements verification.Sender. It never fails.
func (d *devOutbox) Send(ctx context.Context, m verification.Message) error {
	msg := outboxMessage{Channel: m.Channel, To: m.To, Code: m.Code, SentAt: d.now()}
	d.mu.Lock()
	pos := len(d.ring)
	if pos < d.max {
		d.ring = append(d.ring, msg)
	} else { // full: the oldest message makes room
		pos = d.first
		old := d.ring[pos].To
		if rest := d.byTo[old][1:]; len(rest) == 0 {
			delete(d.byTo, old)
		} else {
			d.byTo[old] = rest
		}
		d.ring[pos] = msg
		d.first = (d.first + 1) % len(d.ring)
	}
	d.byTo[msg.To] = append(d.byTo[msg.To], pos)
	d.mu.Unlock()
	if d.log != nil && d.log.Enabled(ctx, slog.LevelInfo) {
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
	if to != "" {
		out := make([]outboxMessage, 0, len(d.byTo[to]))
		for _, pos := range d.byTo[to] {
			out = append(out, d.ring[pos])
		}
		return out
	}
	out := make([]outboxMessage, 0, len(d.ring))
	for i := range d.ring {
		out = append(out, d.ring[(d.first+i)%len(d.ring)])
	}
	return out
}
