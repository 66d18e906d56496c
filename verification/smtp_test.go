package verification

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpFake is a minimal SMTP server on 127.0.0.1 for the tests: EHLO,
// optional STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
type smtpFake struct {
	ln       net.Listener
	tls      *tls.Config // nil = no STARTTLS offered
	implicit bool        // TLS from the first byte
	user     string      // "" = no AUTH offered
	pass     string
	rejectTo string // RCPT for this address gets 550
	// rejectMsg, if set, is the reply to RCPT rejectTo instead of the
	// plain 550; rejectData, if set, is the reply to the end of DATA.
	rejectMsg, rejectData string

	mu   sync.Mutex
	mail []smtpMail
	wg   sync.WaitGroup
}

type smtpMail struct {
	from, auth string
	to         []string
	data       string
	tls        bool
}

func startSMTPFake(t *testing.T, f *smtpFake) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.ln = ln
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.wg.Wait()
	})
	return ln.Addr().String()
}

func (f *smtpFake) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	secure := false
	if f.implicit {
		c = tls.Server(c, f.tls)
		secure = true
	}
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	say := func(s string) { w.WriteString(s + "\r\n"); w.Flush() }
	say("220 fake ESMTP")
	var cur smtpMail
	auth := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			lines := []string{"250-fake"}
			if f.tls != nil && !secure {
				lines = append(lines, "250-STARTTLS")
			}
			if f.user != "" {
				lines = append(lines, "250-AUTH PLAIN")
			}
			lines = append(lines, "250 8BITMIME")
			say(strings.Join(lines, "\r\n"))
		case "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(c, f.tls)
			if tc.Handshake() != nil {
				return
			}
			c, secure = tc, true
			r, w = bufio.NewReader(c), bufio.NewWriter(c)
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			dec, _ := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(dec), "\x00")
			if mech != "PLAIN" || len(parts) != 3 || parts[1] != f.user || parts[2] != f.pass {
				say("535 5.7.8 authentication failed")
				continue
			}
			auth = parts[1]
			say("235 2.7.0 ok")
		case "MAIL":
			cur = smtpMail{from: strings.Trim(strings.TrimPrefix(arg, "FROM:"), "<>"), auth: auth, tls: secure}
			if i := strings.Index(cur.from, ">"); i >= 0 {
				cur.from = cur.from[:i]
			}
			say("250 ok")
		case "RCPT":
			to := strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>")
			if to == f.rejectTo {
				if f.rejectMsg != "" {
					say(f.rejectMsg)
				} else {
					say("550 5.1.1 no such user")
				}
				continue
			}
			cur.to = append(cur.to, to)
			say("250 ok")
		case "DATA":
			say("354 end with .")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.data = b.String()
			if f.rejectData != "" {
				say(f.rejectData)
				continue
			}
			f.mu.Lock()
			f.mail = append(f.mail, cur)
			f.mu.Unlock()
			say("250 queued")
		case "RSET", "NOOP":
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown")
		}
	}
}

func (f *smtpFake) messages() []smtpMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]smtpMail(nil), f.mail...)
}

// testCert returns a server config and a client pool for name.
func testCert(t *testing.T, name string) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

var smtpMsg = Message{Channel: ChannelEmail, To: "jane@example.com", Code: "424242", TTL: 10 * time.Minute}

