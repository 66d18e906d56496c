package verification

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/authkit/authkit/internal/random"
)

// SMTPConfig configures an SMTPSender.
type SMTPConfig struct {
	// Addr is the server, "host:port" (587 for STARTTLS, 465 with
	// ImplicitTLS). Required.
	Addr string
	// Username and Password, when set, authenticate with AUTH PLAIN, which
	// net/smtp only allows over TLS or to localhost.
	Username string
	Password string
	// From is the sender, as an address or "Name <address>". Required.
	From string
	// Subject of the email. "" = "Your verification code".
	Subject string
	// Text renders the plain-text body. nil = DefaultText.
	Text func(Message) string
	// ImplicitTLS connects with TLS from the start (port 465) instead of
	// upgrading with STARTTLS.
	ImplicitTLS bool
	// TLSConfig is used for STARTTLS and ImplicitTLS. nil = a default with
	// ServerName taken from Addr.
	TLSConfig *tls.Config
	// AllowPlaintext permits sending without TLS when the server offers no
	// STARTTLS. DANGEROUS: the code then crosses the network in clear. By
	// default TLS is required, except to a loopback address (a local relay).
	AllowPlaintext bool
	// LocalName is the name sent with EHLO. "" = "localhost".
	LocalName string
	// Timeout bounds a whole send (dial to QUIT) when ctx has no earlier
	// deadline. 0 = 30 s.
	Timeout time.Duration
	// Now stamps the Date header. nil = time.Now.
	Now func() time.Time
}

// SMTPSender sends codes by email over SMTP (net/smtp): one connection per
// message, STARTTLS required unless the server is on loopback or
// AllowPlaintext is set. It is safe for concurrent use.
type SMTPSender struct {
	cfg      SMTPConfig
	host     string
	from     string // envelope sender
	loopback bool
	// dial opens the connection; tests replace it to reach a local fake
	// under a non-loopback name.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// NewSMTPSender validates cfg and returns an SMTPSender.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("verification: smtp: Addr must be host:port: %q", cfg.Addr)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("verification: smtp: bad From %q: %w", cfg.From, err)
	}
	if cfg.Subject == "" {
		cfg.Subject = "Your verification code"
	}
	if strings.ContainsAny(cfg.Subject, "\r\n") || strings.ContainsAny(cfg.LocalName, "\r\n ") {
		return nil, errors.New("verification: smtp: Subject and LocalName must be one line")
	}
	if cfg.Text == nil {
		cfg.Text = DefaultText
	}
	if cfg.LocalName == "" {
		cfg.LocalName = "localhost"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &SMTPSender{cfg: cfg, host: host, from: from.Address}
	if ip := net.ParseIP(host); ip != nil {
		s.loopback = ip.IsLoopback()
	} else {
		s.loopback = host == "localhost"
	}
	var d net.Dialer
	s.dial = d.DialContext
	return s, nil
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	if s.cfg.TLSConfig != nil {
		c := s.cfg.TLSConfig.Clone()
		if c.ServerName == "" {
			c.ServerName = s.host
		}
		return c
	}
	return &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
}

// Send implements Sender. An SMTP 550/551/553 answer to RCPT wraps
// ErrDestinationRejected (mailbox unavailable or name not allowed).
//
// Server replies often quote the recipient ("550 5.1.1 <jane@example.com>:
// Recipient address rejected") and content filters may quote the body, so
// the error's text has the address masked and the code and any other
// number of five or more digits hidden, in any spelling, while the reply
// code ("550") stays; the underlying error (a *textproto.Error, say) stays
// reachable with errors.As.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	if err := s.send(ctx, m); err != nil {
		if m.MaskedTo == "" {
			m.MaskedTo = maskEmail(m.To)
		}
		return fmt.Errorf("%w: smtp: %w", ErrSendFailed, &redactedError{msg: redactSMTP(err, m), err: err})
	}
	return nil
}

// redactSMTP is redact for an SMTP error, except that the server's 3-digit
// reply code is kept: redact would join "550 5.1.1" into one six-digit
// span and hide it, and it is what an operator needs to read.
func redactSMTP(err error, m Message) string {
	full := err.Error()
	var tp *textproto.Error
	if errors.As(err, &tp) && strings.HasSuffix(full, tp.Error()) {
		return redact(strings.TrimSuffix(full, tp.Error()), m) + fmt.Sprintf("%03d ", tp.Code) + redact(tp.Msg, m)
	}
	return redact(full, m)
}

// redactedError shows a redacted text in place of err's own.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (s *SMTPSender) send(ctx context.Context, m Message) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil || strings.ContainsAny(m.To, "\r\n") {
		return fmt.Errorf("%w: To is not one plain mailbox", ErrInvalidDestination)
	}
	msg, err := s.compose(m, to.Address)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	conn, err := s.dial(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	// The deadline covers the whole conversation; closing on cancel stops
	// a stalled server from holding the caller.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if s.cfg.ImplicitTLS {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return err
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello(s.cfg.LocalName); err != nil {
		return err
	}
	if !s.cfg.ImplicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return err
			}
		} else if !s.cfg.AllowPlaintext && !s.loopback {
			return errors.New("server offers no STARTTLS; refusing to send a code in clear")
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.host)); err != nil {
			return err
		}
	}
	if err := c.Mail(s.from); err != nil {
		return err
	}
	if err := c.Rcpt(to.Address); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) && (te.Code == 550 || te.Code == 551 || te.Code == 553) {
			return fmt.Errorf("%w: %w", ErrDestinationRejected, err)
		}
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// compose builds the message: headers, a blank line, the text body.
func (s *SMTPSender) compose(m Message, to string) ([]byte, error) {
	id, err := random.Token(nil, 18)
	if err != nil {
		return nil, err
	}
	domain := s.from[strings.LastIndexByte(s.from, '@')+1:]
	var b bytes.Buffer
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", s.cfg.From)
	hdr("To", to)
	hdr("Subject", mime.QEncoding.Encode("utf-8", s.cfg.Subject))
	hdr("Date", s.cfg.Now().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+id+"@"+domain+">")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=UTF-8")
	hdr("Content-Transfer-Encoding", "8bit")
	hdr("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	body := strings.ReplaceAll(s.cfg.Text(m), "\r\n", "\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	b.WriteString("\r\n")
	return b.Bytes(), nil
}
