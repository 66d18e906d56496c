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
	cfg    DevSenderConfig
	mu     sync.Mutex
	outbox []OutboxMessage
}

// NewDevSender returns a DevSender.
func NewDevSender(cfg DevSenderConfig) *DevSender {
	if cfg.MaxMessages <= 0 {
		cfg.MaxMessages = 1000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &DevSender{cfg: cfg}
}

// Send implements Sender. It never fails.
func (d *DevSender) Send(ctx context.Context, m Message) error {
	msg := OutboxMessage{Channel: m.Channel, To: m.To, Code: m.Code, SentAt: d.cfg.Now()}
	d.mu.Lock()
	if len(d.outbox) >= d.cfg.MaxMessages {
		n := copy(d.outbox, d.outbox[len(d.outbox)-d.cfg.MaxMessages+1:])
		d.outbox = d.outbox[:n]
	}
	d.outbox = append(d.outbox, msg)
	d.mu.Unlock()
	if d.cfg.Logger != nil {
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
	out := []OutboxMessage{}
	for _, m := range d.outbox {
		if to == "" || m.To == to {
			out = append(out, m)
		}
	}
	return out
}