func TestSMTPLoopbackPlain(t *testing.T) {
	f := &smtpFake{user: "mailer", pass: "pw"}
	addr := startSMTPFake(t, f)
	s, err := NewSMTPSender(SMTPConfig{Addr: addr, From: "Example <no-reply@example.com>", Username: "mailer", Password: "pw",
		Now: func() time.Time { return time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), smtpMsg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := f.messages()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	m := got[0]
	if m.from != "no-reply@example.com" || len(m.to) != 1 || m.to[0] != "jane@example.com" || m.auth != "mailer" || m.tls {
		t.Fatalf("envelope %+v", m)
	}
	for _, want := range []string{
		"From: Example <no-reply@example.com>\r\n", "To: jane@example.com\r\n",
		"Subject: Your verification code\r\n", "Date: Sun, 22 Nov 2026 18:00:00 +0000\r\n",
		"Content-Type: text/plain; charset=UTF-8\r\n", "Message-ID: <",
		"\r\n\r\nYour verification code is 424242. It expires in 10 minutes.\r\n",
	} {
		if !strings.Contains(m.data, want) {
			t.Fatalf("message lacks %q:\n%s", want, m.data)
		}
	}
}

func TestSMTPStartTLSRequired(t *testing.T) {
	srvTLS, pool := testCert(t, "mail.example.test")
	// A server under a non-loopback name: the sender must upgrade with
	// STARTTLS, and refuse to send when it is not offered.
	for _, offer := range []bool{true, false} {
		f := &smtpFake{user: "u", pass: "p"}
		if offer {
			f.tls = srvTLS
		}
		addr := startSMTPFake(t, f)
		s, err := NewSMTPSender(SMTPConfig{Addr: "mail.example.test:587", From: "no-reply@example.com",
			Username: "u", Password: "p", TLSConfig: &tls.Config{RootCAs: pool}})
		if err != nil {
			t.Fatal(err)
		}
		s.dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
		err = s.Send(context.Background(), smtpMsg)
		if offer {
			if err != nil {
				t.Fatalf("Send with STARTTLS: %v", err)
			}
			if m := f.messages(); len(m) != 1 || !m[0].tls || m[0].auth != "u" {
				t.Fatalf("messages %+v", m)
			}
		} else {
			if !errors.Is(err, ErrSendFailed) || len(f.messages()) != 0 {
				t.Fatalf("Send without STARTTLS = %v, %d messages; want a refusal", err, len(f.messages()))
			}
			// Unless the host explicitly allows plaintext (and then PLAIN
			// auth is still refused by net/smtp off loopback).
			s.cfg.AllowPlaintext, s.cfg.Username = true, ""
			if err := s.Send(context.Background(), smtpMsg); err != nil || len(f.messages()) != 1 {
				t.Fatalf("Send with AllowPlaintext = %v", err)
			}
		}
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	srvTLS, pool := testCert(t, "smtp.example.test")
	f := &smtpFake{tls: srvTLS, implicit: true}
	addr := startSMTPFake(t, f)
	s, err := NewSMTPSender(SMTPConfig{Addr: "smtp.example.test:465", From: "no-reply@example.com", ImplicitTLS: true, TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	s.dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	if err := s.Send(context.Background(), smtpMsg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m := f.messages(); len(m) != 1 || !m[0].tls {
		t.Fatalf("messages %+v", m)
	}
	// A certificate for another name is refused.
	s.cfg.TLSConfig = &tls.Config{RootCAs: pool, ServerName: "other.example.test"}
	if err := s.Send(context.Background(), smtpMsg); !errors.Is(err, ErrSendFailed) {
		t.Fatalf("Send with a mismatched certificate = %v", err)
	}
}

func TestSMTPErrors(t *testing.T) {
	f := &smtpFake{user: "u", pass: "p", rejectTo: "gone@example.com"}
	addr := startSMTPFake(t, f)
	s, _ := NewSMTPSender(SMTPConfig{Addr: addr, From: "no-reply@example.com", Username: "u", Password: "p"})
	ctx := context.Background()
	err := s.Send(ctx, Message{To: "gone@example.com", Code: "1"})
	if !errors.Is(err, ErrSendFailed) || !errors.Is(err, ErrDestinationRejected) {
		t.Fatalf("RCPT 550 = %v", err)
	}
	for _, to := range []string{"", "jane@example.com\r\nBcc: x@evil.test", "not an address"} {
		if err := s.Send(ctx, Message{To: to, Code: "1"}); !errors.Is(err, ErrInvalidDestination) {
			t.Fatalf("Send(%q) = %v", to, err)
		}
	}
	bad, _ := NewSMTPSender(SMTPConfig{Addr: addr, From: "no-reply@example.com", Username: "u", Password: "wrong"})
	if err := bad.Send(ctx, smtpMsg); !errors.Is(err, ErrSendFailed) {
		t.Fatalf("bad password = %v", err)
	}
	if len(f.messages()) != 0 {
		t.Fatal("a failed send delivered mail")
	}
	// Nothing listening.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	s2, _ := NewSMTPSender(SMTPConfig{Addr: dead, From: "no-reply@example.com"})
	if err := s2.Send(ctx, smtpMsg); !errors.Is(err, ErrSendFailed) {
		t.Fatalf("dead server = %v", err)
	}
	for _, c := range []SMTPConfig{
		{From: "a@b.c"},
		{Addr: "nohostport", From: "a@b.c"},
		{Addr: "127.0.0.1:25", From: "not an address"},
		{Addr: "127.0.0.1:25", From: "a@b.c", Subject: "x\r\nBcc: y"},
	} {
		if _, err := NewSMTPSender(c); err == nil {
			t.Errorf("NewSMTPSender(%+v) accepted", c)
		}
	}
}

func TestSMTPStalledServer(t *testing.T) {
	// A server that accepts and never speaks: the context deadline ends
	// the send.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	s, _ := NewSMTPSender(SMTPConfig{Addr: ln.Addr().String(), From: "no-reply@example.com"})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Send(ctx, smtpMsg); !errors.Is(err, ErrSendFailed) {
		t.Fatalf("stalled server = %v", err)
	}
}

// Servers quote the recipient in RCPT replies, and content filters may quote
// the body; neither the address nor the code may reach the error string
// (which the service logs).
func TestSMTPErrorsHideAddressAndCode(t *testing.T) {
	ctx := context.Background()
	f := &smtpFake{rejectTo: "gone@example.com", rejectMsg: "550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown in virtual mailbox table"}
	s, _ := NewSMTPSender(SMTPConfig{Addr: startSMTPFake(t, f), From: "no-reply@example.com"})
	err := s.Send(ctx, Message{To: "gone@example.com", MaskedTo: "g***@example.com", Code: "123456"})
	if !errors.Is(err, ErrDestinationRejected) {
		t.Fatalf("RCPT 550 = %v", err)
	}
	if strings.Contains(err.Error(), "gone@") {
		t.Errorf("error reveals the address: %v", err)
	}
	f2 := &smtpFake{rejectData: "554 5.7.1 Message rejected: spam: Your verification code is 123456 (sent to jane@example.com)"}
	s2, _ := NewSMTPSender(SMTPConfig{Addr: startSMTPFake(t, f2), From: "no-reply@example.com"})
	err = s2.Send(ctx, Message{To: "jane@example.com", MaskedTo: "j***@example.com", Code: "123456"})
	if !errors.Is(err, ErrSendFailed) {
		t.Fatalf("DATA 554 = %v", err)
	}
	if strings.Contains(err.Error(), "123456") || strings.Contains(err.Error(), "jane@") {
		t.Errorf("error reveals the code or address: %v", err)
	}
	for _, to := range []string{"not an address", "jane@example.com\r\nBcc: x@evil.test"} {
		err := s.Send(ctx, Message{To: to, Code: "1"})
		if !errors.Is(err, ErrInvalidDestination) || strings.Contains(err.Error(), "address") || strings.Contains(err.Error(), "jane") {
			t.Errorf("Send(%q) = %v: want ErrInvalidDestination without the address", to, err)
		}
	}
}
