package verification_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/captcha"
	"github.com/authkit/authkit/internal/clock"
	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/verification"
	"github.com/authkit/authkit/verification/verificationtest"
)

var (
	secret1 = bytes.Repeat([]byte{1}, 32)
	secret2 = bytes.Repeat([]byte{2}, 32)
	t0      = time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
)

type fixture struct {
	svc   *verification.Service
	store *verification.MemoryStore
	sent  *verificationtest.Recorder
	clock *clock.Fake
	cfg   verification.Config
}

func newFixture(t testing.TB, mod func(*verification.Config)) *fixture {
	t.Helper()
	f := &fixture{store: verification.NewMemoryStore(), sent: &verificationtest.Recorder{}, clock: clock.NewFake(t0)}
	f.cfg = verification.Config{
		Store:    f.store,
		SMS:      f.sent,
		Email:    f.sent,
		HashKeys: [][]byte{secret1},
		Now:      f.clock.Now,
	}
	if mod != nil {
		mod(&f.cfg)
	}
	svc, err := verification.New(f.cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.svc = svc
	return f
}

func mustPhone(t testing.TB, e164 string) *phone.Number {
	t.Helper()
	n, err := phone.ParseE164(e164)
	if err != nil {
		t.Fatalf("ParseE164(%q): %v", e164, err)
	}
	return &n
}

const usNumber = "+19172113333"

func smsReq(t testing.TB) verification.StartRequest {
	return verification.StartRequest{Channel: verification.ChannelSMS, Phone: mustPhone(t, usNumber)}
}

func emailReq(addr string) verification.StartRequest {
	return verification.StartRequest{Channel: verification.ChannelEmail, Email: addr}
}

// wrongCode returns a well-formed code different from code.
func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestNewValidatesConfig(t *testing.T) {
	rec := &verificationtest.Recorder{}
	tests := []struct {
		name string
		cfg  verification.Config
	}{
		{"no secrets", verification.Config{SMS: rec}},
		{"short secret", verification.Config{SMS: rec, HashKeys: [][]byte{make([]byte, 31)}}},
		{"short older secret", verification.Config{SMS: rec, HashKeys: [][]byte{secret1, []byte("short")}}},
		{"no sender", verification.Config{HashKeys: [][]byte{secret1}}},
		{"code too short", verification.Config{SMS: rec, HashKeys: [][]byte{secret1}, CodeLength: 4}},
		{"code too long", verification.Config{SMS: rec, HashKeys: [][]byte{secret1}, CodeLength: 11}},
		{"negative TTL", verification.Config{SMS: rec, HashKeys: [][]byte{secret1}, TTL: -time.Second}},
		{"negative attempts", verification.Config{SMS: rec, HashKeys: [][]byte{secret1}, MaxAttempts: -1}},
		{"bad policy", verification.Config{SMS: rec, HashKeys: [][]byte{secret1}, PhonePolicy: phone.Policy{AllowedRegions: []string{"ZZ"}}}},
		{"no store", verification.Config{SMS: rec, HashKeys: [][]byte{secret1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Every case but "no store" has a store, so that it fails for
			// its own reason.
			if tc.name != "no store" {
				tc.cfg.Store = verification.NewMemoryStore()
			}
			if s, err := verification.New(tc.cfg); !errors.Is(err, verification.ErrConfig) || s != nil {
				t.Fatalf("New = %v, %v; want ErrConfig", s, err)
			}
		})
	}
	if _, err := verification.New(verification.Config{Store: verification.NewMemoryStore(), Email: rec, HashKeys: [][]byte{secret1, secret2}}); err != nil {
		t.Fatalf("minimal config: %v", err)
	}
}

func TestStartCheckSMS(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	st, err := f.svc.Start(ctx, smsReq(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.ID) != 36 || st.Channel != verification.ChannelSMS || st.Phone == nil || st.Phone.E164 != usNumber || !st.ExpiresAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("Started = %+v", st)
	}
	m, ok := f.sent.Last(usNumber)
	if !ok {
		t.Fatal("nothing sent")
	}
	if len(m.Code) != 6 || m.VerificationID != st.ID || m.MaskedTo != "+1 *** *** 3333" || m.TTL != 10*time.Minute {
		t.Fatalf("Message = %+v", m)
	}
	cred, err := f.svc.Check(ctx, st.ID, m.Code)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	want := authkit.VerifiedCredential{
		Format: authkit.FormatPhoneNumber, SignInEnabled: true, PublicIdentifier: usNumber,
		PhoneNumber: "9172113333", PhoneCountryCode: "1", IsoCountryCode: "US",
	}
	if fmt.Sprint(cred) != fmt.Sprint(want) {
		t.Fatalf("credential = %+v, want %+v", cred, want)
	}
	// The store holds a hash, never the code.
	rec, _ := f.store.Get(ctx, st.ID)
	if bytes.Contains(rec.CodeHash, []byte(m.Code)) || len(rec.CodeHash) != 32 {
		t.Fatalf("stored hash %x", rec.CodeHash)
	}
}

func TestStartCheckEmail(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	st, err := f.svc.Start(ctx, emailReq("Jane.Doe@Example.COM"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Email != "jane.doe@example.com" || st.Phone != nil {
		t.Fatalf("Started = %+v", st)
	}
	m, _ := f.sent.Last("jane.doe@example.com")
	if m.MaskedTo != "j***@example.com" {
		t.Fatalf("MaskedTo = %q", m.MaskedTo)
	}
	cred, err := f.svc.Check(ctx, strings.ToUpper(st.ID), m.Code)
	if err != nil {
		t.Fatalf("Check (upper-case id): %v", err)
	}
	if cred.Format != authkit.FormatEmail || cred.Email != "jane.doe@example.com" || cred.PublicIdentifier != cred.Email || !cred.SignInEnabled {
		t.Fatalf("credential = %+v", cred)
	}
}

func TestCheckErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrWrongCode", func(t *testing.T) {
		f := newFixture(t, nil)
		st, _ := f.svc.Start(ctx, smsReq(t))
		code := f.sent.Code(t, usNumber)
		if _, err := f.svc.Check(ctx, st.ID, wrongCode(code)); !errors.Is(err, verification.ErrWrongCode) {
			t.Fatalf("Check(wrong) = %v", err)
		}
		if _, err := f.svc.Check(ctx, st.ID, code); err != nil {
			t.Fatalf("right code after one failure: %v", err)
		}
	})
	t.Run("ErrTooManyAttempts", func(t *testing.T) {
		f := newFixture(t, nil)
		st, _ := f.svc.Start(ctx, smsReq(t))
		code := f.sent.Code(t, usNumber)
		for i := 0; i < 5; i++ {
			if _, err := f.svc.Check(ctx, st.ID, wrongCode(code)); !errors.Is(err, verification.ErrWrongCode) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		if _, err := f.svc.Check(ctx, st.ID, code); !errors.Is(err, verification.ErrTooManyAttempts) {
			t.Fatalf("right code after 5 failures = %v", err)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		f := newFixture(t, nil)
		st, _ := f.svc.Start(ctx, smsReq(t))
		code := f.sent.Code(t, usNumber)
		f.clock.Advance(10 * time.Minute)
		if _, err := f.svc.Check(ctx, st.ID, code); !errors.Is(err, verification.ErrExpired) {
			t.Fatalf("Check after TTL = %v", err)
		}
	})
	t.Run("ErrAlreadyUsed", func(t *testing.T) {
		f := newFixture(t, nil)
		st, _ := f.svc.Start(ctx, smsReq(t))
		code := f.sent.Code(t, usNumber)
		if _, err := f.svc.Check(ctx, st.ID, code); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Check(ctx, st.ID, code); !errors.Is(err, verification.ErrAlreadyUsed) {
			t.Fatalf("second Check = %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		f := newFixture(t, nil)
		for _, id := range []string{
			"6f1c1e3a-8a55-4f4e-9f0b-2f1d7c9b1a00", "6F1C1E3A-8A55-4F4E-9F0B-2F1D7C9B1A00", "not-a-uuid", "",
			"6f1c1e3a-8a55-4f4e-9f0b-2f1d7c9b1a0g", "6f1c1e3a-8a55-4f4e-9f0b-2f1d7c9b1a0G", "6f1c1e3a08a55-4f4e-9f0b-2f1d7c9b1a00",
			"6f1c1e3a-8a55-4f4e-9f0b-2f1d7c9b1a000", "6f1c1e3a-8a55-4f4e-9f0b-2f1d7c9b1a0/", "6f1c1e3a-8a55-4f4e-9f0b-2f1d7c9b1a0:",
		} {
			if _, err := f.svc.Check(ctx, id, "123456"); !errors.Is(err, verification.ErrNotFound) {
				t.Fatalf("Check(%q) = %v", id, err)
			}
		}
	})
	t.Run("typed spellings", func(t *testing.T) {
		for _, spell := range []func(string) string{
			func(c string) string { return c[:3] + " " + c[3:] },
			func(c string) string { return c[:3] + "-" + c[3:] },
			func(c string) string { return " " + c + "\n" },
		} {
			f := newFixture(t, nil)
			st, _ := f.svc.Start(ctx, smsReq(t))
			code := f.sent.Code(t, usNumber)
			if _, err := f.svc.Check(ctx, st.ID, spell(wrongCode(code))); !errors.Is(err, verification.ErrWrongCode) {
				t.Fatalf("Check(%q) = %v, want ErrWrongCode", spell(wrongCode(code)), err)
			}
			if _, err := f.svc.Check(ctx, st.ID, spell(code)); err != nil {
				t.Fatalf("Check(%q) = %v", spell(code), err)
			}
		}
	})
	t.Run("ErrInvalidCode", func(t *testing.T) {
		f := newFixture(t, nil)
		st, _ := f.svc.Start(ctx, smsReq(t))
		code := f.sent.Code(t, usNumber)
		for _, c := range []string{"", "12345", "1234567", "12345a", "12 3456", "123  456", "123_456", "１２３４５６", "12345\x00"} {
			for i := 0; i < 3; i++ { // more than MaxAttempts in all
				if _, err := f.svc.Check(ctx, st.ID, c); !errors.Is(err, verification.ErrInvalidCode) {
					t.Fatalf("Check(%q) = %v", c, err)
				}
			}
		}
		// Malformed codes cost no attempt.
		if rec, _ := f.store.Get(ctx, st.ID); rec.Attempts != 0 {
			t.Fatalf("Attempts = %d after malformed codes", rec.Attempts)
		}
		if _, err := f.svc.Check(ctx, st.ID, code); err != nil {
			t.Fatal(err)
		}
	})
}

func TestResend(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	st, _ := f.svc.Start(ctx, smsReq(t))
	old := f.sent.Code(t, usNumber)
	// Two failures before the resend.
	for i := 0; i < 2; i++ {
		if _, err := f.svc.Check(ctx, st.ID, wrongCode(old)); !errors.Is(err, verification.ErrWrongCode) {
			t.Fatal(err)
		}
	}
	// Within the 30 s cooldown: refused, nothing sent.
	f.clock.Advance(10 * time.Second)
	_, err := f.svc.Resend(ctx, st.ID, verification.ResendRequest{})
	var rl *verification.RateLimitError
	if !errors.Is(err, verification.ErrRateLimited) || !errors.As(err, &rl) || rl.RetryAfter != 20*time.Second {
		t.Fatalf("early Resend = %v, want RetryAfter 20s", err)
	}
	if f.sent.Len() != 1 {
		t.Fatalf("a refused resend sent a message")
	}
	f.clock.Advance(20 * time.Second)
	st2, err := f.svc.Resend(ctx, st.ID, verification.ResendRequest{})
	if err != nil {
		t.Fatalf("Resend: %v", err)
	}
	if st2.ID != st.ID || !st2.ExpiresAt.Equal(f.clock.Now().Add(10*time.Minute)) {
		t.Fatalf("Resend = %+v", st2)
	}
	code := f.sent.Code(t, usNumber)
	if f.sent.Len() != 2 {
		t.Fatalf("sent %d messages, want 2", f.sent.Len())
	}
	if code != old {
		// The old code no longer works (unless the draw repeated it).
		if _, err := f.svc.Check(ctx, st.ID, old); !errors.Is(err, verification.ErrWrongCode) {
			t.Fatalf("old code after resend = %v", err)
		}
	}
	rec, _ := f.store.Get(ctx, st.ID)
	if code != old && rec.Attempts != 3 || code == old && rec.Attempts != 2 {
		t.Fatalf("Attempts = %d: the resend must keep the counter", rec.Attempts)
	}
	// The next resend waits 60 s (doubling).
	f.clock.Advance(59 * time.Second)
	if _, err := f.svc.Resend(ctx, st.ID, verification.ResendRequest{}); !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("second Resend at +59s = %v, want RetryAfter 1s", err)
	}
	if _, err := f.svc.Check(ctx, st.ID, code); err != nil {
		t.Fatalf("new code: %v", err)
	}
}

func TestResendRefusals(t *testing.T) {
	ctx := context.Background()
	t.Run("used", func(t *testing.T) {
		f := newFixture(t, nil)
		st, _ := f.svc.Start(ctx, smsReq(t))
		_, _ = f.svc.Check(ctx, st.ID, f.sent.Code(t, usNumber))
		f.clock.Advance(time.Minute)
		if _, err := f.svc.Resend(ctx, st.ID, verification.ResendRequest{}); !errors.Is(err, verification.ErrAlreadyUsed) {
			t.Fatalf("Resend(used) = %v", err)
		}
	})
	t.Run("exhausted", func(t *testing.T) {
		f := newFixture(t, nil)
		st, _ := f.svc.Start(ctx, smsReq(t))
		code := f.sent.Code(t, usNumber)
		for i := 0; i < 5; i++ {
			_, _ = f.svc.Check(ctx, st.ID, wrongCode(code))
		}
		f.clock.Advance(time.Minute)
		if _, err := f.svc.Resend(ctx, st.ID, verification.ResendRequest{}); !errors.Is(err, verification.ErrTooManyAttempts) {
			t.Fatalf("Resend(exhausted) = %v", err)
		}
		if f.sent.Len() != 1 {
			t.Fatal("a refused resend sent a message")
		}
	})
	t.Run("unknown or other destination", func(t *testing.T) {
		f := newFixture(t, nil)
		st, _ := f.svc.Start(ctx, smsReq(t))
		f.clock.Advance(time.Minute)
		for _, c := range []struct {
			id  string
			req verification.ResendRequest
		}{
			{st.ID, verification.ResendRequest{Phone: mustPhone(t, "+19172114444")}},
			{st.ID, verification.ResendRequest{Email: "a@example.com"}},
			{"6f1c1e3a-8a55-4f4e-9f0b-2f1d7c9b1a00", verification.ResendRequest{}},
			{"6f1c1e3a-8a55-4f4e-9f0b-2f1d7c9b1a00", verification.ResendRequest{Phone: smsReq(t).Phone}},
			{"nope", verification.ResendRequest{}},
		} {
			if _, err := f.svc.Resend(ctx, c.id, c.req); !errors.Is(err, verification.ErrNotFound) {
				t.Fatalf("Resend(%s, %+v) = %v", c.id, c.req, err)
			}
		}
		if f.sent.Len() != 1 {
			t.Fatal("a refused resend sent a message")
		}
		// Both destinations at once, or a malformed one, is a malformed request.
		for _, req := range []verification.ResendRequest{
			{Phone: smsReq(t).Phone, Email: "a@example.com"},
			{Email: "not an address"},
		} {
			if _, err := f.svc.Resend(ctx, st.ID, req); !errors.Is(err, verification.ErrInvalidDestination) {
				t.Fatalf("Resend(%+v) = %v", req, err)
			}
		}
		// The destination it was started for is accepted when repeated.
		if _, err := f.svc.Resend(ctx, st.ID, verification.ResendRequest{Phone: smsReq(t).Phone}); err != nil {
			t.Fatalf("Resend(same phone) = %v", err)
		}
	})
	t.Run("email by id alone", func(t *testing.T) {
		f := newFixture(t, nil)
		st, _ := f.svc.Start(ctx, emailReq("Jane@Example.com"))
		first := f.sent.Code(t, "jane@example.com")
		f.clock.Advance(time.Minute)
		st2, err := f.svc.Resend(ctx, st.ID, verification.ResendRequest{})
		if err != nil || st2.ID != st.ID || st2.Email != "jane@example.com" || st2.Channel != verification.ChannelEmail {
			t.Fatalf("Resend = %+v, %v", st2, err)
		}
		if f.sent.Len() != 2 {
			t.Fatalf("sent %d messages, want 2", f.sent.Len())
		}
		if code := f.sent.Code(t, "jane@example.com"); code != first {
			if _, err := f.svc.Check(ctx, st.ID, code); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("policy applies again", func(t *testing.T) {
		f := newFixture(t, nil)
		st, _ := f.svc.Start(ctx, smsReq(t))
		f.clock.Advance(time.Minute)
		// The same store under a Service whose policy now refuses the region.
		strict, err := verification.New(verification.Config{
			SMS: f.sent, HashKeys: f.cfg.HashKeys, Store: f.store, Now: f.clock.Now,
			PhonePolicy: phone.Policy{AllowedRegions: []string{"GB"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := strict.Resend(ctx, st.ID, verification.ResendRequest{}); !errors.Is(err, verification.ErrDestinationRejected) {
			t.Fatalf("Resend under a stricter policy = %v", err)
		}
		if f.sent.Len() != 1 {
			t.Fatal("a refused resend sent a message")
		}
	})
	t.Run("expired is allowed", func(t *testing.T) {
		f := newFixture(t, nil)
		st, _ := f.svc.Start(ctx, smsReq(t))
		f.clock.Advance(11 * time.Minute)
		if _, err := f.svc.Resend(ctx, st.ID, verification.ResendRequest{}); err != nil {
			t.Fatalf("Resend(expired) = %v", err)
		}
		if _, err := f.svc.Check(ctx, st.ID, f.sent.Code(t, usNumber)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSendLimits(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	// Each start is independent; starts and resends share the limits.
	var ids []string
	var codes []string
	waits := []time.Duration{0, 30 * time.Second, 60 * time.Second, 120 * time.Second, 240 * time.Second}
	for i, w := range waits {
		f.clock.Advance(w)
		st, err := f.svc.Start(ctx, emailReq("a@example.com"))
		if err != nil {
			t.Fatalf("start %d: %v", i+1, err)
		}
		ids = append(ids, st.ID)
		codes = append(codes, f.sent.Code(t, "a@example.com"))
	}
	// Five sends in 450 s: the sixth is refused and sends nothing.
	f.clock.Advance(time.Second)
	_, err := f.svc.Start(ctx, emailReq("a@example.com"))
	var rl *verification.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter <= 0 {
		t.Fatalf("6th start = %v", err)
	}
	if f.sent.Len() != 5 {
		t.Fatalf("sent %d, want 5", f.sent.Len())
	}
	// Another destination is not affected.
	if _, err := f.svc.Start(ctx, emailReq("b@example.com")); err != nil {
		t.Fatalf("other destination: %v", err)
	}
	// Earlier verifications stay usable.
	for i := range ids {
		if _, err := f.svc.Check(ctx, ids[i], codes[i]); err != nil {
			t.Fatalf("verification %d: %v", i+1, err)
		}
	}
}

type fakeCaptcha struct {
	mu     sync.Mutex
	tokens []string
	ips    []string
}

func (c *fakeCaptcha) Verify(_ context.Context, token, ip string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tokens, c.ips = append(c.tokens, token), append(c.ips, ip)
	if token != "good" {
		return errors.New("captcha: refused")
	}
	return nil
}

func TestCaptcha(t *testing.T) {
	ctx := context.Background()
	cv := &fakeCaptcha{}
	f := newFixture(t, func(c *verification.Config) { c.Captcha = cv })
	for _, tok := range []string{"", "bad"} {
		req := smsReq(t)
		req.CaptchaToken = tok
		_, err := f.svc.Start(ctx, req)
		if !errors.Is(err, verification.ErrCaptchaFailed) {
			t.Fatalf("Start(token %q) = %v", tok, err)
		}
		if tok == "" && !errors.Is(err, captcha.ErrMissingToken) {
			t.Fatalf("Start(no token) = %v, want captcha.ErrMissingToken too", err)
		}
	}
	if f.sent.Len() != 0 || f.store.Len() != 0 {
		t.Fatal("a refused captcha sent or stored something")
	}
	req := smsReq(t)
	req.CaptchaToken, req.RemoteIP = "good", "203.0.113.7"
	st, err := f.svc.Start(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	if _, err := f.svc.Resend(ctx, st.ID, verification.ResendRequest{CaptchaToken: "bad", RemoteIP: req.RemoteIP}); !errors.Is(err, verification.ErrCaptchaFailed) {
		t.Fatalf("Resend(bad token) = %v", err)
	}
	if got := cv.ips[len(cv.ips)-1]; got != "203.0.113.7" {
		t.Fatalf("remote IP passed = %q", got)
	}
	if len(cv.tokens) != 3 { // the empty token never reaches the verifier
		t.Fatalf("verifier called %d times, want 3", len(cv.tokens))
	}
}

func TestDestinationRejected(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, func(c *verification.Config) {
		c.PhonePolicy = phone.Policy{DeniedRegions: []string{"GB"}}
	})
	// A valid UK mobile number, refused by region.
	req := verification.StartRequest{Channel: verification.ChannelSMS, Phone: mustPhone(t, "+447400123456")}
	_, err := f.svc.Start(ctx, req)
	if !errors.Is(err, verification.ErrDestinationRejected) || !errors.Is(err, phone.ErrNotAllowed) {
		t.Fatalf("Start(denied region) = %v", err)
	}
	// A premium-rate number is refused by the default type policy, even
	// when the caller claims it is a mobile.
	n := mustPhone(t, "+19005550100")
	n.Type = phone.Mobile
	if _, err := f.svc.Start(ctx, verification.StartRequest{Channel: verification.ChannelSMS, Phone: n}); !errors.Is(err, verification.ErrDestinationRejected) {
		t.Fatalf("Start(premium rate) = %v", err)
	}
	// The same lie in a Number built from scratch.
	forged := &phone.Number{E164: "+19005550100", CallingCode: "1", NationalNumber: "9005550100", Region: "US", Type: phone.Mobile}
	if _, err := f.svc.Start(ctx, verification.StartRequest{Channel: verification.ChannelSMS, Phone: forged}); !errors.Is(err, verification.ErrDestinationRejected) {
		t.Fatalf("Start(hand-built premium rate) = %v", err)
	}
	if f.sent.Len() != 0 {
		t.Fatal("sent to a rejected destination")
	}
}

func TestInvalidDestination(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	reqs := []verification.StartRequest{
		{Channel: verification.ChannelSMS},
		{Channel: verification.ChannelSMS, Phone: &phone.Number{}},
		{Channel: verification.ChannelSMS, Phone: &phone.Number{E164: "+19171113333", Type: phone.Mobile, Region: "US"}},
		{Channel: verification.ChannelSMS, Phone: &phone.Number{E164: "not a number"}},
		{Channel: verification.ChannelEmail, Email: ""},
		{Channel: verification.ChannelEmail, Email: "no-at-sign"},
		{Channel: verification.ChannelEmail, Email: "a@b@c"},
		{Channel: "fax", Email: "a@example.com"},
	}
	for _, r := range reqs {
		if _, err := f.svc.Start(ctx, r); !errors.Is(err, verification.ErrInvalidDestination) {
			t.Fatalf("Start(%+v) = %v", r, err)
		}
	}
	if f.sent.Len() != 0 || f.store.Len() != 0 {
		t.Fatal("bad input changed state")
	}
}

func TestChannelUnavailable(t *testing.T) {
	f := newFixture(t, func(c *verification.Config) { c.Email = nil })
	if _, err := f.svc.Start(context.Background(), emailReq("a@example.com")); !errors.Is(err, verification.ErrChannelUnavailable) {
		t.Fatalf("Start(email, no sender) = %v", err)
	}
}

func TestSendFailed(t *testing.T) {
	f := newFixture(t, nil)
	boom := errors.New("provider down")
	f.sent.Fail(boom)
	_, err := f.svc.Start(context.Background(), smsReq(t))
	if !errors.Is(err, verification.ErrSendFailed) || !errors.Is(err, boom) {
		t.Fatalf("Start with failing sender = %v", err)
	}
	// A sender's typed error is not wrapped twice but stays reachable.
	typed := fmt.Errorf("%w: %w", verification.ErrSendFailed, verification.ErrDestinationRejected)
	f.sent.Fail(typed)
	f.clock.Advance(time.Hour)
	if _, err := f.svc.Start(context.Background(), smsReq(t)); err != typed {
		t.Fatalf("Start = %v, want the sender's error as is", err)
	}
}

func TestSecretRotation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	st, _ := f.svc.Start(ctx, smsReq(t))
	code := f.sent.Code(t, usNumber)

	onlyNew, err := verification.New(verification.Config{Store: f.store, SMS: f.sent, HashKeys: [][]byte{secret2}, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := onlyNew.Check(ctx, st.ID, code); !errors.Is(err, verification.ErrWrongCode) {
		t.Fatalf("Check under another secret = %v, want ErrWrongCode", err)
	}
	rotated, err := verification.New(verification.Config{Store: f.store, SMS: f.sent, Email: f.sent, HashKeys: [][]byte{secret2, secret1}, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rotated.Check(ctx, st.ID, code); err != nil {
		t.Fatalf("Check after rotation (old secret listed) = %v", err)
	}
	// New codes use the newest secret.
	f.clock.Advance(time.Minute)
	st2, _ := rotated.Start(ctx, emailReq("r@example.com"))
	if _, err := f.svc.Check(ctx, st2.ID, f.sent.Code(t, "r@example.com")); !errors.Is(err, verification.ErrWrongCode) {
		t.Fatalf("a code made under the new secret verified under the old only: %v", err)
	}
}

func TestHashBoundToID(t *testing.T) {
	// A hash copied onto another record does not verify there.
	ctx := context.Background()
	f := newFixture(t, nil)
	a, _ := f.svc.Start(ctx, emailReq("a@example.com"))
	codeA := f.sent.Code(t, "a@example.com")
	b, _ := f.svc.Start(ctx, emailReq("b@example.com"))
	ra, _ := f.store.Get(ctx, a.ID)
	rb, _ := f.store.Get(ctx, b.ID)
	rb.ID = "6f1c1e3a-8a55-4f4e-9f0b-2f1d7c9b1a00"
	rb.CodeHash = ra.CodeHash
	if err := f.store.Create(ctx, rb); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Check(ctx, rb.ID, codeA); !errors.Is(err, verification.ErrWrongCode) {
		t.Fatalf("copied hash verified: %v", err)
	}
}

func TestConcurrentChecks(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	st, _ := f.svc.Start(ctx, smsReq(t))
	code := f.sent.Code(t, usNumber)
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.Check(ctx, st.ID, code)
			mu.Lock()
			counts[fmt.Sprint(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts["<nil>"] != 1 || counts[verification.ErrAlreadyUsed.Error()] != 31 {
		t.Fatalf("32 concurrent right codes: %v", counts)
	}

	f.clock.Advance(time.Minute)
	st, _ = f.svc.Start(ctx, smsReq(t))
	code = f.sent.Code(t, usNumber)
	counts = map[string]int{}
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := fmt.Sprintf("%06d", i)
			if c == code {
				c = "999999"
			}
			_, err := f.svc.Check(ctx, st.ID, c)
			mu.Lock()
			counts[fmt.Sprint(err)]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	if counts[verification.ErrWrongCode.Error()] != 5 || counts[verification.ErrTooManyAttempts.Error()] != 59 {
		t.Fatalf("64 concurrent wrong codes: %v", counts)
	}
}

func TestCodesNeverLogged(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := &verificationtest.Recorder{}
	clk := clock.NewFake(t0)
	svc, err := verification.New(verification.Config{
		Store: verification.NewMemoryStore(),
		SMS: verification.SenderFunc(func(ctx context.Context, m verification.Message) error {
			// A sender that logs what it may: the masked destination.
			logger.InfoContext(ctx, "verification code sent", "to", m.MaskedTo, "verification_id", m.VerificationID)
			return rec.Send(ctx, m)
		}),
		HashKeys: [][]byte{secret1}, Logger: logger, Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := svc.Start(ctx, smsReq(t))
	_, _ = svc.Start(ctx, smsReq(t)) // refused: logged
	_, _ = svc.Check(ctx, st.ID, "000000")
	code := rec.Code(t, usNumber)
	out := buf.String()
	if !strings.Contains(out, "+1 *** *** 3333") {
		t.Fatalf("log lacks the masked number:\n%s", out)
	}
	if strings.Contains(out, code) || strings.Contains(out, "9172113333") {
		t.Fatalf("log holds the code or the full number:\n%s", out)
	}
}
