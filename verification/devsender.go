package verification

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DevSenderConfig configures a DevSender.
type DevSenderConfig struct {
	// Logger receives one line per message (channel, masked destination,
	// verification id). nil = no logging.
	Logger *slog.Logger
	// Dev adds the code itself to the log line. Development only: codes
	// must never reach production logs.
	Dev bool
	// MaxMessages bounds the outbox; the oldest messages are dropped first.
	// 0 = 1000.
	MaxMessages int
	// Now stamps SentAt. nil = time.Now.
	Now func() time.Time
}

// OutboxMessage is one message a DevSender was given. The JSON form is the
// one the reference server's /dev/messages returns.
type OutboxMessage struct {
	// Channel is the channel the message was sent on.
	Channel Channel `json:"channel"`
	// To is the full destination (E.164 or email address).
	To string `json:"to"`
	// Code is the one-time code: the outbox is for development only.
	Code string `json:"code"`
	// SentAt is when Send was called.
	SentAt time.Time `json:"sentAt"`
}

// DevSender is a Sender for development and tests: it delivers nothing, logs
// each message (masked destination; the code only when Dev is set) and keeps
// the messages in a bounded outbox that Messages lists. It is safe for
// concurrent use and works for both channels.
type DevSender struct {
	cfg DevSenderConfig
	mu  sync.Mutex
	// ring holds the outbox: ring[(first+i)%len(ring)] is the i-th oldest
	// message once the ring is full, ring[i] before.
	ring  []OutboxMessage
	first int
	// byTo indexes the ring by destination (positions, oldest first), so
	// that neither Send nor Messages(to) walks the whole outbox.
	byTo map[string][]int
}

// NewDevSender returns a DevSender.
func NewDevSender(cfg DevSenderConfig) *DevSender {
	if cfg.MaxMessages <= 0 {
		cfg.MaxMessages = 1000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &DevSender{cfg: cfg, byTo: map[string][]int{}}
}

// Send implements Sender. It never fails.
func (d *DevSender) Send(ctx context.Context, m Message) error {
	msg := OutboxMessage{Channel: m.Channel, To: m.To, Code: m.Code, SentAt: d.cfg.Now()}
	d.mu.Lock()
	pos := len(d.ring)
	if pos < d.cfg.MaxMessages {
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
	if d.cfg.Logger != nil && d.cfg.Logger.Enabled(ctx, slog.LevelInfo) {
		masked := m.MaskedTo
		if masked == "" {
			if m.Channel == ChannelEmail {
				masked = maskEmail(m.To)
			} else {
				masked = maskPhone(m.To, "")
			}
		}
		attrs := []slog.Attr{
			slog.String("channel", string(m.Channel)),
			slog.String("to", masked),
			slog.String("verification_id", m.VerificationID),
		}
		if d.cfg.Dev {
			attrs = append(attrs, slog.String("code", m.Code))
		}
		d.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "verification code sent", attrs...)
	}
	return nil
}

// Messages returns the outbox, oldest first: every message if to is empty,
// otherwise those sent to exactly that destination.
func (d *DevSender) Messages(to string) []OutboxMessage {
	d.mu.Lock()
	defer d.mu.Unlock()
	if to != "" {
		out := make([]OutboxMessage, 0, len(d.byTo[to]))
		for _, pos := range d.byTo[to] {
			out = append(out, d.ring[pos])
		}
		return out
	}
	out := make([]OutboxMessage, 0, len(d.ring))
	for i := range d.ring {
		out = append(out, d.ring[(d.first+i)%len(d.ring)])
	}
	return out
}
